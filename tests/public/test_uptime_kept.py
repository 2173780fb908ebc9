"""The uptime bars' past days are computed once per history, found again by a cheap
per-component aggregate: a render does not load the window's status changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incidents import selectors
from incidents.models import ComponentStatusChange
from incidents.uptime import past_days_forget
from tests.factories import ComponentFactory

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _bars(now: datetime) -> dict[str, Any]:
    status = selectors.public_status(now=now)
    return {c.public_id: c.uptime_days for c in status.components}


@pytest.mark.embedded
@pytest.mark.django_db
def test_past_days_are_computed_once_per_history(monkeypatch: pytest.MonkeyPatch) -> None:
    api, web = ComponentFactory(name="API"), ComponentFactory(name="Web")
    for component, hours in ((api, 2), (web, 5)):
        ComponentStatusChange.objects.create(
            component=component, status="major_outage", at=NOW - timedelta(days=3, hours=hours)
        )
        ComponentStatusChange.objects.create(
            component=component, status="operational", at=NOW - timedelta(days=3)
        )
    computed: list[object] = []
    keep = selectors.past_days_keep

    def counting(key: object, **kwargs: Any) -> Any:
        computed.append(key)
        return keep(key, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(selectors, "past_days_keep", counting)

    first = _bars(NOW)
    assert len(computed) == 2
    assert first[api.public_id][-4].day.uptime < 1.0  # the outage is in the bars

    computed.clear()
    # Later today, and a change today: the past days are found, not computed.
    ComponentStatusChange.objects.create(
        component=api, status="partial_outage", at=NOW + timedelta(minutes=1)
    )
    later = _bars(NOW + timedelta(minutes=5))
    assert computed == []
    assert later[api.public_id][:-1] == first[api.public_id][:-1]
    assert later[api.public_id][-1] != first[api.public_id][-1]

    # A change backdated into the past days is a different history: computed again, for
    # that component alone, and equal to computing from nothing.
    ComponentStatusChange.objects.create(
        component=web, status="partial_outage", at=NOW - timedelta(days=10)
    )
    again = _bars(NOW + timedelta(minutes=5))
    assert len(computed) == 1
    assert again[web.public_id] != later[web.public_id]
    past_days_forget()
    assert _bars(NOW + timedelta(minutes=5)) == again
