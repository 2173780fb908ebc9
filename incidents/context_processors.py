from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

# Set in the WSGI environ of the requests that render the published static copy
# (publish/snapshot.py): pages then leave out what only the live app can answer.
STATIC_COPY = "candor.static_copy"


def candor(request: HttpRequest) -> dict[str, Any]:
    return {
        "page_name": settings.CANDOR_PAGE_NAME,
        "canonical_url": settings.CANDOR_CANONICAL_URL,
        "app_url": settings.CANDOR_APP_URL,
        "static_copy": bool(request.META.get(STATIC_COPY)),
    }
