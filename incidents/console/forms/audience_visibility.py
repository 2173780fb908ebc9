"""Forms for who may read what (docs/design.md, "Audiences")."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.models import Audience


class AudiencesForm(forms.Form):
    audiences = forms.ModelMultipleChoiceField(
        queryset=Audience.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Shown only to readers of"),
        help_text=_("None chosen: public."),
    )


class AudienceWordsForm(forms.Form):
    audience = forms.ModelChoiceField(
        queryset=Audience.objects.order_by("name"), to_field_name="slug", label=_("Audience")
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Words for this audience only"),
        help_text=_("Checked by the wording policy and approvals like any update."),
    )


class TokenForm(forms.Form):
    audience = forms.ModelChoiceField(
        queryset=Audience.objects.order_by("name"), to_field_name="slug", label=_("Audience")
    )
    label = forms.CharField(max_length=200, label=_("Who or what reads with it"))
