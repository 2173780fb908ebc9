"""Atom and RSS feeds of incidents, each entry carrying its whole update timeline.

Links are absolute on CANDOR_CANONICAL_URL rather than the request's host: the same bytes
are cached for every visitor and published to the static snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from incidents import selectors
from incidents.branding.brand import page_name
from incidents.public.cache import Rendered, public_response
from incidents.selectors import IncidentView
from incidents.text import xml_safe


class _AtomWithContent(Atom1Feed):
    """Atom with the timeline in <content>: readers show <summary> as a teaser only."""

    def add_item_elements(self, handler: Any, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"]:
            handler.addQuickElement("content", item["description"], {"type": "html"})


def _absolute(path: str) -> str:
    return settings.CANDOR_CANONICAL_URL + path


def _xml_safe(value: Any) -> Any:
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list | tuple):
        return type(value)(_xml_safe(v) for v in value)
    return value


@dataclass(frozen=True)
class PostmortemEntry:
    """A published postmortem: an entry of its own, so readers see it arrive."""

    incident: IncidentView


Item = IncidentView | PostmortemEntry


def _incident(item: Item) -> IncidentView:
    return item.incident if isinstance(item, PostmortemEntry) else item


class IncidentFeed(Feed):
    feed_type: type = Rss201rev2Feed
    feed_url_name = "public:history_rss"

    def get_feed(self, obj: Any, request: HttpRequest) -> Any:
        # One stored control character must not make the feed (and the snapshot) fail:
        # Django's XML writer refuses what XML 1.0 cannot carry, so it is replaced here.
        feed = super().get_feed(obj, request)
        feed.feed = {key: _xml_safe(value) for key, value in feed.feed.items()}
        feed.items = [{k: _xml_safe(v) for k, v in item.items()} for item in feed.items]
        return feed

    def title(self) -> str:
        return f"{page_name()} status - Incident history"

    def description(self) -> str:
        return f"Incidents and their updates on the {page_name()} status page"

    def link(self) -> str:
        return _absolute(reverse("public:status"))

    def author_name(self) -> str:
        # Atom requires an author for each entry; the feed's covers them all (RFC 4287).
        return f"{page_name()} status"

    def feed_url(self) -> str:
        return _absolute(reverse(self.feed_url_name))

    def items(self) -> list[Item]:
        incidents = selectors.incidents_recent(limit=selectors.HISTORY_LIMIT)
        items: list[Item] = [*incidents]
        items += [PostmortemEntry(i) for i in incidents if i.postmortem is not None]
        # Newest first, by when each entry appeared.
        return sorted(items, key=self.item_pubdate, reverse=True)

    def item_title(self, item: Item) -> str:
        if isinstance(item, PostmortemEntry):
            return f"Postmortem: {item.incident.name}"
        return item.name

    def item_description(self, item: Item) -> str:
        if isinstance(item, PostmortemEntry):
            return render_to_string("public/feed_postmortem.html", {"incident": item.incident})
        return render_to_string("public/feed_entry.html", {"incident": item})

    def item_link(self, item: Item) -> str:
        link = _absolute(reverse("public:incident", args=[_incident(item).public_id]))
        return link + "#postmortem" if isinstance(item, PostmortemEntry) else link

    def item_pubdate(self, item: Item) -> datetime:
        if isinstance(item, PostmortemEntry) and item.incident.postmortem is not None:
            return item.incident.postmortem.published_at
        return _incident(item).started_at

    def item_updateddate(self, item: Item) -> datetime:
        if isinstance(item, PostmortemEntry) and item.incident.postmortem is not None:
            return item.incident.postmortem.body_last_updated_at
        return _incident(item).updated_at


class IncidentAtomFeed(IncidentFeed):
    feed_type = _AtomWithContent
    feed_url_name = "public:history_atom"

    def subtitle(self) -> str:
        return self.description()


def _feed_response(request: HttpRequest, feed: Feed) -> HttpResponse:
    def render() -> Rendered:
        response = feed(request)
        return Rendered(body=response.content, content_type=response["Content-Type"])

    return public_response(request, request.path, render)


def history_atom(request: HttpRequest) -> HttpResponse:
    return _feed_response(request, IncidentAtomFeed())


def history_rss(request: HttpRequest) -> HttpResponse:
    return _feed_response(request, IncidentFeed())
