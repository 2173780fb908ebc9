from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.lifecycle import MAX_BODY_LENGTH, MAX_NAME_LENGTH
from incidents.models import ComponentGroup, ComponentStatus


class ManualStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ComponentStatus.choices, label=_("Set status"))


class ComponentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=MAX_NAME_LENGTH)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    group = forms.ModelChoiceField(
        label=_("Group"),
        queryset=ComponentGroup.objects.all(),
        required=False,
        empty_label=_("No group"),
        to_field_name="public_id",
    )
    position = forms.IntegerField(
        label=_("Position"), min_value=0, initial=0, help_text=_("Lower comes first.")
    )
    showcase = forms.BooleanField(required=False, initial=True, label=_("Show on the public page"))
    only_show_if_degraded = forms.BooleanField(
        required=False, label=_("Only show when not operational")
    )


class GroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=MAX_NAME_LENGTH)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=MAX_BODY_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    position = forms.IntegerField(
        label=_("Position"), min_value=0, initial=0, help_text=_("Lower comes first.")
    )
