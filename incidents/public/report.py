"""The public reliability report: an index, a page per period (month or quarter) with the
whole page's figures and each component's, a page per component across the periods, and
each period as JSON and CSV. Off (404) until an Admin turns it on.

Rendered through the public cache like every public page: computed once per public change
(and per process), not per request; the snapshot has every page (publish/snapshot.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from incidents.public.cache import Rendered, public_response
from incidents.public.views import not_found, render_page
from incidents.reliability.documents import period_csv, period_json, shown
from incidents.reliability.periods import MONTH, Period, parse
from incidents.reliability.report import component_report, period_report, report_periods
from incidents.reliability.rows import components_in_order
from incidents.reliability.visibility import report_visibility

CSV = "text/csv; charset=utf-8"


def _serve(
    request: HttpRequest, render: Callable[[], Rendered], *, cors: bool = False
) -> HttpResponse:
    return public_response(request, request.path, render, cors=cors)


def report_urls() -> list[str]:
    """Every URL of the report (none while it is off), for the snapshot."""
    visibility = report_visibility()
    if not visibility.enabled:
        return []
    urls = [reverse("public:report")]
    for period in report_periods(now=timezone.now()):
        urls += period_urls(period)
    urls += [
        reverse("public:report_component", args=[c.public_id])
        for c in components_in_order(visibility.hidden)
    ]
    return urls


def period_urls(period: Period) -> list[str]:
    return [
        reverse(f"public:report_period{suffix}", args=[period.slug])
        for suffix in ("", "_json", "_csv")
    ]


def report_index(request: HttpRequest) -> HttpResponse:
    def render() -> Rendered:
        visibility = report_visibility()
        if not visibility.enabled:
            return not_found(request, "page")
        periods = report_periods(now=timezone.now())
        context = {
            "months": [p for p in periods if p.kind == MONTH],
            "quarters": [p for p in periods if p.kind != MONTH],
            "components": components_in_order(visibility.hidden),
            "nav": "report",
        }
        return render_page(request, "public/report.html", context)

    return _serve(request, render)


def _period(slug: str) -> Period | None:
    period = parse(slug)
    if period is None or period not in report_periods(now=timezone.now()):
        return None
    return period


def report_period(request: HttpRequest, slug: str) -> HttpResponse:
    def render() -> Rendered:
        visibility = report_visibility()
        period = _period(slug) if visibility.enabled else None
        if period is None:
            return not_found(request, "report")
        now = timezone.now()
        report = period_report(period, visibility=visibility, now=now)
        context = {
            "period": period,
            "complete": period.end <= now,
            "overall": shown(report.overall),
            "rows": [(c, shown(f)) for c, f in report.components],
            "show": visibility,
            "nav": "report",
        }
        return render_page(request, "public/report_period.html", context)

    return _serve(request, render)


def report_period_json(request: HttpRequest, slug: str) -> HttpResponse:
    def render() -> Rendered:
        visibility = report_visibility()
        period = _period(slug) if visibility.enabled else None
        if period is None:
            return Rendered(b'{"detail":"Not found."}', "application/json", 404)
        now = timezone.now()
        document = period_json(
            period_report(period, visibility=visibility, now=now), visibility, now=now
        )
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
        return Rendered(body.encode(), "application/json")

    return _serve(request, render, cors=True)


def report_period_csv(request: HttpRequest, slug: str) -> HttpResponse:
    def render() -> Rendered:
        visibility = report_visibility()
        period = _period(slug) if visibility.enabled else None
        if period is None:
            return Rendered(b"Not found.\n", "text/plain; charset=utf-8", 404)
        report = period_report(period, visibility=visibility, now=timezone.now())
        return Rendered(period_csv(report, visibility).encode(), CSV)

    return _serve(request, render, cors=True)


def report_component(request: HttpRequest, public_id: str) -> HttpResponse:
    def render() -> Rendered:
        visibility = report_visibility()
        now = timezone.now()
        found = (
            component_report(
                public_id, visibility=visibility, periods=report_periods(now=now), now=now
            )
            if visibility.enabled
            else None
        )
        if found is None:
            return not_found(request, "component")
        context = {
            "component": found.component,
            "sections": [
                ("By month", [(p, shown(f)) for p, f in found.periods if p.kind == MONTH]),
                ("By quarter", [(p, shown(f)) for p, f in found.periods if p.kind != MONTH]),
            ],
            "show": visibility,
            "nav": "report",
        }
        return render_page(request, "public/report_component.html", context)

    return _serve(request, render)
