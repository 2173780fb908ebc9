"""/api/staff/branding/: the page branding, read by any staff account, set by Admins.

The same service as the console (branding/service.py), so the same checks: contrast per
colour scheme, PNG only (SVG refused), https or mailto links. Images travel as base64 in
the JSON body (the staff API takes JSON only): absent keeps the current one, null removes it.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.idempotency import idempotent
from incidents.api.staff_views import READ_ERRORS, WRITE_ERRORS, StaffView, _errors
from incidents.branding import images
from incidents.branding.brand import Brand, current_brand
from incidents.branding.service import KEEP, ImageChange, branding_set
from incidents.models import Branding

# base64 makes 4 characters of 3 bytes; a little more, so the size refusal names the size.
_MAX_BASE64 = (images.MAX_BYTES // 3 + 2) * 4 + 1024


class PngField(serializers.CharField):
    """A PNG as base64; null to remove the image."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            required=False, allow_null=True, max_length=_MAX_BASE64, trim_whitespace=True, **kwargs
        )

    # The checked base64 text becomes the PNG's bytes; CharField's stubs promise a str.
    def to_internal_value(self, data: Any) -> bytes:  # type: ignore[override]
        text = super().to_internal_value(data)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("Not valid base64.") from None


class BrandingIn(serializers.Serializer):
    site_name = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="Empty: CANDOR_PAGE_NAME."
    )
    accent_light = serializers.CharField(
        allow_blank=True, help_text="#rrggbb, 4.5:1 against #f6f8fa and #ffffff; empty: stock."
    )
    accent_dark = serializers.CharField(
        allow_blank=True, help_text="#rrggbb, 4.5:1 against #0d1117 and #151b23; empty: stock."
    )
    support_url = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="https:// or mailto:; empty: none."
    )
    logo_png = PngField(help_text="base64 PNG, at most 256 KB, 16 to 1024 pixels a side.")
    favicon_png = PngField(help_text="base64 square PNG, 16 to 512 pixels, at most 256 KB.")


class BrandingOut(serializers.Serializer):
    site_name = serializers.CharField(help_text="The name in force (CANDOR_PAGE_NAME if unset).")
    accent_light = serializers.CharField(help_text="#rrggbb, or empty for the stock colour.")
    accent_dark = serializers.CharField()
    support_url = serializers.CharField()
    logo_url = serializers.CharField(allow_null=True)
    logo_width = serializers.IntegerField()
    logo_height = serializers.IntegerField()
    favicon_url = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


def _out(brand: Brand) -> dict[str, Any]:
    row = Branding.objects.filter(pk=Branding.SINGLETON).only("updated_at").first()
    return BrandingOut(
        {
            "site_name": brand.site_name,
            "accent_light": brand.accent_light,
            "accent_dark": brand.accent_dark,
            "support_url": brand.support_url,
            "logo_url": brand.logo_url if brand.has_logo else None,
            "logo_width": brand.logo_width,
            "logo_height": brand.logo_height,
            "favicon_url": brand.favicon_url if brand.has_favicon else None,
            "updated_at": row.updated_at if row else None,
        }
    ).data


_API_NAMES = {"logo": "logo_png", "favicon": "favicon_png"}


def _image(data: dict[str, Any], key: str) -> ImageChange:
    if key not in data:
        return KEEP
    value: bytes | None = data[key]
    return value


class BrandingView(StaffView):
    pagination_class = None

    @extend_schema(
        tags=["branding"], summary="The page branding in force",
        responses={200: BrandingOut, **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(_out(current_brand()))

    @extend_schema(
        tags=["branding"], summary="Set the page branding (Admins)",
        description="Republishes the public page and its static copies. Images: omit to "
        "keep, null to remove.",
        request=BrandingIn,
        responses={200: BrandingOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request) -> Response:
        parsed = BrandingIn(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = dict(parsed.validated_data)
        try:
            branding_set(
                actor=self.actor(),
                site_name=data["site_name"],
                accent_light=data["accent_light"],
                accent_dark=data["accent_dark"],
                support_url=data["support_url"],
                logo=_image(data, "logo_png"),
                favicon=_image(data, "favicon_png"),
            )
        except ValidationError as refused:
            # The service names the images as the console does; here they are *_png.
            raise ValidationError(
                {_API_NAMES.get(k, k): v for k, v in refused.message_dict.items()}
            ) from None
        return Response(_out(current_brand()))
