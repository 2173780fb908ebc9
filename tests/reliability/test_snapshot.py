"""The report in the static snapshot: every page and document, nothing hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from incidents.publish.manifest import Snapshot
from incidents.publish.snapshot import render_snapshot
from tests.reliability.conftest import Stored, report_on

# Works in `make run` too (SQLite, no Redis): the Makefile runs these there as well.
pytestmark = pytest.mark.embedded


def _text(snapshot: Snapshot, path: str) -> str:
    return snapshot.read(path).decode()


def test_no_report_in_the_snapshot_while_it_is_off(november: Stored, tmp_path: Path) -> None:
    files = render_snapshot(tmp_path / "site").manifest.files
    assert not [p for p in files if p == "report" or p.startswith("report/")]


def test_the_snapshot_holds_the_report_without_a_hidden_component(
    november: Stored, tmp_path: Path
) -> None:
    report_on(hidden=(november.b.public_id,))
    snapshot = render_snapshot(tmp_path / "site")
    files = snapshot.manifest.files
    expected = {
        "report",
        f"report/components/{november.a.public_id}",
        *(f"report/{slug}{ext}" for slug in ("2026-12", "2026-11", "2026-10", "2026-Q4")
          for ext in ("", ".json", ".csv")),
    }  # fmt: skip
    assert expected <= set(files)
    assert f"report/components/{november.b.public_id}" not in files
    assert files["report/2026-11.csv"].content_type == "text/csv; charset=utf-8"
    assert files["report/2026-11.json"].content_type.startswith("application/json")
    for path in [p for p in files if p.startswith("report")]:
        body = _text(snapshot, path)
        assert november.b.public_id not in body, path
    assert "4 of 7" in _text(snapshot, "report/2026-11")
    assert 'href="/report"' in _text(snapshot, "index.html")
