"""What every notification says, and the words' templates under templates/notify/.

Each channel (channels/) renders its own templates, `notify/<channel>/...`, with the
context `update_context` gives: the update as written, the incident's (or maintenance's)
canonical URL and the subscriber's way out. Strings in the templates are marked for
translation. The fan-out checks every rendering against the wording policy for its channel
before it sends (fanout.py): a message the policy refuses is never sent.

A template is rendered once per update, language and channel (`words_render` memoises on
its whole input); the subscriber's own link is put into that rendering afterwards
(`personal`), as a fan-out of 100,000 messages would otherwise render 100,000 times.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from functools import lru_cache

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language, gettext

from incidents import signing
from incidents.models import (
    Announcement,
    IncidentUpdate,
    MaintenanceUpdate,
    Postmortem,
    SignedNotice,
    Subscriber,
)
from incidents.notify import links
from incidents.text import printable
from incidents.thread_scope import ThreadScope
from incidents.wording.translations import translated_words

# Curly quotes, dashes and the ellipsis, by code point, to their GSM-7 stand-ins.
_PLAIN = str.maketrans(
    {0x2018: "'", 0x2019: "'", 0x201C: '"', 0x201D: '"', 0x2013: "-", 0x2014: "-", 0x2026: "..."}
)
SMS_LIMIT = 306  # two concatenated GSM-7 segments, the default policy's `length-sms`
# The sentence that says when the next update comes: a text cut to fit keeps it, so the
# SMS states the same promise as the page, the feeds and the email (docs/design.md).
_PROMISE_SENTENCE = re.compile(r"[^.!?\n]*\bnext update\b[^.!?\n]*[.!?]?", re.IGNORECASE)
# Stands for the subscriber's manage link in a shared rendering: random per process, so no
# update's words can contain it.
_LINK = "https://link-" + secrets.token_hex(16) + ".invalid/m"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    url: str  # the canonical page of the incident or maintenance
    unsubscribe_url: str
    manage_url: str
    kind: str  # incident, maintenance or postmortem
    title: str
    status: str
    # The update's signature, for a message header (email's Candor-Signature); "" unsigned.
    signature: str = ""


@lru_cache(maxsize=256)
def _page_path(name: str, public_id: str, language: str | None) -> str:
    # `language` keys the cache: reverse() gives the active language's URL (/de/...).
    return reverse(name, args=[public_id])


def _page_url(name: str, public_id: str) -> str:
    # The path is cached (a batch shares one); the host is read from the settings.
    return links.absolute(_page_path(name, public_id, get_language()))


def _about(update: Announcement) -> tuple[str, str, str]:
    """(kind, title, canonical URL) of what the update belongs to."""
    if isinstance(update, Postmortem):
        page = _page_url("public:incident", update.incident.public_id)
        return "postmortem", update.incident.name, f"{page}#postmortem"
    if isinstance(update, IncidentUpdate):
        return (
            "incident",
            update.incident.name,
            _page_url("public:incident", update.incident.public_id),
        )
    parent = update.maintenance
    return "maintenance", parent.name, _page_url("public:maintenance", parent.public_id)


def gsm7(text: str) -> str:
    """Keep SMS in GSM-7: curly quotes and dashes become plain ones, accents are dropped."""
    text = text.translate(_PLAIN)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


@dataclass(frozen=True)
class UpdateContext:
    """What the templates of one update's notifications are given (`as_context`)."""

    kind: str
    title: str  # one line: it is the email Subject header
    url: str
    words: str
    status: str  # as people read it
    status_value: str  # as stored
    page: str
    # The signed notice's short code and the Verify page's link to it (signing.py).
    code: str = signing.CODE_PLACEHOLDER
    verify_url: str = ""
    signature: str = ""

    def as_context(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "title": self.title,
            "url": self.url,
            "words": self.words,
            "status": self.status,
            "page": self.page,
            "code": self.code,
            "verify": self.verify_url,
            # The shared rendering's stand-ins; `personal` puts the subscriber's in.
            "manage": _LINK,
            "unsubscribe": links.unsubscribe_url_from(_LINK),
        }


def _status_read(update: Announcement) -> str:
    if isinstance(update, Postmortem):
        return gettext("Postmortem published")
    if isinstance(update, MaintenanceUpdate) and update.reminder:
        starts = update.maintenance.scheduled_for.astimezone(UTC)
        return f"Reminder: starts {starts:%Y-%m-%d %H:%M} UTC"
    # The status's interface word in the active language (the subscriber's, fanout.py);
    # the update's own words stay as written.
    return gettext(update.get_status_display())


def signature_header(notice: SignedNotice) -> str:
    """The Candor-Signature header: which key, the code, the signature (docs/security.md)."""
    return f"v=1; a=ed25519; k={notice.key_id}; c={notice.code}; s={notice.signature}"


def subscriber_language(subscriber: Subscriber) -> str:
    """The language a subscriber reads their messages in; "" for the original words.
    Read through here only, so where the language is kept changes in one place."""
    return subscriber.language or ""


_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+\S", re.MULTILINE)
# The most of a postmortem's first section a message carries; the page has the rest.
EXCERPT_MAX = 1200


def postmortem_excerpt(body: str) -> str:
    """What a message tells of a postmortem: its start up to the second section (the
    summary, in the default template), ending "..." where more follows. A start of the
    signed words, so the Verify page matches it as it matches an SMS cut to fit."""
    body = body.strip()
    headings = [m.start() for m in _HEADING.finditer(body) if m.start() > 0]
    end = headings[0] if headings else len(body)
    excerpt = body[: min(end, EXCERPT_MAX)].rstrip()
    return excerpt if len(excerpt) == len(body) else f"{excerpt}\n..."


def _signed(update: Announcement) -> SignedNotice | None:
    if isinstance(update, Postmortem):
        return signing.postmortem_signed(update)
    return signing.update_signed(update)


# One fan-out batch's contexts (fanout._send_batch): its deliveries share each update's
# one loaded instance (fanout._updates_attach).
_contexts = ThreadScope()


@contextmanager
def contexts_shared() -> Iterator[None]:
    """In this thread, `update_context` reads each update's context once per language
    until the block ends: a fan-out batch sends one update to 100 people, and reading its
    signed notice again for each cost more than sending the message (bench/README.md).
    Keyed by the update as loaded (the instance), so a batch that loads it afresh reads
    it afresh."""
    with _contexts.open():
        yield


def update_context(update: Announcement, language: str = "") -> UpdateContext:
    """`language`: the reader's; the words are its approved translation when there is one
    (wording/translations.py), else the original words. A postmortem has none: its
    messages carry its start as written, around interface words in `language`."""
    memo = _contexts.memo()
    if memo is None:
        return _update_context(update, language)
    # The interface words and the links follow the active language, as well as `language`.
    key = (id(update), language, get_language())
    kept = memo.get(key)
    if kept is None or kept[0] is not update:
        # Kept with the update itself, so its id is not reused while the block lasts.
        kept = memo[key] = (update, _update_context(update, language))
    return kept[1]


def _update_context(update: Announcement, language: str) -> UpdateContext:
    kind, title, url = _about(update)
    if isinstance(update, Postmortem):
        words: str | None = postmortem_excerpt(update.published_body)
    else:
        words = translated_words(update, language) if language else None
    # Signed once per update (an unsaved draft, priced by the send forecast, is not: its
    # messages carry a stand-in code as long as a real one).
    notice = _signed(update)
    code = notice.code if notice is not None else signing.CODE_PLACEHOLDER
    # Rows stored before incidents/text.py refused them still send: one line for the
    # title, no control character anywhere.
    return UpdateContext(
        code=code,
        verify_url=links.absolute(reverse("public:verify")) + "?code=" + code,
        signature=signature_header(notice) if notice is not None else "",
        kind=kind,
        title=printable(title, multiline=False),
        url=url,
        words=printable((words or _body(update)).strip()),
        status=_status_read(update),
        status_value="postmortem" if isinstance(update, Postmortem) else update.status,
        page=settings.CANDOR_PAGE_NAME,
    )


def _body(update: Announcement) -> str:
    return update.published_body if isinstance(update, Postmortem) else update.body


def fit(body: str, room: int) -> str:
    """`body` in `room` characters: cut with "...", the promise sentence kept whole."""
    if len(body) <= room:
        return body
    promises = list(_PROMISE_SENTENCE.finditer(body))
    if promises:
        keep = promises[-1].group().strip()
        before = body[: promises[-1].start()].rstrip()
        if before and len(keep) + 4 <= room:
            return before[: room - len(keep) - 4].rstrip() + "... " + keep
    return body[: max(0, room - 3)].rstrip() + "..."


def words_once(template: str, context: dict[str, str]) -> str:
    """A words template rendered, without the file's final newline (it ends every file).

    The templates turn autoescaping off: these are plain-text words, and HTML escaping
    would change what the subscriber reads.
    """
    return render_to_string(template, context).removesuffix("\n")


def words_render(template: str, context: dict[str, str]) -> str:
    """`words_once`, memoised on the template, its context and the language: for the
    words every subscriber of an update shares (never for a secret)."""
    return _render(template, tuple(sorted(context.items())), get_language())


@lru_cache(maxsize=512)
def _render(template: str, items: tuple[tuple[str, str], ...], language: str | None) -> str:
    return words_once(template, dict(items))


def personal(text: str, manage: str) -> str:
    """A shared rendering with the subscriber's own manage (and unsubscribe) link."""
    return text.replace(_LINK, manage)


def rendered_with(
    about: UpdateContext, subscriber: Subscriber, *, subject: str, text: str
) -> Rendered:
    """A channel's shared subject and text, made the subscriber's."""
    manage = links.manage_url(subscriber.public_id)
    return Rendered(
        subject=subject,
        text=personal(text, manage),
        url=about.url,
        unsubscribe_url=links.unsubscribe_url_from(manage),
        manage_url=manage,
        kind=about.kind,
        title=about.title,
        status=about.status_value,
        signature=about.signature,
    )


def with_phrase(rendered: Rendered, subscriber: Subscriber) -> Rendered:
    """The subscriber's personal phrase first, when they set one: a look-alike message
    that does not know it stands out (email, SMS)."""
    if not subscriber.personal_phrase:
        return rendered
    line = f"Your phrase: {printable(subscriber.personal_phrase, multiline=False)}"
    return dataclasses.replace(rendered, text=f"{line}\n{rendered.text}")


def update_rendered(
    update: Announcement, subscriber: Subscriber, *, text_template: str
) -> Rendered:
    """An update's notification whose words are one template over the shared context
    (email, webhook, chat) in the subscriber's language; the subject is every channel's.
    Rendered once per update and language (`words_render`), never per recipient."""
    about = update_context(update, subscriber_language(subscriber))
    subject, text = _shared_words(about, text_template, get_language())
    return rendered_with(about, subscriber, subject=subject, text=text)


@lru_cache(maxsize=256)
def _shared_words(
    about: UpdateContext, text_template: str, language: str | None
) -> tuple[str, str]:
    """An update's subject and words in a language, looked up once per message by the
    context itself rather than by its sorted items (`words_render`), which cost more."""
    context = about.as_context()
    return words_render("notify/subject.txt", context), words_render(text_template, context)
