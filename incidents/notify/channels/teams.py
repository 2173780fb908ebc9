"""Microsoft Teams, through a Workflows (Power Automate) webhook: an Adaptive Card 1.5 in
the envelope the "Post to a channel when a webhook request is received" template reads.

The flow's HTTP trigger answers 202 Accepted; its errors come in Azure's shape,
`{"error": {"code": ..., "message": ...}}`: `WorkflowNotFound` (404: the flow was deleted)
and `DirectApiInvalidAuthorizationSignature` (401: the URL's key was regenerated) mean
this URL is gone for good; a disabled flow (`WorkflowDisabled`, `...NotEnabled`) is its
owner's choice and maybe for a while; 429 (throttling, with Retry-After) and 5xx are
Microsoft's. The legacy Office 365 connectors (*.webhook.office.com) take the same card.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from incidents.notify.channels.chat import ChatChannel
from incidents.notify.chat.cut import cut
from incidents.notify.chat.hosts import Hosts
from incidents.notify.chat.message import ChatMessage
from incidents.notify.transports import Blame, TransportError
from incidents.notify.transports.chat import said, throttled, unavailable

CARD_VERSION = "1.5"
# Teams refuses a message over about 28 KB; the words stay well inside it, with the
# rest of the card and JSON escaping.
WORDS_TEXT = 12_000
TITLE_TEXT = 300
FACT_TEXT = 2_000
GONE = {"WorkflowNotFound", "DirectApiInvalidAuthorizationSignature"}


def _error_code(answer: requests.Response) -> str:
    try:
        error = answer.json().get("error") or {}
        return str(error.get("code") or "")[:80]
    except (ValueError, AttributeError):
        return ""


def _when(when: datetime) -> str:
    """Adaptive Cards' date and time functions show it in the reader's own time zone."""
    stamp = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"


def envelope(card: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "actions": actions,
        # No "msteams": {"width": "Full"}: Teams reads it, but the published schema
        # refuses it, and a card that validates is worth more than a wider one.
    }


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


class TeamsChannel(ChatChannel):
    name = "teams"
    label = "Microsoft Teams"
    provider = "Microsoft Teams"
    unavailable = gettext_noop("Microsoft Teams is not available on this page.")
    hosts = Hosts(
        names=(),
        suffixes=(".webhook.office.com", ".logic.azure.com", ".powerplatform.com"),
        path=re.compile(r"/.+"),
        example="https://prod-00.westus.logic.azure.com:443/workflows/…",
    )

    def update_payload(self, message: ChatMessage) -> dict[str, Any]:
        facts = [{"title": _("Status"), "value": message.status}]
        if message.components:
            facts.append(
                {"title": _("Affected"), "value": cut(", ".join(message.components), FACT_TEXT)}
            )
        if message.next_update is not None:
            facts.append({"title": _("Next update by"), "value": _when(message.next_update)})
        if message.window is not None:
            start, end = message.window
            facts.append({"title": _("Scheduled"), "value": f"{_when(start)} - {_when(end)}"})
        view = message.view_label
        body = [
            {
                "type": "Container",
                "style": message.card_style,  # the status colour, as Teams names them
                "bleed": True,
                "items": [
                    _text(cut(message.title, TITLE_TEXT), size="Large", weight="Bolder"),
                    _text(message.page, isSubtle=True, spacing="None"),
                ],
            },
            _text(cut(message.words, WORDS_TEXT)),
            {"type": "FactSet", "facts": facts},
            _text(
                f"[{_('Manage')}]({message.manage_url}) · "
                f"[{_('Unsubscribe')}]({message.unsubscribe_url})",
                size="Small",
                isSubtle=True,
            ),
        ]
        actions = [{"type": "Action.OpenUrl", "title": view, "url": message.url}]
        return envelope(_card(body, actions))

    def notice_payload(
        self, *, title: str, text: str, link: str, link_label: str
    ) -> dict[str, Any]:
        body = [_text(cut(title, TITLE_TEXT), size="Large", weight="Bolder"), _text(text)]
        actions = [{"type": "Action.OpenUrl", "title": link_label, "url": link}]
        return envelope(_card(body, actions))

    def answer_read(self, answer: requests.Response) -> TransportError | None:
        status = answer.status_code
        if 200 <= status < 300:
            return None
        if status == 429:
            return throttled(self.provider, answer)
        code = _error_code(answer)
        if status in (401, 404) and code in GONE:
            return TransportError(
                f"Teams: the workflow URL is gone ({status} {code})",
                blame=Blame.RECIPIENT,
                permanent=True,
            )
        if 400 <= status < 500 and ("Disabled" in code or "NotEnabled" in code):
            return TransportError(
                f"Teams: the workflow is turned off ({status} {code})", blame=Blame.RECIPIENT
            )
        if status == 400:
            return TransportError(f"Teams refused the message (400 {code or said(answer)})")
        return unavailable(self.provider, answer)
