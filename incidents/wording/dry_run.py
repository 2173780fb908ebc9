"""A policy rule's dry run: what a new version would have flagged in the words we actually
used (the last 90 days of published updates, every approved template as it renders, and
its approved translations),
beside what the version in force flags, so an Admin sees the effect before saving it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from incidents import wording
from incidents.models import Channel, IncidentUpdate, MaintenanceUpdate, Phase, WordingRule
from incidents.wording import approvals
from incidents.wording.translations import approved_translation

DAYS = 90
MAX_TEXTS = 5000  # a bound on the page's work; the result says when it was reached


@dataclass(frozen=True)
class Sample:
    source: str  # what the words are, for the Admin: "Incident update …", "Template …"
    text: str
    phase: str
    channel: str
    language: str = ""  # a translation's; "" the original words


@dataclass(frozen=True)
class Hit:
    sample: Sample
    violations: list[wording.Violation]
    already: bool  # the version in force flags it too


@dataclass
class DryRun:
    days: int
    checked: int = 0
    truncated: bool = False
    would_flag: list[Hit] = field(default_factory=list)
    would_stop_flagging: list[Sample] = field(default_factory=list)

    @property
    def newly_flagged(self) -> int:
        return sum(1 for hit in self.would_flag if not hit.already)


def samples(*, now: datetime | None = None, days: int = DAYS) -> Iterator[Sample]:
    """Published words: updates of the last `days` days, then approved templates."""
    since = (now or timezone.now()) - timedelta(days=days)
    published = (
        (IncidentUpdate, "incident", "Update to", wording.incident_phase),
        (MaintenanceUpdate, "maintenance", "Update to maintenance", wording.maintenance_phase),
    )
    for model, parent, label, phase_of in published:
        for update in (
            model.objects.filter(created_at__gte=since)
            .select_related(parent)
            .order_by("-created_at")
        ):
            yield Sample(
                f"{label} “{getattr(update, parent).name}”, "
                f"{wording.format_time(update.created_at, with_date=True)}",
                update.body,
                phase_of(update.status),
                "web",
            )
    for phase in Phase.values:
        for channel in Channel.values:
            for version in approvals.usable_versions(phase, channel):
                yield Sample(
                    f"Template “{version.template.name}” v{version.number} ({channel})",
                    wording.render(version.body, wording.sample_values()),
                    phase,
                    wording.channel_for(channel),
                )
                # Its approved translations: a rule for one language reads those.
                for language in settings.CANDOR_WORDS_LANGUAGES[1:]:
                    translation = approved_translation(version, language)
                    if translation is not None:
                        yield Sample(
                            f"Template “{version.template.name}” v{version.number} "
                            f"({channel}, {language})",
                            wording.render(translation.body, wording.sample_values()),
                            phase,
                            wording.channel_for(channel),
                            language,
                        )


def dry_run(candidate: WordingRule, *, now: datetime | None = None, days: int = DAYS) -> DryRun:
    """What `candidate` (an unsaved next version of its key) would flag, against the
    version of that key in force (none for a new key)."""
    current = next((r for r in wording.current_rules() if r.key == candidate.key), None)
    new_rules = [candidate] if candidate.active else []
    old_rules = [current] if current else []
    result = DryRun(days=days)
    for sample in samples(now=now, days=days):
        if result.checked >= MAX_TEXTS:
            result.truncated = True
            break
        result.checked += 1
        args = {"channel": sample.channel, "phase": sample.phase, "language": sample.language}
        after = wording.check(sample.text, rules=new_rules, **args)
        before = bool(old_rules) and bool(wording.check(sample.text, rules=old_rules, **args))
        if after:
            result.would_flag.append(Hit(sample, after, already=before))
        elif before:
            result.would_stop_flagging.append(sample)
    return result
