"""Translations of approved words: approved like the original, checked like it, and used
only when approved, for a version still in use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from incidents import lifecycle, roles, wording
from incidents.audit import Actor
from incidents.models import (
    AuditEvent,
    Incident,
    TemplateTranslation,
    TemplateVersion,
    TranslationApproval,
)
from incidents.wording import approvals, decisions
from incidents.wording.translation_approvals import (
    translation_approve,
    translation_submit,
    translations_waiting,
)
from incidents.wording.translations import (
    placeholder_values,
    translated_words,
    translations_forget,
    words_language,
)
from tests.conftest import staff_user
from tests.factories import ComponentFactory

pytestmark = [pytest.mark.wording, pytest.mark.django_db]

GERMAN = (
    "Wir untersuchen Probleme mit {components} seit {started_at}. "
    "Nächstes Update: {next_update_at}."
)


def _as(user: User) -> Actor:
    return Actor.staff(user, channel="console")


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    translations_forget()
    yield
    translations_forget()


@pytest.fixture
def writer(db: None) -> User:
    return staff_user("cole", roles.COMMUNICATOR)


@pytest.fixture
def version(db: None) -> TemplateVersion:
    """The approved investigating web template the incident below is opened with."""
    return approvals.usable_versions("investigating")[0]


@pytest.fixture
def incident(db: None, version: TemplateVersion) -> Incident:
    api = ComponentFactory(name="API")
    now = timezone.now()
    values = wording.values_for(
        title="Checkout errors", component_names=[api.name], started_at=now,
        next_update_at=now + timedelta(minutes=10),
    )  # fmt: skip
    return lifecycle.incident_open(
        actor=Actor.system("test"), name="Checkout errors", components={api: "major_outage"},
        body=wording.render(version.body, values),
    )  # fmt: skip


def _approved(translation: TemplateTranslation, legal: User, support: User) -> None:
    translation_approve(actor=_as(legal), translation=translation)
    translation_approve(actor=_as(support), translation=translation)


def test_a_translation_is_used_once_legal_and_support_approved_it(
    writer: User, legal: User, support: User, version: TemplateVersion, incident: Incident
) -> None:
    update = incident.updates.get()
    translation = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    assert translated_words(update, "de") is None  # submitted is not approved
    assert translation in translations_waiting()

    translation_approve(actor=_as(legal), translation=translation)
    assert translated_words(update, "de") is None  # half-approved is not approved
    translation_approve(actor=_as(support), translation=translation)

    words = translated_words(update, "de")
    assert words is not None and words.startswith("Wir untersuchen Probleme mit API seit ")
    # The same values as the original words: the time it promised is the one it promises.
    values = placeholder_values(update.body, version.body, wording.MatchContext("x", ["API"]))
    assert values is not None and words.endswith(f"Nächstes Update: {values['next_update_at']}.")
    assert translated_words(update, "de-AT") == words  # a regional reader reads German
    assert translated_words(update, "fr") is None  # no French translation: the original
    assert translated_words(update, "") is None and translated_words(update, "en") is None
    assert translation not in translations_waiting()
    actions = AuditEvent.objects.filter(action__startswith="translation.")
    assert sorted(actions.values_list("action", flat=True)) == [
        "translation.approved", "translation.approved", "translation.submitted",
    ]  # fmt: skip


def test_two_approvers_of_one_kind_do_not_approve_a_translation(
    writer: User, legal: User, version: TemplateVersion, incident: Incident
) -> None:
    translation = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    translation_approve(actor=_as(legal), translation=translation)
    translation_approve(actor=_as(staff_user("lee", roles.APPROVER_LEGAL)), translation=translation)

    assert translated_words(incident.updates.get(), "de") is None


def test_nobody_approves_their_own_translation_or_twice_and_only_approvers_approve(
    writer: User, legal: User, responder: User, version: TemplateVersion
) -> None:
    legal.groups.add(*roles_groups(roles.COMMUNICATOR))
    own = translation_submit(actor=_as(legal), version=version, language="de", body=GERMAN)
    with pytest.raises(ValidationError, match="Nobody approves their own words"):
        translation_approve(actor=_as(legal), translation=own)

    other = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    assert other.number == own.number + 1  # a new translation, to be approved again
    translation_approve(actor=_as(legal), translation=other)
    with pytest.raises(ValidationError, match="already approved"):
        translation_approve(actor=_as(legal), translation=other)
    with pytest.raises(PermissionError):
        translation_approve(actor=_as(responder), translation=other)
    with pytest.raises(PermissionError):  # a Responder writes no templates
        translation_submit(actor=_as(responder), version=version, language="de", body=GERMAN)
    assert TranslationApproval.objects.count() == 1


def roles_groups(*names: str) -> list[object]:
    from django.contrib.auth.models import Group

    return list(Group.objects.filter(name__in=names))


def test_a_change_needs_approval_again_and_the_approved_one_stays_meanwhile(
    writer: User, legal: User, support: User, version: TemplateVersion, incident: Incident
) -> None:
    first = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    _approved(first, legal, support)
    changed = GERMAN.replace("Wir untersuchen", "Wir prüfen")
    second = translation_submit(actor=_as(writer), version=version, language="de", body=changed)
    update = incident.updates.get()

    assert (translated_words(update, "de") or "").startswith("Wir untersuchen")
    _approved(second, legal, support)
    translations_forget()
    assert (translated_words(update, "de") or "").startswith("Wir prüfen")


def test_a_translation_of_a_superseded_version_is_not_used(
    writer: User, legal: User, support: User, version: TemplateVersion, incident: Incident
) -> None:
    translation = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    _approved(translation, legal, support)
    update = incident.updates.get()
    assert translated_words(update, "de") is not None

    newer = approvals.template_version_submit(
        actor=_as(writer), template=version.template, body=version.body + " We are sorry."
    )
    decisions.approval_give(actor=_as(legal), version=newer)
    decisions.approval_give(actor=_as(support), version=newer)
    translations_forget()

    assert translated_words(update, "de") is None  # words of v1, which v2 retired


def test_words_no_template_gave_are_never_translated(
    writer: User, legal: User, support: User, version: TemplateVersion, incident: Incident
) -> None:
    _approved(
        translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN),
        legal,
        support,
    )
    from tests.factories import promised

    update = lifecycle.update_post(
        actor=Actor.system("test"), incident=incident, status="investigating",
        body=promised("Still looking at the checkout."),
    )  # fmt: skip
    assert translated_words(update, "de") is None  # custom text: no translation to use


def test_placeholders_must_match_the_original(writer: User, version: TemplateVersion) -> None:
    for body in (
        GERMAN.replace(" seit {started_at}", ""),  # one missing
        GERMAN + " {title}",  # one more
        GERMAN.replace("{components}", "{title}"),  # another
        GERMAN + " {unknown}",  # not a placeholder at all
        GERMAN + " {",  # a stray brace
    ):
        with pytest.raises(ValidationError):
            translation_submit(actor=_as(writer), version=version, language="de", body=body)
    assert not TemplateTranslation.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        GERMAN + "\u202e",  # a bidi override
        GERMAN + "\x07",  # a control character
        GERMAN + "\ud800",  # a lone surrogate
        GERMAN + " " + "x" * 1_000_000,  # a megabyte
        "   ",
    ],
)
def test_hostile_text_is_refused(writer: User, version: TemplateVersion, body: str) -> None:
    with pytest.raises(ValidationError):
        translation_submit(actor=_as(writer), version=version, language="de", body=body)
    assert not TemplateTranslation.objects.exists()


@pytest.mark.parametrize("language", ["en", "xx", "", "de\n", "DE"])
def test_only_configured_languages_other_than_the_original(
    writer: User, version: TemplateVersion, language: str
) -> None:
    with pytest.raises(ValidationError, match="is not one of"):
        translation_submit(actor=_as(writer), version=version, language=language, body=GERMAN)
    assert words_language(language) in ("", "de")


def test_a_rule_for_german_refuses_a_german_translation_and_not_the_english_words(
    writer: User, admin: User, legal: User, version: TemplateVersion
) -> None:
    approvals.rule_save(
        actor=_as(admin), key="de-garantiert", kind="banned_phrase", pattern="garantiert",
        reason="Wir garantieren nichts.", language="de",
    )  # fmt: skip
    promise = GERMAN.replace("Wir untersuchen", "Wir untersuchen garantiert")
    with pytest.raises(wording.WordingRefused) as refused:
        translation_submit(actor=_as(writer), version=version, language="de", body=promise)
    assert [v.rule for v in refused.value.violations] == ["de-garantiert"]
    # The same word in a French translation, or in the original language, is not German.
    french = translation_submit(actor=_as(writer), version=version, language="fr", body=promise)
    assert french.pk is not None
    assert not wording.check("garantiert", channel="web", phase="resolved")
    assert wording.check("garantiert", channel="web", phase="resolved", language="de")


def test_the_rules_of_every_language_apply_to_a_translation_and_again_at_approval(
    writer: User, admin: User, legal: User, version: TemplateVersion
) -> None:
    with pytest.raises(wording.WordingRefused):  # the default policy: "guaranteed" is banned
        translation_submit(
            actor=_as(writer), version=version, language="de", body=GERMAN + " Guaranteed."
        )
    translation = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    approvals.rule_save(
        actor=_as(admin), key="de-probleme", kind="banned_phrase", pattern="Probleme",
        reason="Sagen Sie Störung.", language="de",
    )  # fmt: skip
    with pytest.raises(wording.WordingRefused):  # a rule added since it was submitted
        translation_approve(actor=_as(legal), translation=translation)
    assert not TranslationApproval.objects.exists()


def test_a_rule_for_an_unknown_language_is_refused(admin: User) -> None:
    with pytest.raises(ValidationError, match="language"):
        approvals.rule_save(
            actor=_as(admin), key="xx", kind="banned_phrase", pattern="x", reason="x",
            language="xx",
        )  # fmt: skip


def test_translations_and_their_approvals_are_write_once(
    writer: User, legal: User, version: TemplateVersion
) -> None:
    translation = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    translation_approve(actor=_as(legal), translation=translation)
    translation.body = "Alles gut."
    with pytest.raises(PermissionError):
        translation.save()
    with pytest.raises(PermissionError):
        TranslationApproval.objects.all().delete()
    if connection.vendor == "postgresql":  # the database refuses too, past the ORM
        for sql in (
            "UPDATE incidents_templatetranslation SET body = 'x'",
            "DELETE FROM incidents_translationapproval",
        ):
            with pytest.raises(DatabaseError), transaction.atomic():
                connection.cursor().execute(sql)


def test_the_dry_run_of_a_german_rule_reads_the_approved_german_translations(
    writer: User, admin: User, legal: User, support: User, version: TemplateVersion
) -> None:
    from incidents.wording import dry_run

    _approved(
        translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN),
        legal,
        support,
    )
    candidate = approvals.rule_candidate(
        actor=_as(admin), key="de-probleme", kind="banned_phrase", pattern="Probleme",
        reason="Sagen Sie Störung.", language="de",
    )  # fmt: skip
    flagged = [hit.sample for hit in dry_run.dry_run(candidate).would_flag]
    assert [(s.language, s.text.startswith("Wir untersuchen")) for s in flagged] == [("de", True)]
    english = approvals.rule_candidate(
        actor=_as(admin), key="en-problems", kind="banned_phrase", pattern="Probleme",
        reason="x",
    )  # fmt: skip
    assert [h.sample.language for h in dry_run.dry_run(english).would_flag] == ["de"]


def test_the_approvers_are_told_a_translation_waits_and_not_once_it_is_approved(
    writer: User, legal: User, support: User, version: TemplateVersion, mailoutbox, settings
) -> None:  # type: ignore[no-untyped-def]
    from incidents.approvers import notices
    from incidents.models import ApproverNotice

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with transaction.atomic():
        translation = translation_submit(
            actor=_as(writer), version=version, language="de", body=GERMAN
        )
    told = ApproverNotice.objects.filter(translation=translation)
    assert {n.approver for n in told} >= {legal, support}
    lou = told.get(approver=legal, channel="email")
    assert notices.notice_send(lou.pk) == "sent"
    message = next(m for m in mailoutbox if m.to == [legal.email])
    assert "approve a translation" in message.subject
    assert "the de translation of template" in message.body
    assert message.body.count("/console/approvals/") == 1
    assert GERMAN[:20] not in message.body  # the words are on the page, not in the mail

    _approved(translation, legal, support)
    sue = told.get(approver=support, channel="email")
    assert notices.notice_send(sue.pk) == "cancelled"  # decided before it left
