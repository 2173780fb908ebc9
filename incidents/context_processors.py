from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def candor(request: HttpRequest) -> dict[str, str]:
    return {
        "page_name": settings.CANDOR_PAGE_NAME,
        "canonical_url": settings.CANDOR_CANONICAL_URL,
    }
