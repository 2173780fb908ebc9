"""What every write checks before it opens a transaction: texts, choices, components, and
whether the words may be published (approved, and within the wording policy)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError

from incidents import wording
from incidents.audit import Actor
from incidents.models import Component, ComponentStatus, Incident, Maintenance
from incidents.text import text_problem
from incidents.wording import approvals, overrides

MAX_NAME_LENGTH = 200
MAX_BODY_LENGTH = 20_000

ComponentImpacts = Mapping[Component, ComponentStatus]

Errors = dict[str, list[str]]

NOT_APPROVED = (
    "These words are not approved for this phase: use an approved template, or submit "
    "them for approval as custom text."
)


def check_text(
    errors: Errors,
    field: str,
    value: str,
    limit: int,
    *,
    required: bool = True,
    multiline: bool = True,
) -> None:
    """Required and within `limit`, and nothing text.py refuses."""
    if required and (not value or not value.strip()):
        errors[field].append("This field is required.")
    elif len(value) > limit:
        errors[field].append(f"At most {limit} characters (this has {len(value)}).")
    elif problem := text_problem(value, multiline=multiline):
        errors[field].append(f"This text {problem}")


def check_choice(errors: Errors, field: str, value: str, choices: type) -> None:
    if value not in choices.values:  # type: ignore[attr-defined]
        allowed = ", ".join(choices.values)  # type: ignore[attr-defined]
        errors[field].append(f"{value!r} is not one of: {allowed}.")


def check_components_exist(errors: Errors, components: Iterable[Component]) -> None:
    wanted = {c.pk for c in components}
    known = set(Component.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    for component in components:
        if component.pk not in known:
            errors["components"].append(f"Unknown component {component.name!r}.")


def check_components(errors: Errors, components: ComponentImpacts) -> None:
    check_components_exist(errors, components)
    for status in components.values():
        if status not in ComponentStatus.values:
            errors["components"].append(f"{status!r} is not a component status.")
        elif status == ComponentStatus.UNDER_MAINTENANCE:
            errors["components"].append(
                "Incidents cannot set 'under_maintenance'; schedule a maintenance instead."
            )


def raise_if(errors: Errors) -> None:
    if any(errors.values()):
        raise ValidationError({k: v for k, v in errors.items() if v})


def match_context(title: str) -> wording.MatchContext:
    return wording.MatchContext(
        title=title, component_names=list(Component.objects.values_list("name", flat=True))
    )


@dataclass(frozen=True)
class Words:
    """Words checked for publication, and why they may be published: an approval, or
    (basis None) the Admin's override that will say so in the writing transaction."""

    body: str
    phase: str
    basis: approvals.Basis | None
    override_reason: str

    def record(
        self, *, actor: Actor, target: Incident | Maintenance, now: datetime
    ) -> dict[str, str]:
        """The basis to keep in the audit event; records the override when there is one."""
        basis = self.basis
        if basis is None:
            basis = overrides.override_record(
                actor=actor,
                reason=self.override_reason,
                body=self.body,
                phase=self.phase,
                target=target,
                now=now,
            )
        return basis.as_dict()


def words_check(
    body: str,
    *,
    phase: str,
    title: str,
    override_reason: str,
    incident: Incident | None = None,
    maintenance: Maintenance | None = None,
) -> Words:
    """These words, with why they may be published.

    Raises WordingRefused, listing every violation, when the words are not approved or
    break the policy. An override skips both checks; overrides.override_record, called in
    the writing transaction (Words.record), verifies the Admin and records it.
    """
    if override_reason:
        return Words(body=body, phase=phase, basis=None, override_reason=override_reason)
    violations = wording.check(body, channel="web", phase=phase)
    context = match_context(title)
    basis = approvals.approved_basis(
        body, phase=phase, context=context, incident=incident, maintenance=maintenance
    )
    if basis is None:
        raise wording.WordingRefused(NOT_APPROVED, violations)
    if violations:
        raise wording.WordingRefused("These words break the wording policy.", violations)
    return Words(body=body, phase=phase, basis=basis, override_reason="")
