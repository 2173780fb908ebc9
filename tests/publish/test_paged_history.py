"""A month's history pages are cut from its oldest incident, so a change renders the one
page it reaches, not every page of the month; the result is the full render, byte for
byte. The page size is 10 here (100 in production) so a month of a few dozen incidents
has several pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from bench.seed import seed_site
from incidents import lifecycle, selectors
from incidents.audit import Actor
from incidents.models import Component, Incident
from incidents.publish.dependencies import RenderState
from incidents.publish.manifest import MANIFEST_NAME, Snapshot
from incidents.publish.renders import render_next
from incidents.publish.snapshot import render_snapshot
from tests.factories import promised

ACTOR = Actor.system("test")
PAGE = 10
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
MONTH = "history/2026-11"


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("incidents.public.views.MONTH_PAGE_SIZE", PAGE)
    monkeypatch.setattr("incidents.publish.dependencies.MONTH_PAGE_SIZE", PAGE)


@pytest.fixture
def frozen() -> Iterator[datetime]:
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _site(incidents: int) -> list[Incident]:
    """`incidents` in the five days before NOW (all in November), oldest first; all resolved
    but the oldest, left open (so it can take an update)."""
    seed_site(components=3, incidents=incidents, days=5, now=NOW)
    found = list(Incident.objects.order_by("started_at", "pk"))
    Incident.objects.filter(pk=found[0].pk).update(status="identified", resolved_at=None)
    found[0].refresh_from_db()
    # A change through the lifecycle, so the site's version has a record (a stamp) an
    # incremental render can build on; seeding writes rows only.
    lifecycle.component_status_set(
        actor=ACTOR, component=Component.objects.first(), status="operational"
    )
    return found


def _month_pages(snapshot: Snapshot) -> set[str]:
    return {p for p in snapshot.manifest.files if p == MONTH or p.startswith(MONTH + "/page/")}


def _rendered_afresh(base: Snapshot, new: Snapshot) -> set[str]:
    finished = (base.root / MANIFEST_NAME).stat().st_mtime_ns
    return {path for path in new.manifest.files if new.file(path).stat().st_mtime_ns > finished}


def _assert_same_site(assembled: Snapshot, full: Snapshot) -> None:
    assert assembled.manifest.files == full.manifest.files
    for path in full.manifest.files:
        assert assembled.read(path) == full.read(path), path


def test_pages_are_cut_from_the_oldest() -> None:
    # 25 items by 10: the oldest ten are page 3, the next ten page 2, the newest five page 1.
    assert [selectors.page_of(n, 25, 10) for n in (0, 9, 10, 19, 20, 24)] == [3, 3, 2, 2, 1, 1]
    newest_first = list(range(24, -1, -1))
    assert newest_first[selectors.page_window(25, 1, 10)] == [24, 23, 22, 21, 20]
    assert newest_first[selectors.page_window(25, 3, 10)] == list(range(9, -1, -1))
    assert newest_first[selectors.page_window(25, 4, 10)] == []
    assert newest_first[selectors.page_window(0, 1, 10)] == []
    assert selectors.page_count(0, 10) == 1 and selectors.page_count(30, 10) == 3


@pytest.mark.django_db
def test_an_update_to_an_old_incident_renders_only_its_page_of_the_month(
    small_pages: None, frozen: datetime, mirror: Path, tmp_path: Path
) -> None:
    incidents = _site(25)
    base = render_next(full=True)
    assert _month_pages(base) == {MONTH, f"{MONTH}/page/2", f"{MONTH}/page/3"}

    oldest = incidents[0]
    lifecycle.update_post(
        actor=ACTOR, incident=oldest, body=promised("A note.", now=frozen), status="monitoring"
    )
    assembled = render_next()

    fresh = _rendered_afresh(base, assembled)
    assert f"incidents/{oldest.public_id}" in fresh
    # Its page in every language, no other page of the month.
    assert f"{MONTH}/page/3" in fresh and f"de/{MONTH}/page/3" in fresh
    assert {MONTH, f"{MONTH}/page/2", f"de/{MONTH}", f"de/{MONTH}/page/2"}.isdisjoint(fresh)
    _assert_same_site(assembled, render_snapshot(tmp_path / "full"))
    state = RenderState.from_json((assembled.root / "render.json").read_bytes())
    assert state.homes[f"i:{oldest.public_id}"] == f"{MONTH}/page/3"
    assert state.positions is not None and state.positions[f"i:{oldest.public_id}"] == 0


@pytest.mark.django_db
def test_a_new_incident_renders_the_months_newest_page_only(
    small_pages: None, frozen: datetime, mirror: Path, tmp_path: Path
) -> None:
    _site(25)
    base = render_next(full=True)

    lifecycle.incident_open(
        actor=ACTOR, name="Slow dashboard", body=promised("Investigating.", now=frozen),
        impact="minor",
    )  # fmt: skip
    assembled = render_next()

    fresh = _rendered_afresh(base, assembled)
    assert MONTH in fresh and "history" in fresh
    assert {f"{MONTH}/page/2", f"{MONTH}/page/3"}.isdisjoint(fresh)
    _assert_same_site(assembled, render_snapshot(tmp_path / "full"))


@pytest.mark.django_db
def test_a_new_incident_past_a_full_newest_page_renders_every_page(
    small_pages: None, frozen: datetime, mirror: Path, tmp_path: Path
) -> None:
    _site(30)  # three full pages: one more makes a fourth, and every page's pager changes
    base = render_next(full=True)

    lifecycle.incident_open(
        actor=ACTOR, name="Slow dashboard", body=promised("Investigating.", now=frozen),
        impact="minor",
    )  # fmt: skip
    assembled = render_next()

    assert _month_pages(assembled) == {MONTH, *(f"{MONTH}/page/{n}" for n in (2, 3, 4))}
    assert _month_pages(assembled) <= _rendered_afresh(base, assembled)
    _assert_same_site(assembled, render_snapshot(tmp_path / "full"))


@pytest.mark.django_db
def test_an_incident_moved_in_its_month_renders_the_pages_between(
    small_pages: None, frozen: datetime, mirror: Path, tmp_path: Path
) -> None:
    incidents = _site(25)
    base = render_next(full=True)

    # The oldest incident's start corrected to the newest: every item after it moves up
    # one place, so pages 3, 2 and 1 all change.
    oldest = incidents[0]
    Incident.objects.filter(pk=oldest.pk).update(started_at=timezone.now() - timedelta(minutes=5))
    lifecycle.update_post(
        actor=ACTOR, incident=oldest, body=promised("Start corrected.", now=frozen),
        status="monitoring",
    )  # fmt: skip
    assembled = render_next()

    assert _month_pages(assembled) <= _rendered_afresh(base, assembled)
    _assert_same_site(assembled, render_snapshot(tmp_path / "full"))


@pytest.mark.django_db
def test_a_render_state_without_positions_renders_every_page_of_the_month(
    small_pages: None, frozen: datetime, mirror: Path, tmp_path: Path
) -> None:
    incidents = _site(25)
    base = render_next(full=True)
    # As a render made before positions were recorded left its state.
    state_file = base.root / "render.json"
    state = RenderState.from_json(state_file.read_bytes())
    state_file.write_bytes(
        RenderState(
            chrome=state.chrome, stamp=state.stamp, homes=state.homes,
            references=state.references, positions=None,
        ).to_json()
    )  # fmt: skip

    lifecycle.update_post(
        actor=ACTOR, incident=incidents[0], body=promised("A note.", now=frozen),
        status="monitoring",
    )  # fmt: skip
    assembled = render_next()

    assert _month_pages(assembled) <= _rendered_afresh(base, assembled)
    _assert_same_site(assembled, render_snapshot(tmp_path / "full"))
