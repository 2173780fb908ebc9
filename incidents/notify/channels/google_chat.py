"""Google Chat, through a space's incoming webhook: a cardsV2 card, and one thread per
incident or maintenance (`threadKey`, replying in it once it exists).

Errors come in Google's API shape, `{"error": {"code", "message", "status"}}`: 404
NOT_FOUND means the webhook (or its space) was deleted; PERMISSION_DENIED (403) that the
space no longer lets it post, maybe for a while; 429 RESOURCE_EXHAUSTED is the per-space
quota (one message a second); 5xx are Google's.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from incidents.notify.channels.chat import ChatChannel
from incidents.notify.chat.cut import cut
from incidents.notify.chat.hosts import Hosts
from incidents.notify.chat.message import ChatMessage, utc_text
from incidents.notify.transports import Blame, TransportError
from incidents.notify.transports.chat import said, throttled, unavailable

# A message is at most 32,000 bytes; a card's text stays well inside (4 bytes a char).
WORDS_TEXT = 4_000
SHORT_TEXT = 1_000


def _html(text: str) -> str:
    """Card text is a small HTML subset: the words escaped, their line ends kept."""
    return html.escape(text, quote=False).replace("\n", "<br>")


def _status(answer: requests.Response) -> str:
    try:
        return str((answer.json().get("error") or {}).get("status") or "")[:40]
    except (ValueError, AttributeError):
        return ""


def _button(label: str, url: str) -> dict[str, Any]:
    return {"text": label, "onClick": {"openLink": {"url": url}}}


class GoogleChatChannel(ChatChannel):
    name = "google_chat"
    label = "Google Chat"
    provider = "Google Chat"
    unavailable = gettext_noop("Google Chat is not available on this page.")
    hosts = Hosts(
        names=("chat.googleapis.com",),
        path=re.compile(r"/v1/spaces/[A-Za-z0-9_\-]+/messages"),
        example="https://chat.googleapis.com/v1/spaces/AAAA/messages?key=…&token=…",
    )

    def post_url(self, destination: str, message: ChatMessage | None) -> str:
        if message is None:
            return destination
        # Each incident's updates in one thread: the first starts it, the rest reply.
        thread = {
            "threadKey": f"candor-{message.kind}-{message.about_id}",
            "messageReplyOption": "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD",
        }
        joiner = "&" if "?" in destination else "?"
        return destination + joiner + urlencode(thread)

    def update_payload(self, message: ChatMessage) -> dict[str, Any]:
        facts = []
        if message.components:
            facts.append((_("Affected"), ", ".join(message.components)))
        if message.next_update is not None:
            facts.append((_("Next update by"), utc_text(message.next_update)))
        if message.window is not None:
            start, end = message.window
            facts.append((_("Scheduled"), f"{utc_text(start)} - {utc_text(end)}"))
        view = message.view_label
        sections: list[dict[str, Any]] = [
            {"widgets": [{"textParagraph": {"text": cut(_html(message.words), WORDS_TEXT)}}]}
        ]
        if facts:
            sections.append(
                {
                    "widgets": [
                        {
                            "decoratedText": {
                                "topLabel": label,
                                "text": cut(_html(value), SHORT_TEXT),
                                "wrapText": True,
                            }
                        }
                        for label, value in facts
                    ]
                }
            )
        buttons = [
            _button(view, message.url),
            _button(_("Manage"), message.manage_url),
            _button(_("Unsubscribe"), message.unsubscribe_url),
        ]
        sections.append({"widgets": [{"buttonList": {"buttons": buttons}}]})
        card = {
            "header": {
                "title": cut(message.title, SHORT_TEXT),
                "subtitle": cut(f"{message.status} · {message.page}", SHORT_TEXT),
            },
            "sections": sections,
        }
        return {"cardsV2": [{"cardId": "update", "card": card}]}

    def notice_payload(
        self, *, title: str, text: str, link: str, link_label: str
    ) -> dict[str, Any]:
        card = {
            "header": {"title": cut(title, SHORT_TEXT)},
            "sections": [
                {
                    "widgets": [
                        {"textParagraph": {"text": cut(_html(text), WORDS_TEXT)}},
                        {"buttonList": {"buttons": [_button(link_label, link)]}},
                    ]
                }
            ],
        }
        return {"cardsV2": [{"cardId": "confirm", "card": card}]}

    def answer_read(self, answer: requests.Response) -> TransportError | None:
        status = answer.status_code
        if 200 <= status < 300:
            return None
        if status == 429:
            return throttled(self.provider, answer)
        code = _status(answer)
        if status == 404 and code == "NOT_FOUND":
            return TransportError(
                "Google Chat: the webhook is gone (404 NOT_FOUND)",
                blame=Blame.RECIPIENT,
                permanent=True,
            )
        if status == 403 and code == "PERMISSION_DENIED":
            return TransportError(
                "Google Chat: the space does not let this webhook post (403)",
                blame=Blame.RECIPIENT,
            )
        if status == 400:
            return TransportError(f"Google Chat refused the message (400 {code or said(answer)})")
        return unavailable(self.provider, answer)
