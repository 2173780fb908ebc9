"""The status page at a realistic size: 80 components, 1,000 incidents in the window."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from bench.seed import seed_site
from incidents.models import Incident
from incidents.public.uptime_details import expand

pytestmark = pytest.mark.django_db

PAGE_LIMIT = 150_000


def test_the_status_page_stays_small_with_80_components_and_1000_incidents(
    client: Client,
) -> None:
    seed_site(components=80, incidents=1000, days=90, now=timezone.now())
    body = client.get("/").content
    assert len(body) < PAGE_LIMIT, len(body)
    assert body.count(b'class="component"') == 80


def test_every_day_keeps_its_tooltip_in_uptime_json(client: Client) -> None:
    seed_site(components=80, incidents=1000, days=90, now=timezone.now())
    html = client.get("/").content.decode()
    document = client.get("/uptime.json").json()
    assert f'data-first-day="{document["first_day"]}"' in html
    assert len(document["components"]) == 80
    titles = {
        title
        for component_id in document["components"]
        for _, title in expand(document, component_id)
    }
    assert all(len(expand(document, c)) == 90 for c in document["components"])
    # Every incident in the window is named in the tooltip of a day it touched.
    named = "\n".join(titles)
    in_window = Incident.objects.filter(started_at__date__gte=document["first_day"])
    missing = [name for name in in_window.values_list("name", flat=True) if name not in named]
    assert in_window.count() > 950 and not missing
    assert any("% uptime. Major outage" in t for t in titles)
    assert any(t.endswith("100.00% uptime. No incidents") for t in titles)
