"""The public Statuspage-compatible API: /api/v2/*.json.

Plain Django views, not DRF: DRF would authenticate every request (a session lookup, a
query) and these are anonymous reads served from the public cache, which costs no query
at all on a hit. Every document is built by one function in DOCUMENTS, so the static
snapshot can render the same bytes without a request.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from incidents import selectors
from incidents.api import statuspage
from incidents.models import ACTIVE_MAINTENANCE, MaintenanceStatus
from incidents.public.cache import Rendered, public_response
from incidents.public.language import IMPACT_WORDS, STATUS_WORDS, page_words, shipped

Document = Callable[[], dict[str, Any]]

ALLOWED_METHODS = "GET, HEAD, OPTIONS"
# Preflight answers may be reused by browsers for a day: the answer never changes.
PREFLIGHT_MAX_AGE = 86400


def _page(now: datetime) -> statuspage.Page:
    return statuspage.page_from_settings(selectors.page_updated_at(now=now))


def summary() -> dict[str, Any]:
    state = selectors.status_summary(now=timezone.now())
    return statuspage.summary_document(state, statuspage.page_from_settings(state.updated_at))


def status() -> dict[str, Any]:
    state = selectors.status_summary(now=timezone.now())
    return statuspage.status_document(state, statuspage.page_from_settings(state.updated_at))


def components() -> dict[str, Any]:
    groups, flat = selectors.components_flat()
    return statuspage.components_document(groups, flat, _page(timezone.now()))


def incidents() -> dict[str, Any]:
    return statuspage.incidents_document(selectors.incidents_recent(), _page(timezone.now()))


def incidents_unresolved() -> dict[str, Any]:
    unresolved = selectors.incidents_recent(unresolved_only=True)
    return statuspage.incidents_document(unresolved, _page(timezone.now()))


def maintenances() -> dict[str, Any]:
    return statuspage.maintenances_document(selectors.maintenances_recent(), _page(timezone.now()))


def maintenances_upcoming() -> dict[str, Any]:
    upcoming = selectors.maintenances_recent(statuses=(MaintenanceStatus.SCHEDULED,))
    return statuspage.maintenances_document(upcoming, _page(timezone.now()))


def maintenances_active() -> dict[str, Any]:
    active = selectors.maintenances_recent(statuses=tuple(ACTIVE_MAINTENANCE))
    return statuspage.maintenances_document(active, _page(timezone.now()))


# Path under /api/v2/ -> the function building that document (also used by the snapshot).
DOCUMENTS: dict[str, Document] = {
    "summary.json": summary,
    "status.json": status,
    "components.json": components,
    "incidents.json": incidents,
    "incidents/unresolved.json": incidents_unresolved,
    "scheduled-maintenances.json": maintenances,
    "scheduled-maintenances/upcoming.json": maintenances_upcoming,
    "scheduled-maintenances/active.json": maintenances_active,
}


def render(document: Document) -> Rendered:
    # Beyond Statuspage's fields, which clients ignore: when this copy was made, so a
    # reader of a published snapshot can tell how old it is.
    generated_at = statuspage.timestamp(timezone.now())
    body = json.dumps(
        {**document(), "generated_at": generated_at}, separators=(",", ":"), ensure_ascii=False
    )
    return Rendered(body=body.encode(), content_type="application/json")


LANG_PARAMETER = "lang"


def _labelled(document: Document) -> Document:
    """`document` with the interface's words in the active language beside the values:
    `status_label` and `impact_label` next to each status and impact, the page's
    `status.description` translated. Everything else (names, the words of updates) stays
    as written; without `lang` the document is Statuspage's, untouched."""

    def labelled() -> dict[str, Any]:
        return _label(document())

    return labelled


def _label(value: Any) -> Any:
    if isinstance(value, list):
        return [_label(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {key: _label(item) for key, item in value.items()}
    if isinstance(out.get("status"), str) and out["status"] in STATUS_WORDS:
        out["status_label"] = str(STATUS_WORDS[out["status"]])
    if isinstance(out.get("impact"), str) and out["impact"] in IMPACT_WORDS:
        out["impact_label"] = str(IMPACT_WORDS[out["impact"]])
    if isinstance(out.get("indicator"), str) and isinstance(out.get("description"), str):
        out["description"] = page_words(out["description"])
    return out


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    return response


@method_decorator(csrf_exempt, name="dispatch")  # nothing here writes; a POST gets its 405
class StatuspageView(View):
    """One v2 document: GET/HEAD from the public cache, CORS preflight, 405 otherwise."""

    http_method_names = ["get", "head", "options"]
    document: Document | None = None  # set per route through as_view(document=...)

    def get(self, request: HttpRequest) -> HttpResponse:
        document = self.document
        assert document is not None
        language = request.GET.get(LANG_PARAMETER)
        if language is None:
            # request.path, not the full URL: a query string must not mint new cache entries.
            return public_response(request, request.path, lambda: render(document), cors=True)
        if language not in shipped():
            return _cors(
                JsonResponse({"detail": f"lang must be one of {', '.join(shipped())}."}, status=400)
            )
        # Another document than the plain one, also in English: its own key (the public
        # cache adds the active language to it).
        key = f"{request.path}?{LANG_PARAMETER}"
        with translation.override(language):
            return public_response(request, key, lambda: render(_labelled(document)), cors=True)

    def options(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = _cors(HttpResponse(status=204))
        response["Allow"] = ALLOWED_METHODS
        response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        # Clients revalidate with If-None-Match; allow whatever else the preflight asks for,
        # the answer is public and credential-free either way.
        requested = request.headers.get("Access-Control-Request-Headers")
        response["Access-Control-Allow-Headers"] = requested or "If-None-Match"
        response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
        return response

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        response = JsonResponse(
            {"detail": f"Method {request.method} not allowed; this API is read-only."}, status=405
        )
        response["Allow"] = ALLOWED_METHODS
        return _cors(response)
