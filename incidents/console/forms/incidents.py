"""Opening, updating and resolving incidents.

Forms check shape (required, length, choices) so errors show beside the field at once;
the rules themselves live in lifecycle, whose refusals the views put on the same forms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms import BoundField
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from incidents.console.forms.widgets import MarkdownField, NotifyFieldsMixin, OverrideReasonField
from incidents.lifecycle import MAX_NAME_LENGTH
from incidents.models import (
    Component,
    ComponentStatus,
    Incident,
    IncidentImpact,
    IncidentStatus,
)

COMPONENT_PREFIX = "component_"

# Maintenance puts components under maintenance; an incident never does.
INCIDENT_COMPONENT_CHOICES = [
    (s.value, s.label) for s in ComponentStatus if s != ComponentStatus.UNDER_MAINTENANCE
]


@dataclass(frozen=True)
class ComponentRow:
    component: Component
    field: BoundField
    current_effect: str | None  # this incident's effect on it now, when it has one

    @property
    def current_effect_label(self) -> str:
        return str(ComponentStatus(self.current_effect).label) if self.current_effect else ""


class ComponentImpactsMixin(forms.Form):
    """One select per component: how the incident affects it, or blank for no effect."""

    blank_label = _("Not affected")

    def add_component_fields(self, components: Sequence[Component]) -> None:
        self.components = list(components)
        for component in self.components:
            self.fields[COMPONENT_PREFIX + component.public_id] = forms.ChoiceField(
                label=component.name,
                required=False,
                choices=[("", self.blank_label), *INCIDENT_COMPONENT_CHOICES],
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # A component deleted since the form was loaded would otherwise vanish silently
        # from what the responder meant to say.
        unknown = sorted(
            key.removeprefix(COMPONENT_PREFIX)
            for key in self.data
            if key.startswith(COMPONENT_PREFIX) and self.data[key] and key not in self.fields
        )
        if unknown:
            raise forms.ValidationError(
                f"Unknown component {', '.join(unknown)}: reload the page and check the components."
            )
        return cleaned

    def component_impacts(self) -> dict[Component, ComponentStatus]:
        chosen = {c: self.cleaned_data.get(COMPONENT_PREFIX + c.public_id) for c in self.components}
        return {c: ComponentStatus(status) for c, status in chosen.items() if status}

    def component_rows(self, effects: dict[int, str] | None = None) -> list[ComponentRow]:
        effects = effects or {}
        return [
            ComponentRow(
                component=component,
                field=self[COMPONENT_PREFIX + component.public_id],
                current_effect=effects.get(component.pk),
            )
            for component in self.components
        ]


class IncidentOpenForm(ComponentImpactsMixin, NotifyFieldsMixin):
    name = forms.CharField(
        label=_("Name"), max_length=MAX_NAME_LENGTH, help_text=_("Shown publicly as the title.")
    )
    impact = forms.ChoiceField(
        label=_("Impact"), choices=IncidentImpact.choices, initial=IncidentImpact.MINOR
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[c for c in IncidentStatus.choices if c[0] != IncidentStatus.RESOLVED],
        initial=IncidentStatus.INVESTIGATING,
    )
    body = MarkdownField(label=_("First update"))
    override_reason = OverrideReasonField()

    def __init__(self, *args: Any, components: Sequence[Component], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_component_fields(components)


class UpdatePostForm(ComponentImpactsMixin, NotifyFieldsMixin):
    blank_label = _("No change")

    status = forms.ChoiceField(label=_("Status"), choices=IncidentStatus.choices)
    impact = forms.ChoiceField(required=False, label=_("Impact"))
    body = MarkdownField(label=_("Update"))
    override_reason = OverrideReasonField()

    def __init__(
        self, *args: Any, incident: Incident, components: Sequence[Component], **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {"status": incident.status})
        super().__init__(*args, **kwargs)
        current = IncidentImpact(incident.impact).label
        impact_field = self.fields["impact"]
        assert isinstance(impact_field, forms.ChoiceField)
        impact_field.choices = [
            ("", format_lazy(_("No change ({current})"), current=current)),
            *IncidentImpact.choices,
        ]
        self.add_component_fields(components)

    def impact_change(self) -> str | None:
        return self.cleaned_data.get("impact") or None


class ResolveForm(NotifyFieldsMixin):
    prefix = "resolve"

    body = MarkdownField(label=_("Resolution message"))  # initial: the approved template
    override_reason = OverrideReasonField()
