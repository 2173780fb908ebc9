from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from django.conf import settings
from django.test import Client

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Incident
from tests.factories import promised
from tests.public.conftest import Layout
from tests.public.test_pages import XSS_BODY

pytestmark = pytest.mark.django_db

START = datetime(2024, 4, 2, 9, 0, tzinfo=UTC)


def _two_incidents(actor: Actor, layout: Layout) -> tuple[Incident, Incident]:
    old = lifecycle.incident_open(
        actor=actor, name="Search slow", body=promised("Looking.", now=START), now=START,
        components={layout.api: "degraded_performance"},
    )  # fmt: skip
    lifecycle.incident_resolve(
        actor=actor, incident=old, body="Search is fast again.", now=START + timedelta(hours=2)
    )
    new = lifecycle.incident_open(
        actor=actor, name="Login errors",
        body=promised("We are *investigating*.", now=START + timedelta(days=1)),
        impact="major",
        now=START + timedelta(days=1),
    )  # fmt: skip
    old.refresh_from_db()
    return old, new


def _content(entry: feedparser.FeedParserDict) -> str:
    """Atom carries the timeline in <content>, RSS in <description>."""
    return entry.content[0].value if "content" in entry else entry.description


@pytest.mark.parametrize("path", ["/history.atom", "/history.rss"])
def test_feeds_list_incidents_with_their_timeline(
    client: Client, layout: Layout, actor: Actor, path: str
) -> None:
    old, _ = _two_incidents(actor, layout)
    response = client.get(path)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)

    assert not feed.bozo, feed.bozo_exception
    assert settings.CANDOR_PAGE_NAME in feed.feed.title
    assert feed.feed.link == settings.CANDOR_CANONICAL_URL + "/"
    assert [e.title for e in feed.entries] == ["Login errors", "Search slow"]
    entry = feed.entries[1]
    assert entry.link == f"{settings.CANDOR_CANONICAL_URL}/incidents/{old.public_id}"
    content = _content(entry)
    assert content.index("Search is fast again.") < content.index("Looking.")  # newest first
    assert "<strong>Resolved</strong>" in content
    assert "<em>investigating</em>" in _content(feed.entries[0])


def test_atom_entries_are_updated_when_the_incident_is(
    client: Client, layout: Layout, actor: Actor
) -> None:
    old, _ = _two_incidents(actor, layout)
    feed = feedparser.parse(client.get("/history.atom").content)
    entry = feed.entries[1]
    assert datetime(*entry.updated_parsed[:6], tzinfo=UTC) == old.updated_at
    assert entry.id == f"{settings.CANDOR_CANONICAL_URL}/incidents/{old.public_id}"
    assert feed.feed.links[-1].href == settings.CANDOR_CANONICAL_URL + "/history.atom"


def test_the_feed_holds_the_fifty_most_recent_incidents(
    client: Client, layout: Layout, actor: Actor
) -> None:
    for n in range(52):
        lifecycle.incident_open(
            actor=actor,
            name=f"Incident {n}",
            body=promised("Body.", now=START + timedelta(minutes=n)),
            now=START + timedelta(minutes=n),
        )
    feed = feedparser.parse(client.get("/history.rss").content)
    assert len(feed.entries) == 50
    assert feed.entries[0].title == "Incident 51"


@pytest.mark.parametrize("path", ["/history.atom", "/history.rss"])
def test_hostile_markup_never_reaches_a_feed(
    client: Client, layout: Layout, actor: Actor, path: str
) -> None:
    lifecycle.incident_open(actor=actor, name="Odd", body=promised(XSS_BODY))
    raw = client.get(path).content.decode()
    feed = feedparser.parse(raw)
    assert "We are investigating." in raw
    for text in (raw, _content(feed.entries[0])):
        for live in ("<script", "&lt;script", "onerror", "javascript:", "<iframe", "&lt;iframe"):
            assert live not in text, (path, live)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/history.atom", "application/atom+xml"), ("/history.rss", "application/rss+xml")],
)
def test_feeds_are_cached_like_pages(
    client: Client, layout: Layout, django_assert_num_queries, path: str, content_type: str
) -> None:
    first = client.get(path)
    assert first["Content-Type"].startswith(content_type)
    assert first["Cache-Control"].startswith("public, max-age=")
    with django_assert_num_queries(0):
        second = client.get(path, headers={"If-None-Match": first["ETag"]})
    assert second.status_code == 304


ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_meets_rfc_4287s_required_elements(
    client: Client, layout: Layout, actor: Actor
) -> None:
    """What the W3C feed validator checks structurally: the feed has id, title, updated and
    a self link; every entry has id, title, updated, a link, and an author (its own or,
    as here, the feed's: RFC 4287 section 4.1.1)."""
    _two_incidents(actor, layout)
    root = ET.fromstring(client.get("/history.atom").content)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}") is not None, name
    assert any(link.get("rel") == "self" for link in root.findall(f"{ATOM}link"))
    feed_author = root.find(f"{ATOM}author/{ATOM}name")
    entries = root.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        for name in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{name}") is not None, name
        author = entry.find(f"{ATOM}author/{ATOM}name")
        assert (author if author is not None else feed_author) is not None, "no author"
        assert ((author if author is not None else feed_author).text or "").strip()
