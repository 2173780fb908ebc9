from __future__ import annotations

from typing import Any

from django import forms
from django.forms.boundfield import BoundWidget
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from incidents.console.forms.widgets import (
    MarkdownField,
    NotifyFieldsMixin,
    OverrideReasonField,
    UTCDateTimeField,
)
from incidents.lifecycle import MAX_NAME_LENGTH
from incidents.models import Component, MaintenanceImpact, MaintenanceStatus
from incidents.models.maintenance import MAX_PRIOR_MINUTES


class MaintenanceScheduleForm(NotifyFieldsMixin):
    name = forms.CharField(label=_("Name"), max_length=MAX_NAME_LENGTH)
    body = MarkdownField(label=_("Announcement"))
    override_reason = OverrideReasonField()
    scheduled_for = UTCDateTimeField(label=_("Starts (UTC)"))
    scheduled_until = UTCDateTimeField(label=_("Ends (UTC)"))
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.all(),
        required=False,
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        label=_("Components under maintenance"),
    )
    auto_start = forms.BooleanField(
        required=False, initial=True, label=_("Start automatically at the start time")
    )
    auto_complete = forms.BooleanField(
        required=False, initial=True, label=_("Complete automatically at the end time")
    )
    notify_prior_minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_PRIOR_MINUTES,
        label=_("Remind subscribers this many minutes before the start"),
        help_text=_("Leave empty for no reminder."),
    )
    notify_start = forms.BooleanField(
        required=False, initial=True, label=_("Tell subscribers when it starts")
    )
    notify_end = forms.BooleanField(
        required=False, initial=True, label=_("Tell subscribers when it completes")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One "expected impact" choice per component, beside its checkbox.
        for component in Component.objects.order_by("position", "name"):
            self.fields[impact_field(component)] = forms.ChoiceField(
                choices=MaintenanceImpact.choices,
                initial=MaintenanceImpact.UNDER_MAINTENANCE,
                required=False,
                label=format_lazy(_("Expected impact on {name}"), name=component.name),
            )

    def impact_rows(self) -> list[tuple[BoundWidget, forms.BoundField]]:
        """(checkbox, impact choice) per component, for the template."""
        by_value = {str(choice.data["value"]): choice for choice in self["components"]}
        return [
            (by_value[public_id], self[name])
            for name in self.fields
            if name.startswith(IMPACT_PREFIX)
            and (public_id := name.removeprefix(IMPACT_PREFIX)) in by_value
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        components = data.get("components")
        if components is not None:
            data["components"] = {
                c: data.get(impact_field(c)) or MaintenanceImpact.UNDER_MAINTENANCE
                for c in components
            }
        for name in [n for n in data if n.startswith(IMPACT_PREFIX)]:
            del data[name]
        return data


IMPACT_PREFIX = "impact_"


def impact_field(component: Component) -> str:
    return f"{IMPACT_PREFIX}{component.public_id}"


class MaintenanceUpdateForm(NotifyFieldsMixin):
    # Lifecycle decides which moves are allowed from the current status.
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in MaintenanceStatus if s != MaintenanceStatus.SCHEDULED],
    )
    body = MarkdownField(label=_("Update"))
    override_reason = OverrideReasonField()
