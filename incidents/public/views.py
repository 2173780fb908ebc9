"""The public status site: every view renders through the public cache.

Templates get frozen dataclasses from the selectors and nothing that can reach the
database (no request.user, no session), so a cache hit costs no query at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from incidents import selectors
from incidents.audiences.viewer import audience_names, current_viewer
from incidents.branding.brand import default_brand
from incidents.context_processors import candor
from incidents.public.cache import Rendered, public_response
from incidents.public.cache_control import public_header
from incidents.public.fragments import components_html
from incidents.public.ical import is_cancelled
from incidents.public.uptime_bars import NARROW_DAYS, runs_fit_inline
from incidents.public.uptime_details import first_day, uptime_document
from incidents.publish import verified
from incidents.reliability.visibility import report_visibility
from incidents.wording.translations import page_words_reused

HTML = "text/html; charset=utf-8"
HISTORY_PAGE_MONTHS = 3
# /history shows each month's newest this many; a month's own pages hold MONTH_PAGE_SIZE,
# so no history page grows with the number of incidents.
HISTORY_PREVIEW = 10
MONTH_PAGE_SIZE = 100


def render_page(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> Rendered:
    # Rendered without the request on purpose: RequestContext would run the auth and
    # messages context processors, which touch the session and the database.
    context = {
        **candor(request),
        "path": request.path,
        "generated_at": timezone.now(),
        "overall": selectors.overall_indicator(),
        "report_on": report_visibility().enabled,
        # Who the page is rendered for: a reader of audiences is told so (never cached).
        "reading_as": audience_names(current_viewer()),
        **context,
    }
    # An update's words in the page's language: each language's approved translations
    # looked at once for the page, however many updates it shows (templatetags).
    with page_words_reused():
        body = render_to_string(template, context)
    return Rendered(body=body.encode(), content_type=HTML, status=status)


def not_found(request: HttpRequest, what: str) -> Rendered:
    return render_page(request, "public/not_found.html", {"what": what}, status=404)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's handler404: the public page's own "not found", or JSON under /api/.

    Not through the public cache: any path can be asked for, and each would keep an entry.
    """
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    try:
        rendered = not_found(request, "page")
    except DatabaseError:  # the header's status needs the database; the page does not
        body = render_to_string(
            "public/not_found.html",
            {
                **candor(request, brand=default_brand()),
                "path": request.path,
                "what": "page",
                "generated_at": None,
            },
        )
        rendered = Rendered(body.encode(), HTML, 404)
    return HttpResponse(rendered.body, content_type=rendered.content_type, status=404)


def _serve(request: HttpRequest, render: Callable[[], Rendered]) -> HttpResponse:
    return public_response(request, request.path, render)


def status_page(request: HttpRequest) -> HttpResponse:
    def render() -> Rendered:
        days = settings.CANDOR_UPTIME_DAYS
        status = selectors.public_status(now=timezone.now(), uptime_days=days)
        inline_runs = runs_fit_inline(
            (c.uptime_days for c in status.components if c.showcase), recent=NARROW_DAYS
        )
        context = {
            "status": status,
            "uptime_days": days,
            "first_day": first_day(status),
            "components_html": components_html(
                status.layout, uptime_days=days, inline_runs=inline_runs
            ),
            "nav": "status",
        }
        return render_page(request, "public/status.html", context)

    return _serve(request, render)


def uptime_data(request: HttpRequest) -> HttpResponse:
    """Each day's tooltip for the status page's uptime bars (uptime_details.py)."""

    def render() -> Rendered:
        days = settings.CANDOR_UPTIME_DAYS
        status = selectors.public_status(now=timezone.now(), uptime_days=days)
        body = json.dumps(uptime_document(status), separators=(",", ":"), ensure_ascii=False)
        return Rendered(body=body.encode(), content_type="application/json")

    return _serve(request, render)


def verified_stamp(request: HttpRequest) -> HttpResponse:
    """/verified.json as the live app answers it (each copy has its own: publish/verified.py).
    Not through the public cache: it is one small read of the shared cache."""
    response = HttpResponse(verified.live_document(), content_type="application/json")
    response["Cache-Control"] = public_header()
    response["Access-Control-Allow-Origin"] = "*"
    return response


def incident_page(request: HttpRequest, public_id: str) -> HttpResponse:
    def render() -> Rendered:
        incident = selectors.incident_detail(public_id)
        if incident is None:
            return not_found(request, "incident")
        return render_page(request, "public/incident.html", {"incident": incident})

    return _serve(request, render)


def maintenance_page(request: HttpRequest, public_id: str) -> HttpResponse:
    def render() -> Rendered:
        maintenance = selectors.maintenance_detail(public_id)
        if maintenance is None:
            return not_found(request, "maintenance")
        context = {"maintenance": maintenance, "cancelled": is_cancelled(maintenance)}
        return render_page(request, "public/maintenance.html", context)

    return _serve(request, render)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _month_url(year: int, month: int, page: int = 1) -> str:
    kwargs = {"year": f"{year:04d}", "month": f"{month:02d}"}
    if page == 1:
        return reverse("public:history_month", kwargs=kwargs)
    return reverse("public:history_month_page", kwargs={**kwargs, "page": str(page)})


def month_page_urls(year: int, month: int) -> list[str]:
    """Every page of a month's history (the snapshot publishes them all)."""
    pages = selectors.month_pages(year=year, month=month, per_page=MONTH_PAGE_SIZE)
    return [_month_url(year, month, page) for page in range(1, pages + 1)]


def history_floor(now: datetime) -> tuple[int, int]:
    """The oldest month the history links to: the oldest with an incident or maintenance,
    or the oldest of the months /history shows if that is older still.

    Older months still answer, empty; they are just not linked, so the history (and the
    published snapshot of it) ends instead of leading on through empty months forever.
    """
    now = now.astimezone(UTC)
    floor = (now.year, now.month)
    for _ in range(HISTORY_PAGE_MONTHS - 1):
        floor = _previous_month(*floor)
    oldest = selectors.oldest_history_month()
    return min(floor, oldest) if oldest else floor


def history_page(request: HttpRequest) -> HttpResponse:
    def render() -> Rendered:
        now = timezone.now()
        months = selectors.history_months(
            now=now, count=HISTORY_PAGE_MONTHS, per_month=HISTORY_PREVIEW
        )
        oldest = (months[-1].year, months[-1].month)
        context = {
            "months": months,
            "older": _month_url(*_previous_month(*oldest)) if oldest > history_floor(now) else None,
            "nav": "history",
        }
        return render_page(request, "public/history.html", context)

    return _serve(request, render)


def _valid_past_month(year: int, month: int, now: datetime) -> bool:
    return 1 <= month <= 12 and year >= 1970 and (year, month) <= (now.year, now.month)


def history_month_page(
    request: HttpRequest, year: str, month: str, page: str | None = None
) -> HttpResponse:
    def render() -> Rendered:
        now = timezone.now().astimezone(UTC)
        y, m = int(year), int(month)
        if not _valid_past_month(y, m, now):
            return not_found(request, "month")
        # One URL per page: page 1 is the month's own URL, and no "/page/02".
        if page is not None and (len(page) > 6 or page.startswith("0") or int(page) < 2):
            return not_found(request, "page")
        p = int(page or 1)
        history = selectors.month_history(year=y, month=m, page=p, per_page=MONTH_PAGE_SIZE)
        if p > history.pages:
            return not_found(request, "page")
        newer = _next_month(y, m)
        context = {
            "month": history,
            "earlier_page": _month_url(y, m, p + 1) if p < history.pages else None,
            "later_page": _month_url(y, m, p - 1) if p > 1 else None,
            # Every page's number and link (the same on every page of the month, so a
            # publish need not render the others when one page's items change).
            "page_links": [(n, _month_url(y, m, n), n == p) for n in range(1, history.pages + 1)]
            if history.pages > 1
            else [],
            "older": _month_url(*_previous_month(y, m)) if (y, m) > history_floor(now) else None,
            "newer": _month_url(*newer) if newer <= (now.year, now.month) else None,
            "nav": "history",
        }
        return render_page(request, "public/history_month.html", context)

    return _serve(request, render)
