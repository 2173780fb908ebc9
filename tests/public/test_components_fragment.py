"""The front page's component list is rendered once per language while what it shows stays
the same (incidents/public/fragments.py), and every change it shows reaches the page."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.test.signals import template_rendered
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import ComponentStatus, ComponentStatusChange
from incidents.public.cache import rendering_fresh
from incidents.public.fragments import NOT_SHOWN, TEMPLATE, fragments_clear, shown
from incidents.selectors import ComponentView, GroupView, UptimeDay
from incidents.uptime import DayUptime
from tests.factories import promised
from tests.public.conftest import Layout

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]
ACTOR = Actor.system("test")


@contextmanager
def list_renders() -> Iterator[list[str]]:
    """The languages the component list was rendered in, in order."""
    from django.utils import translation

    seen: list[str] = []

    def note(sender: Any, template: Any, **kwargs: Any) -> None:
        if template.name == TEMPLATE:
            seen.append(translation.get_language())

    template_rendered.connect(note)
    try:
        yield seen
    finally:
        template_rendered.disconnect(note)


def page(client: Client, path: str = "/") -> str:
    """The page rendered from the database, as the snapshot renderer renders it."""
    with rendering_fresh():
        response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def component_section(html: str) -> str:
    start = html.index('aria-labelledby="components-title"')
    return html[start : html.index("</section>", start)]


def test_rendered_once_per_language_while_it_stays_the_same(layout: Layout) -> None:
    fragments_clear()
    client = Client()
    # One moment for every render (as below): the key follows what the clock moves, and
    # two renders either side of a boundary rendered the list twice (seen in a run).
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False),
        list_renders() as seen,
    ):
        first = page(client)
        # A change the page shows but the list does not: the front page is rendered again
        # (the site changed), its component list is not.
        lifecycle.incident_open(
            actor=ACTOR, name="Slow logins", body=promised("We are looking into it.")
        )
        second = page(client)
        assert seen == ["en"]
        assert "Slow logins" in second and "Slow logins" not in first
        page(client, "/de/")
        page(client, "/de/")
    assert seen == ["en", "de"]


def _rename(layout: Layout) -> str:
    lifecycle.component_save(
        actor=ACTOR, component=layout.webhooks, name="Outgoing webhooks", position=5
    )
    return "Outgoing webhooks"


def _describe(layout: Layout) -> str:
    lifecycle.component_save(
        actor=ACTOR,
        component=layout.webhooks,
        name="Webhooks",
        position=5,
        description="Signed POSTs to your endpoints",
    )
    return "Signed POSTs to your endpoints"


def _status(layout: Layout) -> str:
    lifecycle.component_status_set(actor=ACTOR, component=layout.web, status="major_outage")
    return "Major outage"


def _yesterday(layout: Layout) -> str:
    # A change in the past days: only the bars (and their summary) show it. Early in the
    # day, so its three hours never run past midnight (from 21:00 UTC they did, and the
    # test failed every evening).
    at = (timezone.now() - timedelta(days=1)).replace(hour=6, minute=0)
    ComponentStatusChange.objects.create(component=layout.api, status="major_outage", at=at)
    ComponentStatusChange.objects.create(
        component=layout.api, status="operational", at=at + timedelta(hours=3)
    )
    lifecycle.incident_open(
        actor=ACTOR, name="Nudge", body=promised("A change, so the page re-renders.")
    )
    return "1 day with degraded service or an outage"


def _hide_when_operational(layout: Layout) -> str:
    lifecycle.component_save(
        actor=ACTOR, component=layout.webhooks, name="Webhooks", position=5,
        only_show_if_degraded=True,
    )  # fmt: skip
    return ""


@pytest.mark.parametrize(
    "change", [_rename, _describe, _status, _yesterday, _hide_when_operational]
)
def test_every_change_the_list_shows_reaches_the_page(
    layout: Layout, change: Callable[[Layout], str]
) -> None:
    fragments_clear()
    client = Client()
    # One moment for every render: two renders a second apart may differ in what the
    # clock moves (a young component's first day), which is not what is tested here.
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        before = {path: page(client, path) for path in ("/", "/fr/")}
        shown = change(layout)
        for path, old in before.items():
            kept = component_section(page(client, path))
            assert kept != component_section(old)
            if shown and path == "/":
                assert shown in kept
            # What the kept list gives is what rendering it from nothing gives.
            fragments_clear()
            assert component_section(page(client, path)) == kept
        if change is _hide_when_operational:
            assert f'data-component="{layout.webhooks.public_id}"' not in page(client)


def _sample_days(worst: str) -> tuple[UptimeDay, ...]:
    day = DayUptime(
        day=date(2026, 11, 1), has_data=True, uptime=1.0, observed_seconds=86400,
        worst=ComponentStatus(worst), seconds_by_status=(),
    )  # fmt: skip
    return (UptimeDay(day=day, incidents=()),)


def _sample_component(**changes: Any) -> ComponentView:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    view = ComponentView(
        public_id="c1", name="API", description="", status="operational", position=1,
        group_id=None, showcase=True, only_show_if_degraded=False, start_date=None,
        created_at=at, updated_at=at, uptime_days=_sample_days("operational"), uptime=1.0,
    )  # fmt: skip
    return replace(view, **changes)


# A value for each field that the page would show differently.
OTHER = {
    "public_id": "c2",
    "name": "Web",
    "description": "The website",
    "status": "major_outage",
    "showcase": False,
    "only_show_if_degraded": True,
    "vendor_fetched_at": datetime(2026, 11, 2, tzinfo=UTC),
    "vendor_unknown": True,
    "uptime_days": _sample_days("partial_outage"),
    "uptime": 0.5,
}


@pytest.mark.parametrize("view", [ComponentView, GroupView])
def test_every_field_is_in_the_key_or_declared_not_shown(view: type) -> None:
    """A field added to a view must be shown in the key (`shown`) or declared NOT_SHOWN;
    and no field declared not shown may be read by the templates."""
    names = {f.name for f in fields(view)}
    assert NOT_SHOWN[view] <= names
    templates = "".join(
        (settings.BASE_DIR / "templates" / "public" / name).read_text()
        for name in ("_components.html", "_component.html", "_uptime.html")
    )
    for name in NOT_SHOWN[view]:
        assert not re.search(rf"\b(component|item)\.{name}\b", templates), name
    base = _sample_component()
    group = GroupView(
        public_id="g1", name="Core", description="", position=1,
        created_at=base.created_at, updated_at=base.updated_at, components=(base,),
    )  # fmt: skip
    others = {
        **OTHER,
        "components": (_sample_component(status="major_outage"),),
        "public_id": "g2",
    }
    for name in names - NOT_SHOWN[view]:
        if view is ComponentView:
            before, after = (base,), (replace(base, **{name: OTHER[name]}),)
        else:
            before, after = (group,), (replace(group, **{name: others[name]}),)
        assert shown(before) != shown(after), f"{view.__name__}.{name} is not in the key"
