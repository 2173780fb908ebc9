from __future__ import annotations

from django import forms

from incidents.console.forms.widgets import (
    MarkdownField,
    NotifyFieldsMixin,
    OverrideReasonField,
    UTCDateTimeField,
)
from incidents.lifecycle import MAX_NAME_LENGTH
from incidents.models import Component, MaintenanceStatus


class MaintenanceScheduleForm(NotifyFieldsMixin):
    name = forms.CharField(max_length=MAX_NAME_LENGTH)
    body = MarkdownField(label="Announcement")
    override_reason = OverrideReasonField()
    scheduled_for = UTCDateTimeField(label="Starts (UTC)")
    scheduled_until = UTCDateTimeField(label="Ends (UTC)")
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.all(),
        required=False,
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        label="Components under maintenance",
    )
    auto_start = forms.BooleanField(
        required=False, initial=True, label="Start automatically at the start time"
    )
    auto_complete = forms.BooleanField(
        required=False, initial=True, label="Complete automatically at the end time"
    )


class MaintenanceUpdateForm(NotifyFieldsMixin):
    # Lifecycle decides which moves are allowed from the current status.
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in MaintenanceStatus if s != MaintenanceStatus.SCHEDULED]
    )
    body = MarkdownField(label="Update")
    override_reason = OverrideReasonField()
