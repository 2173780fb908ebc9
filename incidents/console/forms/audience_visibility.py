"""Forms for who may read what (docs/design.md, "Audiences")."""

from __future__ import annotations

from django import forms

from incidents.models import Audience


class AudiencesForm(forms.Form):
    audiences = forms.ModelMultipleChoiceField(
        queryset=Audience.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Shown only to readers of",
        help_text="None chosen: public.",
    )


class AudienceWordsForm(forms.Form):
    audience = forms.ModelChoiceField(
        queryset=Audience.objects.order_by("name"), to_field_name="slug", label="Audience"
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Words for this audience only",
        help_text="Checked by the wording policy and approvals like any update.",
    )


class TokenForm(forms.Form):
    audience = forms.ModelChoiceField(
        queryset=Audience.objects.order_by("name"), to_field_name="slug", label="Audience"
    )
    label = forms.CharField(max_length=200, label="Who or what reads with it")
