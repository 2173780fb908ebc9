from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import ComponentStatusChange
from incidents.public.cache_control import public_header
from incidents.public.uptime_details import expand
from tests.factories import ComponentFactory, promised
from tests.public.conftest import Layout

pytestmark = pytest.mark.django_db

XSS_BODY = (
    "We are investigating.\n\n"
    "<script>alert(1)</script>\n\n"
    "<img src=x onerror=alert(1)>\n\n"
    "[click here](javascript:alert(1))\n\n"
    '<iframe src="/evil-frame"></iframe>'
)


def html_of(client: Client, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status
    return response.content.decode()


def day_titles(client: Client, day_label: str) -> list[str]:
    """The tooltip text of one day in every uptime bar, as the page's script builds it."""
    document = client.get("/uptime.json").json()
    return [
        title
        for component_id in document["components"]
        for _, title in expand(document, component_id)
        if title.startswith(day_label + ":")
    ]


# -- the status page ---------------------------------------------------------------------


def test_an_all_clear_page_says_so(client: Client, layout: Layout) -> None:
    html = html_of(client, "/")
    assert "All Systems Operational" in html
    assert html.count("Operational</span>") >= 3
    assert "Active incidents" not in html


def test_status_page_shows_banner_layout_incident_and_upcoming_maintenance(
    client: Client, layout: Layout, actor: Actor
) -> None:
    incident = lifecycle.incident_open(
        actor=actor, name="Checkout errors", body=promised("We are **investigating** errors."),
        impact="major", components={layout.api: "partial_outage"},
    )  # fmt: skip
    lifecycle.update_post(
        actor=actor,
        incident=incident,
        status="identified",
        body=promised("A bad deploy; rolling back."),
    )
    soon = timezone.now() + timedelta(days=2)
    lifecycle.maintenance_schedule(
        actor=actor, name="Database upgrade", body="Expect a short read-only period.",
        scheduled_for=soon, scheduled_until=soon + timedelta(hours=2), components=[layout.web],
    )  # fmt: skip

    html = html_of(client, "/")

    assert "Partial System Outage" in html
    assert "Core platform" in html and "<details open>" in html  # a degraded group is open
    assert "Public API" in html and "Partial outage</span>" in html
    assert "Webhooks" in html
    assert "Checkout errors" in html and f"/incidents/{incident.public_id}" in html
    # The timeline is newest first, and rendered from the sanitised Markdown.
    assert html.index("A bad deploy") < html.index("<strong>investigating</strong>")
    assert "Scheduled maintenance" in html and "Database upgrade" in html
    assert f"{soon:%H:%M} UTC" in html
    assert "Last updated" in html


def test_layout_follows_positions_and_groups_hold_their_components(
    client: Client, layout: Layout
) -> None:
    html = html_of(client, "/")
    assert html.index("Core platform") < html.index("Web application") < html.index("Webhooks")
    assert "<details>" in html  # all operational: the group starts collapsed
    assert "REST endpoints for integrations" in html  # the description, as help text


def test_a_component_shown_only_when_degraded_appears_only_then(
    client: Client, layout: Layout, actor: Actor, django_capture_on_commit_callbacks
) -> None:
    quiet = ComponentFactory(name="Legacy FTP", only_show_if_degraded=True)
    assert "Legacy FTP" not in html_of(client, "/")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.component_status_set(actor=actor, component=quiet, status="degraded_performance")
    html = html_of(client, "/")
    assert "Legacy FTP" in html and "Degraded performance</span>" in html


def test_active_maintenance_is_shown_with_its_own_banner(
    client: Client, layout: Layout, actor: Actor
) -> None:
    now = timezone.now()
    maintenance = lifecycle.maintenance_schedule(
        actor=actor, name="Network upgrade", body="Planned.", scheduled_for=now,
        scheduled_until=now + timedelta(hours=1), components=[layout.webhooks],
    )  # fmt: skip
    lifecycle.maintenance_update_post(
        actor=actor, maintenance=maintenance, body="Work has started.", status="in_progress"
    )
    html = html_of(client, "/")
    assert "Service Under Maintenance" in html
    assert "Maintenance in progress" in html and "Work has started." in html
    assert "Under maintenance</span>" in html


def test_a_resolved_incident_leaves_the_front_page_for_history(
    client: Client, layout: Layout, actor: Actor
) -> None:
    incident = lifecycle.incident_open(
        actor=actor, name="Slow search", body=promised("Looking into it."), impact="minor",
        components={layout.api: "degraded_performance"},
    )  # fmt: skip
    lifecycle.incident_resolve(actor=actor, incident=incident, body="All good now.")

    front = html_of(client, "/")
    assert "Active incidents" not in front and f"/incidents/{incident.public_id}" not in front
    history = html_of(client, "/history")
    assert "Slow search" in history and f"/incidents/{incident.public_id}" in history
    assert "Minor impact" in history and "Resolved" in history
    page = html_of(client, f"/incidents/{incident.public_id}")
    assert "<h1" in page and "Slow search" in page
    assert "All good now." in page and "Looking into it." in page
    assert "Public API" in page  # affected components
    assert "Duration" in page and "&lt; 1 min" in page


# -- incident and maintenance pages ---------------------------------------------------------


def test_incident_page_shows_times_in_utc_and_duration(
    client: Client, layout: Layout, actor: Actor
) -> None:
    start = datetime(2024, 3, 4, 9, 15, tzinfo=UTC)
    incident = lifecycle.incident_open(
        actor=actor,
        name="Login failures",
        body=promised("Investigating.", now=start),
        impact="critical",
        now=start,
    )
    lifecycle.incident_resolve(
        actor=actor, incident=incident, body="Fixed.", now=start + timedelta(hours=1, minutes=20)
    )
    page = html_of(client, f"/incidents/{incident.public_id}")
    assert '<time datetime="2024-03-04T09:15:00Z">Mar 4, 2024, 09:15 UTC</time>' in page
    assert "Mar 4, 2024, 10:35 UTC" in page
    assert "1 h 20 min" in page
    assert "Critical impact" in page


def test_unknown_incident_and_maintenance_are_not_found(client: Client, db: None) -> None:
    assert "Not found" in html_of(client, "/incidents/doesnotexist", status=404)
    assert "Not found" in html_of(client, "/maintenance/doesnotexist", status=404)


def test_a_window_cancelled_before_it_started_says_so(
    client: Client, layout: Layout, actor: Actor
) -> None:
    start = timezone.now() + timedelta(days=1)
    maintenance = lifecycle.maintenance_schedule(
        actor=actor, name="Storage migration", body="Planned.", scheduled_for=start,
        scheduled_until=start + timedelta(hours=3),
    )  # fmt: skip
    lifecycle.maintenance_update_post(
        actor=actor, maintenance=maintenance, body="Called off.", status="completed"
    )
    page = html_of(client, f"/maintenance/{maintenance.public_id}")
    assert "Storage migration" in page and "Cancelled" in page and "Never started" in page
    assert f"{start:%H:%M} UTC" in page and "Called off." in page


# -- history ------------------------------------------------------------------------------


def test_history_shows_three_months_and_links_to_older_ones(
    client: Client, actor: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(datetime(2024, 5, 10, 12, tzinfo=UTC)):
        html = html_of(client, "/history")
    assert html.index("May 2024") < html.index("April 2024") < html.index("March 2024")
    assert "February 2024" not in html
    assert html.count("No incidents reported this month.") == 3
    assert "Older months" not in html  # nothing older: the history ends here

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=actor,
            name="Old outage",
            body=promised("Down.", now=datetime(2024, 1, 5, tzinfo=UTC)),
            now=datetime(2024, 1, 5, tzinfo=UTC),
        )
    with time_machine.travel(datetime(2024, 5, 10, 12, tzinfo=UTC)):
        assert 'href="/history/2024-02"' in html_of(client, "/history")
        assert 'href="/history/2023-12"' not in html_of(client, "/history/2024-01")


@pytest.mark.parametrize("path", ["/history/2024-13", "/history/2024-00", "/history/2024-6"])
def test_an_invalid_month_is_not_found(client: Client, db: None, path: str) -> None:
    with time_machine.travel(datetime(2024, 5, 10, 12, tzinfo=UTC)):
        assert client.get(path).status_code == 404


def test_a_month_in_the_future_is_not_found(client: Client, db: None) -> None:
    with time_machine.travel(datetime(2024, 5, 10, 12, tzinfo=UTC)):
        assert client.get("/history/2024-06").status_code == 404
        html = html_of(client, "/history/2024-05")
    assert "May 2024" in html and 'href="/history/2024-04"' in html
    assert 'href="/history/2024-06"' not in html


def test_a_month_lists_its_incidents_and_completed_maintenance(
    client: Client, layout: Layout, actor: Actor
) -> None:
    start = datetime(2024, 2, 20, 8, tzinfo=UTC)
    incident = lifecycle.incident_open(
        actor=actor,
        name="Webhook delays",
        body=promised("Delays.", now=start),
        impact="major",
        now=start,
    )
    lifecycle.update_post(
        actor=actor,
        incident=incident,
        body=promised("Watching.", now=start),
        status="monitoring",
        now=start,
    )
    window = lifecycle.maintenance_schedule(
        actor=actor, name="Kernel patching", body="Planned.", now=start,
        scheduled_for=start + timedelta(days=1), scheduled_until=start + timedelta(days=1, hours=1),
    )  # fmt: skip
    for status in ("in_progress", "completed"):
        lifecycle.maintenance_update_post(
            actor=actor, maintenance=window, body=status, status=status,
            now=start + timedelta(days=1, minutes=30),
        )  # fmt: skip
    with time_machine.travel(datetime(2024, 5, 10, 12, tzinfo=UTC)):
        html = html_of(client, "/history/2024-02")
        assert "No incidents reported this month." in html_of(client, "/history/2024-01")
    assert "Webhook delays" in html and "Major impact" in html and "Monitoring" in html
    assert "Kernel patching" in html and f"/maintenance/{window.public_id}" in html


# -- uptime bars ----------------------------------------------------------------------------


def test_a_six_hour_major_outage_is_a_75_percent_day(
    client: Client, actor: Actor, db: None
) -> None:
    api = ComponentFactory(name="Public API", history=datetime(2024, 4, 1, tzinfo=UTC))
    incident = lifecycle.incident_open(
        actor=actor, name="API down",
        body=promised("Down.", now=datetime(2024, 5, 8, 6, tzinfo=UTC)),
        impact="critical",
        components={api: "major_outage"}, now=datetime(2024, 5, 8, 6, tzinfo=UTC),
    )  # fmt: skip
    lifecycle.incident_resolve(
        actor=actor, incident=incident, body="Up.", now=datetime(2024, 5, 8, 12, tzinfo=UTC)
    )
    with time_machine.travel(datetime(2024, 5, 10, 12, tzinfo=UTC)):
        html = html_of(client, "/")
        outage_day = day_titles(client, "May 8, 2024")
        quiet_day = day_titles(client, "May 7, 2024")
        no_data = day_titles(client, "Mar 31, 2024")

    assert outage_day and all("75.00% uptime" in t for t in outage_day)
    assert all("Major outage 6 h" in t and "API down" in t for t in outage_day)
    assert quiet_day and all("100.00% uptime" in t and "No incidents" in t for t in quiet_day)
    assert no_data and all("no data" in t for t in no_data)
    assert '<li class="mo d1' in html
    # 6 h down out of the 39.5 days observed since the component was created.
    assert "99.36% uptime since Apr 1, 2024" in html


def test_a_partial_outage_counts_thirty_percent(client: Client, db: None) -> None:
    api = ComponentFactory(name="Public API", history=datetime(2024, 4, 1, tzinfo=UTC))
    ComponentStatusChange.objects.create(
        component=api, status="partial_outage", at=datetime(2024, 5, 9, 10, tzinfo=UTC)
    )
    ComponentStatusChange.objects.create(
        component=api, status="operational", at=datetime(2024, 5, 9, 14, tzinfo=UTC)
    )
    with time_machine.travel(datetime(2024, 5, 10, 12, tzinfo=UTC)):
        titles = day_titles(client, "May 9, 2024")
    assert titles and all("95.00% uptime" in t and "Partial outage 4 h" in t for t in titles)


def test_a_component_created_today_counts_only_the_time_it_existed(
    client: Client, actor: Actor, db: None
) -> None:
    # Created at 06:00, down 07:00-08:00, seen at 12:00: one hour down in six observed.
    midday = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(midday - timedelta(hours=6), tick=False):
        fresh = lifecycle.component_save(actor=actor, name="Search")
    lifecycle.component_status_set(
        actor=actor, component=fresh, status="major_outage", now=midday - timedelta(hours=5)
    )
    lifecycle.component_status_set(
        actor=actor, component=fresh, status="operational", now=midday - timedelta(hours=4)
    )
    with time_machine.travel(midday, tick=False):
        html = html_of(client, "/")
        document = client.get("/uptime.json").json()

    # Each day's bar and tooltip, as the page's script builds them from uptime.json.
    bars = expand(document, fresh.public_id)
    assert len(bars) == settings.CANDOR_UPTIME_DAYS
    # Every day before it existed is "no data", never downtime...
    assert all(cls == "nodata" and ": no data." in title for cls, title in bars[:-1])
    # ...and today counts from its creation: 5 of 6 hours up.
    today_class, today_title = bars[-1]
    assert today_class == "major_outage" and "83.33% uptime" in today_title
    assert f"83.33% uptime since {midday:%b} {midday.day}, {midday.year}" in html


def test_a_component_without_showcase_has_no_uptime_bar(client: Client, db: None) -> None:
    ComponentFactory(name="Internal tooling", showcase=False)
    html = html_of(client, "/")
    assert "Internal tooling" in html and 'class="uptime__bars"' not in html


# -- caching ----------------------------------------------------------------------------------


def test_a_cached_page_costs_no_query_and_keeps_its_etag(
    client: Client, layout: Layout, django_assert_num_queries
) -> None:
    first = client.get("/")
    with django_assert_num_queries(0):
        second = client.get("/")
    assert second.status_code == 200
    assert second["ETag"] == first["ETag"]
    assert second.content == first.content


def test_a_change_shows_on_the_next_request(
    client: Client, layout: Layout, actor: Actor, django_capture_on_commit_callbacks
) -> None:
    before = client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=actor, name="Email delays", body=promised("Queues are backing up."),
            components={layout.webhooks: "degraded_performance"},
        )  # fmt: skip
    after = client.get("/")
    assert b"Email delays" in after.content and b"Queues are backing up." in after.content
    assert after["ETag"] != before["ETag"]


def test_a_matching_etag_gets_not_modified(client: Client, layout: Layout) -> None:
    etag = client.get("/")["ETag"]
    response = client.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert client.get("/", headers={"If-None-Match": '"stale"'}).status_code == 200


def test_not_found_pages_are_not_cached(client: Client, layout: Layout, actor: Actor) -> None:
    assert client.get("/incidents/abc").status_code == 404
    assert client.get("/incidents/abc").status_code == 404  # rendered again, not stored


# -- security and hygiene ---------------------------------------------------------------------


def test_hostile_markup_in_an_update_is_neutralised(
    client: Client, layout: Layout, actor: Actor
) -> None:
    incident = lifecycle.incident_open(actor=actor, name="<b>Odd</b> name", body=promised(XSS_BODY))
    for path in ("/", f"/incidents/{incident.public_id}"):
        # The only scripts allowed are the page's own files (the CSP allows no other).
        html = (
            html_of(client, path)
            .replace('<script src="/static/candor/public.js" defer>', "")
            .replace('<script src="/static/candor/verified.js" defer>', "")
            .replace('<script src="/static/candor/local_time.js" defer>', "")
        )
        assert "We are investigating." in html
        for live in ("<script", "onerror", "javascript:", "<iframe", "<b>Odd"):
            assert live not in html, (path, live)
        assert "&lt;b&gt;Odd&lt;/b&gt; name" in html


class _Assets(HTMLParser):
    """Collects every URL a browser would fetch by itself, and inline script or style."""

    def __init__(self) -> None:
        super().__init__()
        self.fetched: list[str] = []
        self.inline_scripts = 0
        self.style_attributes = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values:
            self.style_attributes += 1
        if tag == "script" and not values.get("src"):
            self.inline_scripts += 1
        if tag in ("img", "script", "iframe", "source", "audio", "video") and values.get("src"):
            self.fetched.append(values["src"] or "")
        if tag == "link" and values.get("rel") in ("stylesheet", "icon", "preload"):
            self.fetched.append(values.get("href") or "")


def _public_paths(layout: Layout, actor: Actor) -> list[str]:
    incident = lifecycle.incident_open(
        actor=actor, name="Slow pages", body=promised("See [the runbook](/runbook)."),
        components={layout.web: "degraded_performance"},
    )  # fmt: skip
    start = timezone.now() + timedelta(hours=5)
    window = lifecycle.maintenance_schedule(
        actor=actor, name="Upgrade", body="Planned.", scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
    )  # fmt: skip
    month = timezone.now().strftime("%Y-%m")
    return ["/", f"/incidents/{incident.public_id}", f"/maintenance/{window.public_id}",
            "/history", f"/history/{month}", "/incidents/nope"]  # fmt: skip


def test_pages_load_no_inline_code_and_no_third_party_asset(
    client: Client, layout: Layout, actor: Actor
) -> None:
    for path in _public_paths(layout, actor):
        html = client.get(path).content.decode()
        assets = _Assets()
        assets.feed(html)
        assert assets.inline_scripts == 0, path
        assert "<style" not in html and ' style="' not in html, path
        assert assets.style_attributes == 0, path
        assert assets.fetched, path
        for url in assets.fetched:
            assert url.startswith("/") and not url.startswith("//"), (path, url)
        for absolute in re.findall(r'(?:href|src)="(https?://[^"]*)"', html):
            # Only the canonical link, the live app's subscribe page, and links people wrote
            # in an update leave the site.
            assert absolute.startswith(
                (settings.CANDOR_CANONICAL_URL, settings.CANDOR_APP_URL, "https://example.com/")
            ), (path, absolute)


def test_pages_are_accessible_landmarks_with_one_heading(
    client: Client, layout: Layout, actor: Actor
) -> None:
    for path in _public_paths(layout, actor):
        html = client.get(path).content.decode()
        assert '<html lang="en">' in html, path
        assert html.count("<h1") == 1, path
        for landmark in ("<header", "<main", "<footer", 'class="skip-link" href="#main"'):
            assert landmark in html, (path, landmark)


def test_public_responses_carry_etag_and_cache_control(
    client: Client, layout: Layout, actor: Actor
) -> None:
    for path in _public_paths(layout, actor):
        response = client.get(path)
        assert response["ETag"].startswith('"'), path
        assert response["Cache-Control"] == public_header()
