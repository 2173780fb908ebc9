"""Schedules, contacts, owners. Forms check shape; the services say what is allowed, and
their refusals land on these same fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.cadence import Schedule
from incidents.models import Contact

MINUTES = forms.NumberInput(attrs={"inputmode": "numeric"})


class ScheduleForm(forms.Form):
    first_minutes = forms.IntegerField(
        label=_("First update after (minutes)"), widget=MINUTES, help_text=_("After opening.")
    )
    then_minutes = forms.IntegerField(
        label=_("Second update after (minutes)"), widget=MINUTES, help_text=_("After the first.")
    )
    every_minutes = forms.IntegerField(
        label=_("Then every (minutes)"), widget=MINUTES, help_text=_("Until resolved.")
    )

    def schedule(self) -> Schedule:
        data = self.cleaned_data
        return Schedule(data["first_minutes"], data["then_minutes"], data["every_minutes"])


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=20,
        help_text=_("International format, e.g. +14155550100."),
    )
    on_call = forms.BooleanField(
        required=False, label=_("On call: reminded about incidents nobody owns, and maintenance")
    )
    escalation_rank = forms.IntegerField(
        required=False,
        min_value=1,
        label=_("Escalation rank"),
        help_text=_("1 is told first when an update is overdue, then 2, … Empty: not on the list."),
        widget=MINUTES,
    )


class OwnersForm(forms.Form):
    owners = forms.ModelMultipleChoiceField(
        label=_("Owners"),
        queryset=Contact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        to_field_name="public_id",  # integer keys never leave the database
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["owners"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Contact.objects.order_by("name", "pk")
