from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from incidents.branding.brand import Brand, current_brand

# Set in the WSGI environ of the requests that render the published static copy
# (publish/snapshot.py): pages then leave out what only the live app can answer.
STATIC_COPY = "candor.static_copy"


def candor(request: HttpRequest, *, brand: Brand | None = None) -> dict[str, Any]:
    """`brand` for a page rendered while the database is unreachable (the defaults)."""
    brand = brand or current_brand()
    return {
        "brand": brand,
        "page_name": brand.site_name,
        "canonical_url": settings.CANDOR_CANONICAL_URL,
        "app_url": settings.CANDOR_APP_URL,
        "static_copy": bool(request.META.get(STATIC_COPY)),
    }
