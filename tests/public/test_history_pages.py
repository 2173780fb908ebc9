"""History pages hold a bounded number of incidents however long the history grows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from bench.seed import seed_site
from incidents.models import Incident
from incidents.public.views import HISTORY_PREVIEW, MONTH_PAGE_SIZE
from incidents.publish.snapshot import site_urls

pytestmark = pytest.mark.django_db

INCIDENT_LINK = re.compile(r'href="/incidents/(\w+)"')


def _busy_month() -> tuple[str, int]:
    """The month 20 days ago, which 40 days of history cover for at least 20 days."""
    then = (timezone.now() - timedelta(days=20)).astimezone(UTC)
    start = datetime(then.year, then.month, 1, tzinfo=UTC)
    end = datetime(then.year + (then.month == 12), then.month % 12 + 1, 1, tzinfo=UTC)
    count = Incident.objects.filter(started_at__gte=start, started_at__lt=end).count()
    return f"{then.year:04d}-{then.month:02d}", count


def test_a_busy_month_is_paged_and_every_incident_is_on_exactly_one_page(client: Client) -> None:
    # 1,000 incidents in 40 days: that month has several pages of them.
    seed_site(components=10, incidents=1000, days=40, now=timezone.now())
    month, count = _busy_month()
    pages = -(-count // MONTH_PAGE_SIZE)
    assert pages >= 2
    seen: list[str] = []
    html = client.get(f"/history/{month}").content.decode()
    for page in range(1, pages + 1):
        if page > 1:
            html = client.get(f"/history/{month}/page/{page}").content.decode()
        found = INCIDENT_LINK.findall(html)
        # Cut from the oldest: every page holds 100 but page 1 (the newest), the rest.
        assert len(found) == (
            MONTH_PAGE_SIZE if page > 1 else count - (pages - 1) * MONTH_PAGE_SIZE
        )
        assert f"page {page} of {pages}" in html
        assert (f'href="/history/{month}/page/{page + 1}" rel="next"' in html) == (page < pages)
        # Accessible pagination: a labelled nav, every page linked, this one marked.
        nav = re.search(r'<nav class="pager" aria-label="Pages of [^"]+">(.*?)</nav>', html, re.S)
        assert nav is not None
        current = re.findall(r'href="([^"]+)" aria-current="page"', nav.group(1))
        assert current == [f"/history/{month}" + (f"/page/{page}" if page > 1 else "")]
        assert len(re.findall(r'aria-label="Page \d+', nav.group(1))) == pages
        seen += found
    assert len(set(seen)) == count
    # Newest first across the pages: the month's newest incident leads page 1.
    newest = Incident.objects.filter(public_id__in=seen).order_by("-started_at", "-pk").first()
    assert newest is not None and seen[0] == newest.public_id
    assert client.get(f"/history/{month}/page/{pages + 1}").status_code == 404
    assert client.get(f"/history/{month}/page/1").status_code == 404  # that is /history/<month>
    assert client.get(f"/history/{month}/page/02").status_code == 404
    # The snapshot publishes every page.
    urls = site_urls(now=timezone.now())
    assert f"/history/{month}/page/{pages}" in urls
    assert f"/history/{month}/page/{pages + 1}" not in urls


def test_the_history_page_shows_each_months_newest_and_links_to_the_rest(client: Client) -> None:
    seed_site(components=10, incidents=1000, days=40, now=timezone.now())
    _, count = _busy_month()
    html = client.get("/history").content.decode()
    assert len(INCIDENT_LINK.findall(html)) <= 3 * HISTORY_PREVIEW
    assert f"All {count} incidents in" in html
    assert len(html) < 60_000, len(html)


def test_a_quiet_month_has_one_page_and_no_pager(client: Client) -> None:
    seed_site(components=3, incidents=2, days=1, now=timezone.now() - timedelta(hours=1))
    now = timezone.now().astimezone(UTC)
    month = f"{now.year:04d}-{now.month:02d}"
    html = client.get(f"/history/{month}").content.decode()
    assert "page 1 of" not in html and "/page/" not in html and "pager__pages" not in html
