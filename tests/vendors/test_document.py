"""Reading vendors' documents: whatever the bytes, a reading or DocumentError, and what
is kept from a vendor is printable and bounded."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.models import VendorKind, VendorStatus
from incidents.text import text_problem
from incidents.vendors.document import DocumentError, feed_entry_status, read
from incidents.vendors.probe import candidates
from tests.vendors.conftest import feed, summary

NOW = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(str.encode)))
def test_any_bytes_give_a_reading_or_a_document_error(body: bytes) -> None:
    try:
        reading = read(body, now=NOW)
    except DocumentError:
        return
    for reported in reading.components:
        assert text_problem(reported.name, multiline=False) is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(page=_json, components=_json)
def test_any_json_shape_gives_a_reading_or_a_document_error(
    page: object, components: object
) -> None:
    body = json.dumps({"page": page, "components": components}).encode()
    with contextlib.suppress(DocumentError):
        read(body, now=NOW)


def test_hostile_vendor_names_are_kept_printable_and_bounded() -> None:
    document = summary()
    document["page"]["name"] = "Evil\u202e\x00 Corp\n" + "x" * 1_000_000
    document["components"][0]["name"] = "API\ud800\x1b[31m" + "y" * 10_000
    reading = read(json.dumps(document).encode(), now=NOW)
    assert (
        len(reading.page_name) <= 200 and text_problem(reading.page_name, multiline=False) is None
    )
    name = reading.components[0].name
    assert len(name) <= 200 and text_problem(name, multiline=False) is None


def test_an_html_error_page_served_as_json_is_not_a_status() -> None:
    with pytest.raises(DocumentError, match="neither JSON nor an RSS/Atom feed"):
        read(b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>", now=NOW)


def test_an_unknown_component_status_is_refused_not_guessed() -> None:
    document = summary()
    document["components"][0]["status"] = "on_fire"
    with pytest.raises(DocumentError, match="unknown status"):
        read(json.dumps(document).encode(), now=NOW)


@pytest.mark.parametrize(
    ("words", "status"),
    [
        ("[RESOLVED] Increased error rates for Lambda", VendorStatus.OPERATIONAL),
        ("Service is operating normally: elevated latency", VendorStatus.OPERATIONAL),
        ("Scheduled maintenance of the EU database", VendorStatus.UNDER_MAINTENANCE),
        ("Intermittent failures for some customers", VendorStatus.PARTIAL_OUTAGE),
        ("Service disruption: API unavailable", VendorStatus.MAJOR_OUTAGE),
        ("Elevated error rates on webhooks", VendorStatus.DEGRADED_PERFORMANCE),
        ("Investigating reports", VendorStatus.DEGRADED_PERFORMANCE),
    ],
)
def test_feed_entries_are_read_by_their_words(words: str, status: VendorStatus) -> None:
    assert feed_entry_status(words) == status


def test_an_old_feed_entry_that_never_said_resolved_no_longer_counts() -> None:
    body = feed(("Outage of the API", "Investigating", NOW - timedelta(hours=13)))
    reading = read(body, now=NOW)
    assert reading.kind == VendorKind.FEED
    assert reading.components[0].status == VendorStatus.OPERATIONAL


def test_an_rss_feed_is_read_too() -> None:
    rss = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Cloud status</title>
    <item><title>Degraded performance: Storage</title>
    <pubDate>{(NOW - timedelta(minutes=5)).strftime("%a, %d %b %Y %H:%M:%S +0000")}</pubDate>
    <category>storage</category></item></channel></rss>""".encode()
    reading = read(rss, now=NOW)
    assert reading.page_name == "Cloud status"
    assert reading.components[0].status == VendorStatus.DEGRADED_PERFORMANCE


def test_a_status_page_url_is_tried_as_given_then_with_the_summary_path() -> None:
    assert candidates("https://status.example.com/") == [
        "https://status.example.com/",
        "https://status.example.com/api/v2/summary.json",
    ]
    assert candidates("https://status.example.com/api/v2/summary.json") == [
        "https://status.example.com/api/v2/summary.json"
    ]
