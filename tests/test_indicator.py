from __future__ import annotations

import pytest

from incidents.models import page_indicator


@pytest.mark.parametrize(
    ("components", "impacts", "maintenance", "expected"),
    [
        ([], [], False, ("none", "All Systems Operational")),
        (["operational"], [], True, ("none", "Service Under Maintenance")),
        (["degraded_performance"], [], False, ("minor", "Minor Service Outage")),
        (["partial_outage"], [], False, ("major", "Partial System Outage")),
        (["major_outage"], ["minor"], False, ("critical", "Major Service Outage")),
        (["operational"], ["major"], False, ("major", "Partial System Outage")),
        (["operational"], ["none"], False, ("none", "All Systems Operational")),
        (["under_maintenance", "partial_outage"], [], True, ("major", "Partial System Outage")),
    ],
)
def test_the_page_indicator_is_the_worst_of_components_and_open_incidents(
    components: list[str], impacts: list[str], maintenance: bool, expected: tuple[str, str]
) -> None:
    result = page_indicator(components, impacts, maintenance)
    assert (result.indicator, result.description) == expected
