# ruff: noqa: RUF001 - look-alike letters are what these tests are about
"""The default wording policy: what each kind of rule catches and lets through."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings
from django.core.exceptions import ValidationError

from incidents import wording
from incidents.audit import Actor
from incidents.models import Phase
from incidents.wording.approvals import rule_save

pytestmark = [pytest.mark.wording, pytest.mark.django_db]

# The labelled corpus, and the texts held out while the rules were written (bench/README.md
# has the figures of their first run): every one is checked.
CORPUS: list[dict[str, Any]] = [
    entry
    for name in ("corpus.yaml", "holdout.yaml")
    for entry in yaml.safe_load((Path(__file__).parent / name).read_text())
]


def corpus_text(entry: dict[str, Any]) -> str:
    """A corpus text as sent: {status_url} and {status_host} are the canonical page's."""
    url = settings.CANDOR_CANONICAL_URL
    host = urlsplit(url).hostname or ""
    return entry["text"].replace("{status_url}", url).replace("{status_host}", host)


def _rules(text: str, *, phase: str, channel: str = "web") -> list[str]:
    return [v.rule for v in wording.check(text, channel=channel, phase=phase)]


def test_the_corpus_is_large_and_labels_both_ways() -> None:
    assert len(CORPUS) >= 300
    assert sum(1 for e in CORPUS if e["blocked"]) >= 100
    assert sum(1 for e in CORPUS if not e["blocked"]) >= 100
    for channel in ("web", "email", "sms"):
        assert sum(1 for e in CORPUS if e.get("channel", "web") == channel) >= 50, channel
    assert {e["phase"] for e in CORPUS} == set(Phase.values)


@pytest.mark.parametrize("entry", CORPUS, ids=[e["text"][:40] for e in CORPUS])
def test_corpus_text_is_allowed_or_blocked_for_the_reasons_labelled(entry: dict[str, Any]) -> None:
    text = corpus_text(entry)
    violations = wording.check(text, channel=entry.get("channel", "web"), phase=entry["phase"])

    assert {v.rule for v in violations} == set(entry["blocked"])
    for v in violations:
        assert v.reason
        if v.start is not None:
            assert v.excerpt == text[v.start : v.end] != ""


def test_a_banned_phrase_is_found_whatever_its_case_punctuation_and_lookalikes() -> None:
    for variant in [
        "seamless",
        "SEAMLESS",
        "Seam-less",
        "s e a m l e s s",
        "s.e.a.m.l.e.s.s",
        "ѕеаmlеѕѕ",  # Cyrillic dze, ie, a
        "ｓｅａｍｌｅｓｓ",  # fullwidth
        "seam\u200bless",  # zero-width space
        "séamless",  # an accent
    ]:
        assert _rules(f"It was {variant}.", phase="resolved") == ["marketing-speak"], variant


def test_a_banned_phrase_is_not_found_inside_other_words() -> None:
    for text in ["The seams held.", "A seamlessness study.", "Our guarantor form.", "Worldwide."]:
        assert _rules(text, phase="resolved") == [], text


def test_a_violation_points_at_the_words_as_written() -> None:
    text = "Fixed.  Our ＢＥＳＴ\u200b-in-class team."
    [violation] = wording.check(text, channel="web", phase="resolved")

    assert text[violation.start : violation.end] == "ＢＥＳＴ\u200b-in-class"
    assert violation.excerpt == "ＢＥＳＴ\u200b-in-class"


def test_speculation_is_banned_only_before_the_cause_is_identified() -> None:
    text = "The root cause is a full disk. Next update by 15:00 UTC."
    assert _rules(text, phase="investigating") == ["speculation-before-identified"]
    assert _rules(text, phase="identified") == []


def test_the_next_update_time_is_required_until_resolution_only() -> None:
    assert _rules("Looking into it.", phase="monitoring") == ["next-update-time"]
    assert _rules("Looking into it.", phase="resolved") == []
    assert _rules("Looking into it.", phase="maintenance_started") == []


def test_email_and_sms_carry_the_status_page_address_and_the_web_need_not() -> None:
    text = "Resolved."
    assert _rules(text, phase="resolved", channel="sms") == ["status-url"]
    assert _rules(text, phase="resolved", channel="email") == ["status-url"]
    assert _rules(text, phase="resolved", channel="web") == []
    assert _rules(f"{text} {settings.CANDOR_CANONICAL_URL}", phase="resolved", channel="sms") == []


def test_length_limits_per_channel() -> None:
    assert _rules("a" * 2000, phase="resolved") == []
    [violation] = wording.check("a" * 2001, channel="web", phase="resolved")
    assert (violation.rule, violation.start, violation.end) == ("length-web", 2000, 2001)
    url = settings.CANDOR_CANONICAL_URL
    assert _rules(f"{'a' * (306 - len(url) - 1)} {url}", phase="resolved", channel="sms") == []
    assert _rules(f"{'a' * (307 - len(url) - 1)} {url}", phase="resolved", channel="sms") == [
        "length-sms"
    ]


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("", "GSM-7", 0),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("a" * 306, "GSM-7", 2),
        ("a" * 307, "GSM-7", 3),
        ("€" * 80, "GSM-7", 1),  # extension characters count two
        ("€" * 81, "GSM-7", 2),
        ("é" * 160, "GSM-7", 1),  # in the basic set
        ("ł" * 70, "UCS-2", 1),
        ("ł" * 71, "UCS-2", 2),
        ("ł" * 134, "UCS-2", 2),
        ("ł" * 135, "UCS-2", 3),
        ("😀" * 35, "UCS-2", 1),  # two UTF-16 units each
    ],
)
def test_sms_encoding_and_segments(text: str, encoding: str, segments: int) -> None:
    info = wording.sms_info(text)
    assert (info.encoding, info.segments) == (encoding, segments)


def test_rules_are_data_an_admin_changes_in_new_versions(admin: Any) -> None:
    actor = Actor.staff(admin, channel="console")
    rule_save(
        actor=actor,
        key="hype",
        kind="banned_phrase",
        pattern="amazing\nawesome",
        reason="Hype is not information.",
    )
    assert _rules("An amazing fix.", phase="resolved") == ["hype"]

    retired = rule_save(
        actor=actor, key="hype", kind="banned_phrase", pattern="amazing", reason="x", active=False
    )
    assert retired.version == 2
    assert _rules("An amazing fix.", phase="resolved") == []


def test_a_broken_rule_is_refused(admin: Any) -> None:
    actor = Actor.staff(admin, channel="console")
    with pytest.raises(ValidationError):
        rule_save(actor=actor, key="bad", kind="banned_pattern", pattern="(", reason="x")
    with pytest.raises(ValidationError):
        rule_save(actor=actor, key="bad", kind="banned_phrase", pattern="--", reason="x")


def test_placeholders_are_a_closed_set_and_braces_are_escaped() -> None:
    values = {"title": "Slow API", "components": "API"}
    assert wording.render("{title}: {{not a placeholder}} on {components}", values) == (
        "Slow API: {not a placeholder} on API"
    )
    for body in ["{title.__class__}", "{% if x %}", "{{title}", "{user}", "a } b"]:
        with pytest.raises(ValidationError):
            wording.parse(body)


def test_a_rendering_matches_its_template_only_with_what_placeholders_may_say() -> None:
    body = "{title}: problems with {components}. Next update by {next_update_at}."
    context = wording.MatchContext(title="Slow API", component_names=["API", "Web app"])

    assert wording.is_rendering(
        "Slow API: problems with API. Next update by 15:00 UTC.", body, context
    )
    assert wording.is_rendering(
        "Slow API: problems with API and Web app. Next update by 15:00 UTC.", body, context
    )
    # Anything else in a placeholder's place is not the template.
    assert not wording.is_rendering(
        "Slow API: problems with everything, we guarantee. Next update by 15:00 UTC.", body, context
    )
    assert not wording.is_rendering(
        "Other: problems with API. Next update by 15:00 UTC.", body, context
    )
    assert not wording.is_rendering(
        "Slow API: problems with API. Next update by soon.", body, context
    )
