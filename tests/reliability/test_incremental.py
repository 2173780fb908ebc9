"""With the report on, an incremental publish still assembles exactly the full render."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from incidents import lifecycle
from incidents.publish.renders import render_next
from incidents.publish.snapshot import render_snapshot
from tests.factories import promised
from tests.publish import conftest as publish_fixtures
from tests.publish import test_incremental as incremental
from tests.reliability.conftest import report_on

# The incremental publishing tests' site, clock and mirror, with the report on.
mirror = publish_fixtures.mirror
frozen = incremental.frozen
site = incremental.site
ACTOR = incremental.ACTOR

CHANGES = {
    "resolving an incident months old (its month's time to resolve)": lambda s, now: (
        lifecycle.incident_resolve(actor=ACTOR, incident=s["old0"], body="Fixed.", now=now)
    ),
    "a new incident": lambda s, now: lifecycle.incident_open(
        actor=ACTOR,
        name="Slow dashboard",
        body=promised("Investigating.", now=now),
        impact="minor",
        components={s["api"]: "degraded_performance"},
        now=now,
    ),
    "a component's status": lambda s, now: lifecycle.component_status_set(
        actor=ACTOR, component=s["api"], status="major_outage", now=now
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_an_incremental_render_with_the_report_is_the_full_render(
    change: str, site: dict[str, Any], frozen: datetime, tmp_path: Path
) -> None:
    report_on()
    base = render_next(full=True)
    assert "report" in base.manifest.files

    CHANGES[change](site, frozen)
    assembled = render_next()

    incremental._assert_same_site(assembled, render_snapshot(tmp_path / "full"))
    fresh = incremental._rendered_afresh(base, assembled)
    assert f"report/{frozen:%Y-%m}" in fresh
    old = site["old0"].started_at
    if change != "a component's status":  # that one changes the header: a full render
        assert (f"report/{old:%Y-%m}" in fresh) == change.startswith("resolving")
