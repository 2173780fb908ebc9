from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.models import Component, ComponentStatus, MatchKind, SourceFormat, WindowSignals


class SourceSettingsForm(forms.Form):
    can_propose = forms.BooleanField(
        required=False, initial=True, label=_("Propose incidents for a responder to publish")
    )
    can_set_status = forms.BooleanField(required=False, label=_("Set component status"))
    can_open = forms.BooleanField(required=False, label=_("Open incidents itself"))
    during_maintenance = forms.ChoiceField(
        choices=WindowSignals.choices,
        initial=WindowSignals.RECORD,
        required=False,
        label=_("Signals on a component in a running maintenance window"),
        help_text=_(
            "Either way they never propose, open or set status; recorded ones are "
            "listed with the signals, marked as during maintenance."
        ),
    )
    rate_per_second = forms.IntegerField(min_value=1, initial=200, label=_("Rate (signals/s)"))
    burst = forms.IntegerField(min_value=1, initial=1000, label=_("Burst (signals)"))
    hold_seconds = forms.IntegerField(
        min_value=0,
        initial=60,
        label=_("Hold (s)"),
        help_text=_("A firing alert counts after this long…"),
    )
    hold_count = forms.IntegerField(
        min_value=1,
        initial=3,
        label=_("Hold (receipts)"),
        help_text=_("…or after this many receipts."),
    )
    recover_seconds = forms.IntegerField(
        min_value=0,
        initial=300,
        label=_("Quiet period (s)"),
        help_text=_("Before a recovery counts."),
    )
    flap_changes = forms.IntegerField(min_value=2, initial=4, label=_("Flapping at (changes)"))
    flap_window_seconds = forms.IntegerField(min_value=1, initial=600, label=_("within (s)"))

    def clean_during_maintenance(self) -> str:
        return self.cleaned_data.get("during_maintenance") or WindowSignals.RECORD


class SourceForm(SourceSettingsForm):
    name = forms.SlugField(
        label=_("Name"), max_length=50, help_text=_("Part of the URL: /api/ingest/<name>/")
    )
    format = forms.ChoiceField(label=_("Format"), choices=SourceFormat.choices)
    signed = forms.BooleanField(
        required=False, label=_("Also give it an HMAC signing secret (for senders that sign)")
    )

    field_order = ["name", "format", "signed"]


class RuleForm(forms.Form):
    kind = forms.ChoiceField(choices=MatchKind.choices, label=_("Match"))
    label = forms.CharField(
        label=_("Label"),
        max_length=100,
        required=False,
        help_text=_("For a service rule, blank means `service`."),
    )
    pattern = forms.CharField(max_length=300, required=False, label=_("Value or pattern"))
    component = forms.ModelChoiceField(
        label=_("Component"),
        queryset=Component.objects.all(),
        required=False,
        to_field_name="public_id",
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("From the alert's severity"))]
        + [c for c in ComponentStatus.choices if c[0] != ComponentStatus.UNDER_MAINTENANCE],
        required=False,
    )
    position = forms.IntegerField(
        label=_("Position"), min_value=0, initial=0, help_text=_("Lower is tried first.")
    )
