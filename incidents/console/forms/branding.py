"""The page branding form. It checks shape only; branding/service.py says what is allowed,
and its refusals (contrast, images, links) land on these same fields."""

from __future__ import annotations

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from incidents.branding import images
from incidents.branding.service import KEEP, ImageChange

COLOUR = forms.TextInput(attrs={"placeholder": "#0858c2", "size": 8, "spellcheck": "false"})


class BrandingForm(forms.Form):
    site_name = forms.CharField(
        label=_("Site name"),
        required=False,
        max_length=100,
        help_text=_("The header, page titles, feeds and the v2 JSON. Empty: the configured name."),
    )
    accent_light = forms.CharField(
        label=_("Accent colour, light scheme"),
        required=False,
        max_length=7,
        widget=COLOUR,
        help_text=_(
            "Links and the Subscribe button, as #rrggbb. Must reach 4.5:1 against "
            "#f6f8fa and #ffffff. Empty: the stock blue."
        ),
    )
    accent_dark = forms.CharField(
        label=_("Accent colour, dark scheme"),
        required=False,
        max_length=7,
        widget=COLOUR,
        help_text=_(
            "For readers whose system is set to dark. Must reach 4.5:1 against "
            "#0d1117 and #151b23. Empty: the stock light blue."
        ),
    )
    support_url = forms.CharField(
        label=_("Support link"),
        required=False,
        max_length=500,
        help_text=_(
            "An https:// address or mailto: address, linked as “Contact support” in "
            "the footer. Empty: no link."
        ),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png"}),
        help_text=format_lazy(
            _(
                "PNG, at most {kb} KB and {side} pixels a side; shown 32 pixels high beside "
                "the name. SVG is not accepted."
            ),
            kb=images.MAX_BYTES // 1024,
            side=images.LOGO.max_side,
        ),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    favicon = forms.FileField(
        label=_("Favicon"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/png"}),
        help_text=format_lazy(
            _("Square PNG, {low} to {high} pixels, at most {kb} KB."),
            low=images.FAVICON.min_side,
            high=images.FAVICON.max_side,
            kb=images.MAX_BYTES // 1024,
        ),
    )
    remove_favicon = forms.BooleanField(label=_("Remove the favicon"), required=False)

    def clean_logo(self) -> object:
        return _within_limit(self.cleaned_data.get("logo"))

    def clean_favicon(self) -> object:
        return _within_limit(self.cleaned_data.get("favicon"))

    def image_change(self, field: str) -> ImageChange:
        """KEEP, None (remove) or the uploaded bytes."""
        upload = self.cleaned_data.get(field)
        if upload:
            return bytes(upload.read(images.MAX_BYTES + 1))
        if self.cleaned_data.get(f"remove_{field}"):
            return None
        return KEEP


def _within_limit(upload: object) -> object:
    size = getattr(upload, "size", 0) or 0
    if size > images.MAX_BYTES:
        raise forms.ValidationError(
            f"The file is {size // 1024} KB; at most {images.MAX_BYTES // 1024} KB is accepted."
        )
    return upload
