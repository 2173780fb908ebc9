"""The content of one chat message, whatever the provider: built once per update (the
facts) and completed with the subscriber's own links from its `Rendered`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.translation import gettext

from incidents.models import Announcement, IncidentUpdate, Postmortem
from incidents.notify.render import Rendered, update_context
from incidents.text import printable

# A status's colour, as the public page shows it: red while a cause is sought, amber once
# found, blue while watching or working, green when done.
_COLOURS = {
    "investigating": "#d1242f",
    "identified": "#bf8700",
    "monitoring": "#0969da",
    "resolved": "#1a7f37",
    "scheduled": "#0969da",
    "in_progress": "#0969da",
    "verifying": "#0969da",
    "completed": "#1a7f37",
}
_GREY = "#6e7781"
# Which colour each family of providers calls it: Adaptive Cards have named styles only.
_CARD_STYLES = {"#d1242f": "attention", "#bf8700": "warning", "#1a7f37": "good"}


@dataclass(frozen=True)
class ChatMessage:
    kind: str  # incident, maintenance or postmortem
    about_id: str  # the incident's (or maintenance's) public id
    title: str  # one line
    status: str  # as people read it
    status_value: str  # as stored
    words: str  # the update as written (Markdown source), no control characters
    components: tuple[str, ...]  # the names of the components it is about
    next_update: datetime | None  # when the next update is promised (incidents)
    window: tuple[datetime, datetime] | None  # a maintenance's scheduled window
    page: str
    url: str
    manage_url: str
    unsubscribe_url: str

    @property
    def view_label(self) -> str:
        """The link button's words, in the active language."""
        if self.kind == "postmortem":
            return gettext("Read the postmortem")
        return gettext("View incident") if self.kind == "incident" else gettext("View maintenance")

    @property
    def colour(self) -> str:
        return _COLOURS.get(self.status_value, _GREY)

    @property
    def card_style(self) -> str:
        return _CARD_STYLES.get(self.colour, "accent")


@dataclass(frozen=True)
class _Facts:
    components: tuple[str, ...]
    next_update: datetime | None
    window: tuple[datetime, datetime] | None


def _facts(update: Announcement) -> _Facts:
    """What the update is about, read once per update and batch.

    The fan-out hands every delivery of a batch the same update object (fanout.py,
    `_updates_attach`), so keeping the facts on it reads the components once per batch
    rather than once per message.
    """
    cached: _Facts | None = getattr(update, "_chat_facts", None)
    if cached is not None:
        return cached
    if isinstance(update, IncidentUpdate | Postmortem):
        parent = update.incident
        names = [c.name for c in parent.components.order_by("position", "name")]
        facts = _Facts(
            tuple(printable(n, multiline=False) for n in names),
            parent.next_update_due if parent.is_open else None,
            None,
        )
    else:
        window = update.maintenance
        names = [c.name for c in window.components.order_by("position", "name")]
        facts = _Facts(
            tuple(printable(n, multiline=False) for n in names),
            None,
            (window.scheduled_for, window.scheduled_until),
        )
    update._chat_facts = facts  # type: ignore[union-attr]
    return facts


def chat_message(update: Announcement, rendered: Rendered) -> ChatMessage:
    about = update_context(update)
    facts = _facts(update)
    parent = (
        update.incident if isinstance(update, IncidentUpdate | Postmortem) else update.maintenance
    )
    return ChatMessage(
        kind=about.kind,
        about_id=parent.public_id,
        title=about.title,
        status=about.status,
        status_value=about.status_value,
        words=about.words,
        components=facts.components,
        next_update=facts.next_update,
        window=facts.window,
        page=about.page,
        url=rendered.url,
        manage_url=rendered.manage_url,
        unsubscribe_url=rendered.unsubscribe_url,
    )


def utc_text(when: datetime) -> str:
    """A time as every reader can place it, where the provider cannot localise it."""
    return when.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")
