"""The public Statuspage-compatible API: /api/v2/*.json.

Plain Django views, not DRF: DRF would authenticate every request (a session lookup, a
query) and these are anonymous reads served from the public cache, which costs no query
at all on a hit. Every document is built by one function in DOCUMENTS, so the static
snapshot can render the same bytes without a request.

`?lang=de` (a code of CANDOR_WORDS_LANGUAGES) gives each update's body in that language
where its words have an approved translation; without it, or for a language nobody
translates into, the original words, as clients expect (README, "Approved translations").
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
from incidents.models import (
    ACTIVE_MAINTENANCE,
    IncidentUpdate,
    MaintenanceStatus,
    MaintenanceUpdate,
)
from incidents.public.cache import Rendered, public_response
from incidents.public.language import IMPACT_WORDS, STATUS_WORDS, page_words, shipped
from incidents.rendering import plain_text, render_markdown
from incidents.wording.translations import translated_many, words_language

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


def translated(document: dict[str, Any], language: str) -> dict[str, Any]:
    """The document with each update's `body` in `language` where its words have an
    approved translation (wording/translations.py); the original words otherwise."""
    updates = [
        update
        for key in ("incidents", "scheduled_maintenances")
        for item in document.get(key, [])
        for update in item.get("incident_updates", [])
    ]
    ids = [update["id"] for update in updates]
    rows: dict[str, IncidentUpdate | MaintenanceUpdate] = {
        row.public_id: row
        for row in IncidentUpdate.objects.filter(public_id__in=ids).select_related("incident")
    }
    rows |= {
        row.public_id: row
        for row in MaintenanceUpdate.objects.filter(public_id__in=ids).select_related("maintenance")
    }
    known = [update for update in updates if update["id"] in rows]
    # Looked up afresh: the public cache keeps this rendering for its generation.
    found = translated_many([rows[update["id"]] for update in known], language)
    for update, words in zip(known, found, strict=True):
        if words is not None:  # as the original's body: the text of the sanitised HTML
            update["body"] = plain_text(render_markdown(words))
    return document


def render(document: Document, language: str = "") -> Rendered:
    # Beyond Statuspage's fields, which clients ignore: when this copy was made, so a
    # reader of a published snapshot can tell how old it is.
    generated_at = statuspage.timestamp(timezone.now())
    built = translated(document(), language) if language else document()
    body = json.dumps(
        {**built, "generated_at": generated_at}, separators=(",", ":"), ensure_ascii=False
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


def _shipped_language(raw: str) -> str | None:
    """A shipped language `lang` names, its region ignored ("de-CH" reads "de"); None for
    anything else."""
    code = raw.strip().lower()[:35]
    for candidate in (code, code.partition("-")[0]):
        if candidate in shipped():
            return candidate
    return None


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
        raw = request.GET.get(LANG_PARAMETER)
        if raw is None:
            # request.path, not the full URL: a query string must not mint new cache entries.
            return public_response(request, request.path, lambda: render(document), cors=True)
        language = _shipped_language(raw)
        if language is None:
            return _cors(
                JsonResponse({"detail": f"lang must be one of {', '.join(shipped())}."}, status=400)
            )
        # Another document than the plain one: labels in that language, and update words in
        # their approved translation where one exists (the original otherwise). Its own key;
        # the public cache adds the active language to it.
        key = f"{request.path}?{LANG_PARAMETER}"
        words = words_language(language)
        with translation.override(language):
            return public_response(
                request, key, lambda: render(_labelled(document), words), cors=True
            )

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
