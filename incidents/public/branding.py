"""The branding's assets as files of the public site: the accent stylesheet, the logo and
the favicon. Served like every public page (the public cache, ETag, Cache-Control, the
last snapshot when the database is down), so the static copy holds them at the same paths.

The CSP forbids inline styles and other origins' images, hence files of our own.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from incidents.branding.brand import current_brand
from incidents.models import Branding
from incidents.public.cache import Rendered, public_response

CSS = "text/css; charset=utf-8"
PNG = "image/png"
_NOT_FOUND = Rendered(b"No such branding asset.\n", "text/plain; charset=utf-8", status=404)


def brand_css(request: HttpRequest) -> HttpResponse:
    def render() -> Rendered:
        brand = current_brand()
        if not brand.has_stylesheet:
            return _NOT_FOUND
        return Rendered(brand.stylesheet.encode(), CSS)

    return public_response(request, request.path, render)


def brand_logo(request: HttpRequest) -> HttpResponse:
    return public_response(request, request.path, lambda: _image("logo"))


def brand_favicon(request: HttpRequest) -> HttpResponse:
    return public_response(request, request.path, lambda: _image("favicon"))


def _image(field: str) -> Rendered:
    found = Branding.objects.filter(pk=Branding.SINGLETON).values_list(field, flat=True).first()
    if not found:
        return _NOT_FOUND
    return Rendered(bytes(found), PNG)
