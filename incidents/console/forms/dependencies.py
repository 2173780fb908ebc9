from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.models import Component, DependencyKind


class DependencyForm(forms.Form):
    """`component` depends on the upstream chosen here."""

    upstream = forms.ModelChoiceField(
        queryset=Component.objects.none(),
        to_field_name="public_id",
        label=_("Depends on"),
        empty_label=_("Choose a component"),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), choices=DependencyKind.choices, initial=DependencyKind.HARD
    )
    auto_apply = forms.BooleanField(
        required=False,
        label=_("Apply the impact without a responder (Admins only)"),
    )

    def __init__(self, *args: Any, component: Component, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["upstream"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Component.objects.exclude(pk=component.pk)


class DependencyEditForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DependencyKind.choices)
    auto_apply = forms.BooleanField(required=False, label=_("Apply without a responder"))
