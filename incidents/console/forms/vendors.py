from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.models import Vendor
from incidents.vendors.service import MAX_INTERVAL, MAX_URL_LENGTH, MIN_INTERVAL


class VendorAddForm(forms.Form):
    url = forms.CharField(
        max_length=MAX_URL_LENGTH,
        label=_("Status page URL"),
        help_text=_(
            "The vendor's status page (https://status.example.com: its /api/v2/summary.json "
            "is found), a summary.json, or an RSS/Atom status feed."
        ),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the page's own name."),
    )


class VendorSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    interval = forms.IntegerField(
        min_value=MIN_INTERVAL,
        max_value=MAX_INTERVAL,
        label=_("Poll every (seconds)"),
        help_text=_("While it answers; after failures the wait grows, up to an hour."),
    )
    show_on_public_page = forms.BooleanField(
        required=False,
        label=_('Show its picked components on the public page ("Third-party services")'),
    )


class VendorPickForm(forms.Form):
    """One checkbox per component the vendor lists."""

    components = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label=_("Components that matter to us")
    )

    def __init__(self, *args: object, vendor: Vendor, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["components"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [
            (vc.external_id, f"{vc.group_name} / {vc.name}" if vc.group_name else vc.name)
            for vc in vendor.components.all()
        ]
