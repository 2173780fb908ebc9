"""SVG status badges: one for the page (its overall indicator), one per component.

Served like every public page (public cache, ETag, Cache-Control, the last snapshot while
the database is down) and written into the static snapshot at the same paths
(badge_urls), so a README or a dashboard can show the badge from the mirror.

Colours: the status side uses the public page's own text-safe status colours (public.css,
light scheme), each at least 4.5:1 with the white text; the label side is the page's
accent (the branding's light accent) where white text on it reaches AA, else grey.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse

from incidents import selectors
from incidents.branding.brand import Brand, current_brand
from incidents.models import ComponentStatus
from incidents.public.badge_svg import LABEL_GREY, SVG, badge_svg, readable_on
from incidents.public.cache import Rendered, public_response

# public.css: --ok, --degraded, --partial, --major, --maint (light scheme).
OK, DEGRADED, PARTIAL, MAJOR, MAINTENANCE = "#1a7f37", "#7d5a00", "#b44100", "#c4202b", "#0858c2"
STATUS_COLOURS = {
    ComponentStatus.OPERATIONAL: OK,
    ComponentStatus.UNDER_MAINTENANCE: MAINTENANCE,
    ComponentStatus.DEGRADED_PERFORMANCE: DEGRADED,
    ComponentStatus.PARTIAL_OUTAGE: PARTIAL,
    ComponentStatus.MAJOR_OUTAGE: MAJOR,
}
# Statuspage's status.indicator; "none" under maintenance is told by its description.
INDICATOR_COLOURS = {"none": OK, "minor": DEGRADED, "major": PARTIAL, "critical": MAJOR}
UNDER_MAINTENANCE = "Service Under Maintenance"
_NOT_FOUND = Rendered(b"No such component.\n", "text/plain; charset=utf-8", status=404)


def label_colour(brand: Brand) -> str:
    return readable_on(brand.accent_light) if brand.accent_light else readable_on("")


def page_badge(request: HttpRequest) -> HttpResponse:
    def render() -> Rendered:
        brand = current_brand()
        overall = selectors.overall_indicator()
        colour = INDICATOR_COLOURS.get(overall.indicator, MAJOR)
        if overall.indicator == "none" and overall.description == UNDER_MAINTENANCE:
            colour = MAINTENANCE
        svg = badge_svg(
            brand.site_name,
            overall.description,
            label_colour=label_colour(brand),
            message_colour=colour,
        )
        return Rendered(svg, SVG)

    return public_response(request, request.path, render)


def component_badge(request: HttpRequest, public_id: str) -> HttpResponse:
    def render() -> Rendered:
        found = (
            selectors.public_components()
            .filter(public_id=public_id)
            .values_list("name", "status")
            .first()
        )
        if found is None:
            return _NOT_FOUND
        name, stored = found
        known = stored in ComponentStatus.values
        svg = badge_svg(
            name,
            str(ComponentStatus(stored).label) if known else "Unknown",
            label_colour=label_colour(current_brand()),
            message_colour=STATUS_COLOURS[ComponentStatus(stored)] if known else LABEL_GREY,
        )
        return Rendered(svg, SVG)

    return public_response(request, request.path, render)


def component_badge_states() -> dict[str, str]:
    """Each component badge's URL path -> what it shows (the component's name and status,
    in one string): a snapshot renders again only the badges whose state changed."""
    states = {}
    for public_id, name, status in (
        selectors.public_components().order_by("pk").values_list("public_id", "name", "status")
    ):
        try:
            url = reverse("public:component_badge", args=[public_id])
        except NoReverseMatch:  # as badge_urls: no badge
            continue
        states[url] = f"{status}\x1f{name}"
    return states


def badge_urls() -> list[str]:
    """Every badge's URL path, for the static snapshot."""
    urls = [reverse("public:badge")]
    for public_id in (
        selectors.public_components().order_by("pk").values_list("public_id", flat=True)
    ):
        try:
            urls.append(reverse("public:component_badge", args=[public_id]))
        except NoReverseMatch:  # an id written by hand that no URL can carry: no badge
            continue
    return urls
