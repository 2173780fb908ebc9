from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from incidents.importer.client import DEFAULT_BASE_URL


class ImportStartForm(forms.Form):
    page_id = forms.RegexField(
        regex=r"^[A-Za-z0-9_-]{1,64}$",
        max_length=64,
        label=_("Statuspage page ID"),
        help_text=_("In Statuspage: your page, then API info (twelve letters and digits)."),
        error_messages={"invalid": "Letters, digits, - and _ only, as Statuspage shows it."},
    )
    api_key = forms.CharField(
        max_length=200,
        label=_("API key"),
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Read from Statuspage only; forgotten when the import ends."),
    )
    base_url = forms.URLField(
        max_length=300,
        assume_scheme="https",
        initial=DEFAULT_BASE_URL,
        label=_("API base URL"),
        help_text=_("Statuspage's own unless you go through a proxy."),
    )

    def clean_api_key(self) -> str:
        key: str = self.cleaned_data["api_key"].strip()
        if not key.isprintable() or " " in key:
            raise forms.ValidationError(_("An API key has no spaces or control characters."))
        return key
