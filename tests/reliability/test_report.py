"""The report from stored rows: the hand-worked November, and its public pages."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from incidents.models import Incident
from incidents.reliability.periods import parse
from incidents.reliability.report import period_report, report_periods
from incidents.reliability.visibility import Visibility, report_visibility
from incidents.selectors import component_uptime_both_ways
from tests.reliability import fixture as f
from tests.reliability.conftest import Stored, report_on

# Works in `make run` too (SQLite, no Redis): the Makefile runs these there as well.
pytestmark = pytest.mark.embedded

NOVEMBER = parse("2026-11")
Q4 = parse("2026-Q4")


def test_stored_november_gives_the_hand_worked_figures(november: Stored) -> None:
    assert NOVEMBER is not None
    report = period_report(NOVEMBER, visibility=Visibility(enabled=True), now=f.NOW)
    overall = report.overall
    assert overall.uptime is not None
    assert overall.uptime.with_maintenance == pytest.approx(f.ALL_WITH)
    assert overall.uptime.without_maintenance == pytest.approx(f.ALL_WITHOUT)
    assert overall.incidents_by_impact == f.ALL_BY_IMPACT
    assert (overall.first_post_median, overall.first_post_p90) == (
        f.ALL_FIRST_MEDIAN,
        f.ALL_FIRST_P90,
    )
    assert (overall.time_to_resolve, overall.resolved) == (f.ALL_MTTR, f.ALL_RESOLVED)
    assert (overall.promises, overall.promises_kept) == (f.ALL_PROMISES, f.ALL_KEPT)
    (a, in_a), (b, in_b) = report.components
    assert (a.name, b.name) == ("API", "Web")
    assert in_a.uptime is not None and in_b.uptime is not None
    assert in_a.uptime.with_maintenance == pytest.approx(f.A_WITH)
    assert in_a.uptime.without_maintenance == pytest.approx(f.A_WITHOUT)
    assert in_a.incidents_by_impact == f.A_BY_IMPACT
    assert in_b.uptime.with_maintenance == 1.0
    assert in_b.uptime.observed_seconds == 15 * 86_400
    assert in_b.incidents == 1 and in_b.promises == 0  # I4; its promise falls in December


def test_the_uptime_agrees_with_the_status_pages_own_selector(november: Stored) -> None:
    # rows.py loads every component at once; the page's selector loads one: same answer.
    assert NOVEMBER is not None
    report = period_report(NOVEMBER, visibility=Visibility(enabled=True), now=f.NOW)
    one_by_one = component_uptime_both_ways(november.a, start=f.NOVEMBER, end=f.DECEMBER)
    assert report.components[0][1].uptime == one_by_one


def test_the_running_month_counts_up_to_now_only(november: Stored) -> None:
    december = parse("2026-12")
    assert december is not None
    report = period_report(december, visibility=Visibility(enabled=True), now=f.NOW)
    assert report.overall.uptime is not None
    # 6.5 days of December for each of the two components, all of it up.
    assert report.overall.uptime.observed_seconds == 2 * round(6.5 * 86_400)
    # I4's promise fell due 1 Dec 00:20 and is still unanswered: counted, and broken.
    assert (report.overall.promises, report.overall.promises_kept) == (1, 0)


def test_the_quarter_holds_its_months(november: Stored) -> None:
    assert Q4 is not None
    report = period_report(Q4, visibility=Visibility(enabled=True), now=f.NOW)
    # October: I0 started there; November's four; December none.
    assert report.overall.incidents == 5
    # Every promise so far: October's none, November's 7, December's 1 (broken).
    assert (report.overall.promises, report.overall.promises_kept) == (8, 4)


def test_periods_reach_back_to_the_oldest_fact(november: Stored) -> None:
    slugs = [p.slug for p in report_periods(now=f.NOW)]
    assert slugs == ["2026-12", "2026-11", "2026-10", "2026-Q4"]


# -- the public pages ---------------------------------------------------------------------


def test_the_report_is_off_until_an_admin_turns_it_on(november: Stored, client: Client) -> None:
    assert report_visibility().enabled is False
    for url in ("/report", "/report/2026-11", "/report/2026-11.json", "/report/2026-11.csv",
                f"/report/components/{november.a.public_id}"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert b'href="/report"' not in client.get("/").content


def test_page_json_and_csv_show_the_figures(november: Stored, client: Client) -> None:
    report_on()
    page = client.get("/report/2026-11")
    assert page.status_code == 200
    html = page.content.decode()
    assert "99.443%" in html and "99.351%" in html  # overall, without and with maintenance
    assert "16 min" in html and "30 min" in html and "4 h 40 min" in html
    assert "4 of 7" in html
    assert 'href="/report"' in client.get("/").content.decode()

    document = json.loads(client.get("/report/2026-11.json").content)
    assert document["period"] == {
        "id": "2026-11", "kind": "month", "start": "2026-11-01T00:00:00Z",
        "end": "2026-12-01T00:00:00Z", "complete": True,
    }  # fmt: skip
    overall = document["overall"]
    assert overall["uptime"]["excluding_maintenance"] == pytest.approx(f.ALL_WITHOUT, abs=1e-6)
    assert overall["incidents"] == {"total": 4, "none": 0, "minor": 2, "major": 1, "critical": 1}
    assert overall["time_to_first_post_seconds"] == {"median": 960, "p90": 1800}
    assert overall["time_to_resolve_seconds"] == {"mean": 16_800, "resolved": 3}
    assert overall["next_update_promises"] == {"due": 7, "kept": 4}
    assert [c["name"] for c in document["components"]] == ["API", "Web"]

    response = client.get("/report/2026-11.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["component_name"] for r in rows] == ["", "API", "Web"]
    assert rows[0]["promises_kept"] == "4" and rows[0]["time_to_resolve_mean_seconds"] == "16800"


def test_a_figure_the_admin_took_out_is_absent_everywhere(november: Stored, client: Client) -> None:
    report_on(figures=("show_uptime", "show_incidents"))
    html = client.get("/report/2026-11").content.decode()
    assert "Uptime, maintenance excluded" in html
    assert "promises kept" not in html.split("<table")[1].split("</table>")[0]
    document = json.loads(client.get("/report/2026-11.json").content)
    assert set(document["overall"]) == {"uptime", "incidents"}
    header = client.get("/report/2026-11.csv").content.decode().splitlines()[0]
    assert "promises_due" not in header and "first_post_median_seconds" not in header


def test_a_hidden_component_is_absent_from_page_json_and_csv(
    november: Stored, client: Client
) -> None:
    report_on(hidden=(november.b.public_id,))
    for url in ("/report", "/report/2026-11", "/report/2026-11.json", "/report/2026-11.csv"):
        body = client.get(url).content.decode()
        assert "Web" not in body and november.b.public_id not in body, url
        assert "API" in body, url
    assert client.get(f"/report/components/{november.b.public_id}").status_code == 404
    assert client.get(f"/report/components/{november.a.public_id}").status_code == 200
    # Its uptime leaves the whole page's too: A's alone.
    document = json.loads(client.get("/report/2026-11.json").content)
    assert document["overall"]["uptime"]["including_maintenance"] == pytest.approx(
        f.A_WITH, abs=1e-6
    )


@pytest.mark.parametrize("url", ["/report/2026-13", "/report/2027-01", "/report/2026-Q5",
                                 "/report/2024-01", "/report/2026-11.xml"])  # fmt: skip
def test_periods_out_of_reach_are_not_found(november: Stored, client: Client, url: str) -> None:
    report_on()
    assert client.get(url).status_code == 404


def test_the_component_page_lists_every_period(november: Stored, client: Client) -> None:
    report_on()
    html = client.get(f"/report/components/{november.a.public_id}").content.decode()
    for label in ("December 2026", "November 2026", "October 2026", "Q4 2026"):
        assert label in html
    assert "99.164%" in html  # A in November, maintenance excluded


HOSTILE = '=HYPERLINK("http://127.0.0.1/x")<script>alert(1)</script>\u202e\u001b'


def test_hostile_stored_names_render_safely(november: Stored, client: Client) -> None:
    # Written by hand past the forms' checks, as a row can be (PostgreSQL refuses NUL).
    type(november.a).objects.filter(pk=november.a.pk).update(name=HOSTILE)
    report_on()
    html = client.get("/report/2026-11").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert client.get(f"/report/components/{november.a.public_id}").status_code == 200
    document = json.loads(client.get("/report/2026-11.json").content)
    name = document["components"][0]["name"]
    assert name.startswith('=HYPERLINK("http://127.0.0.1/x")<script>')
    assert "\u202e" not in name and "\u001b" not in name  # replaced by U+FFFD
    assert "\u202e" not in html
    rows = list(csv.DictReader(io.StringIO(client.get("/report/2026-11.csv").content.decode())))
    assert rows[1]["component_name"].startswith("'=HYPERLINK")


def test_the_running_month_is_marked_incomplete(november: Stored, client: Client) -> None:
    report_on()
    running = json.loads(client.get("/report/2026-12.json").content)
    assert running["period"]["complete"] is False
    assert running["overall"]["incidents"]["total"] == 0
    assert "is not over" in client.get("/report/2026-12").content.decode()
    assert "is not over" not in client.get("/report/2026-11").content.decode()


def test_an_incident_at_midnight_utc_on_the_first_counts_in_the_month_it_opens(
    november: Stored,
) -> None:
    Incident.objects.create(
        name="At midnight", impact="major", started_at=f.DECEMBER, created_at=f.DECEMBER,
        updated_at=f.DECEMBER,
    )  # fmt: skip
    december, q4 = parse("2026-12"), parse("2026-Q4")
    assert december is not None and NOVEMBER is not None and q4 is not None
    shown = Visibility(enabled=True)
    assert period_report(NOVEMBER, visibility=shown, now=f.NOW).overall.incidents == 4
    assert period_report(december, visibility=shown, now=f.NOW).overall.incidents == 1
    # A quarter is its three months: October's I0, November's four, December's one.
    assert period_report(q4, visibility=shown, now=f.NOW).overall.incidents == 6
