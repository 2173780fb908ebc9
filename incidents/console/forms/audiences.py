"""The Admin's audience forms: lists are typed one per line; the service validates them
(incidents/readers/audiences.py), as it does for the staff API."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]


class AudienceForm(forms.Form):
    slug = forms.CharField(
        label=_("Slug"),
        max_length=63,
        help_text=_(
            "In the audience's addresses (/a/<slug>/): lower-case letters, digits and "
            "hyphens. It cannot change once created."
        ),
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), max_length=2000, required=False, widget=forms.Textarea
    )
    oidc_groups = forms.CharField(
        label=_("Single sign-on groups"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One group a line: readers in any of them (the provider's groups claim) "
            "read this audience's pages after signing in."
        ),
    )
    ip_allowlist = forms.CharField(
        label=_("IP allow-list"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One network a line, such as 203.0.113.0/24 or 2001:db8::/32. Empty: "
            "readers may come from any address."
        ),
    )

    def __init__(self, *args: object, editing: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if editing:
            del self.fields["slug"]

    def values(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "description": data["description"],
            "oidc_groups": _lines(data["oidc_groups"]),
            "ip_allowlist": _lines(data["ip_allowlist"]),
        }


class InviteForm(forms.Form):
    email = forms.CharField(max_length=254, label=_("Email address"))
