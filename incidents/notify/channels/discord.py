"""Discord, through a channel webhook: one embed with the status colour.

Nobody is ever mentioned: `allowed_mentions` with an empty `parse` is Discord's own switch
for that, and the words' Markdown is escaped besides, so "@everyone" or "<@&123>" in an
update shows as written. Discord answers 204 (or 200 with `?wait=true`); 404 code 10015
"Unknown Webhook" and 401 code 50027 "Invalid Webhook Token" mean the webhook was deleted
or its token reset; 429 carries Retry-After (and `retry_after` in its body); 5xx are
Discord's.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from incidents.notify.channels.chat import ChatChannel
from incidents.notify.chat.cut import cut
from incidents.notify.chat.hosts import Hosts
from incidents.notify.chat.message import ChatMessage
from incidents.notify.transports import Blame, TransportError
from incidents.notify.transports.chat import retry_after, said, throttled, unavailable

# Discord's documented embed limits (discord.com/developers/docs/resources/message).
TITLE = 256
DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER = 2048
EMBED_TOTAL = 6000
GONE = {10015, 50027}  # Unknown Webhook, Invalid Webhook Token
_MARKDOWN = re.compile(r"([\\*_~`|>#\-\[\]()<@:!])")


def escaped(text: str) -> str:
    """Every Markdown and mention character with a backslash: shown, never acted on."""
    return _MARKDOWN.sub(r"\\\1", text)


def _when(when: datetime) -> str:
    """Discord's timestamp markup: in the reader's own time zone, and how long from now."""
    stamp = int(when.timestamp())
    return f"<t:{stamp}:f> (<t:{stamp}:R>)"


def _body_code(answer: requests.Response) -> tuple[int, float | None]:
    try:
        body = answer.json()
        wait = body.get("retry_after")
        return int(body.get("code") or 0), float(wait) if wait is not None else None
    except (ValueError, AttributeError, TypeError):
        return 0, None


NO_MENTIONS: dict[str, Any] = {"parse": []}


class DiscordChannel(ChatChannel):
    name = "discord"
    label = "Discord"
    provider = "Discord"
    unavailable = gettext_noop("Discord is not available on this page.")
    hosts = Hosts(
        names=("discord.com", "discordapp.com"),
        path=re.compile(r"/api(/v\d+)?/webhooks/\d+/[A-Za-z0-9_\-]+"),
        example="https://discord.com/api/webhooks/123/abc",
    )

    def update_payload(self, message: ChatMessage) -> dict[str, Any]:
        fields: list[dict[str, Any]] = [
            {"name": _("Status"), "value": escaped(message.status), "inline": True}
        ]
        if message.next_update is not None:
            fields.append(
                {"name": _("Next update by"), "value": _when(message.next_update), "inline": True}
            )
        if message.window is not None:
            start, end = message.window
            fields.append(
                {"name": _("Scheduled"), "value": f"{_when(start)} - {_when(end)}", "inline": True}
            )
        if message.components:
            fields.append(
                {
                    "name": _("Affected"),
                    "value": cut(escaped(", ".join(message.components)), FIELD_VALUE),
                }
            )
        fields.append(
            {
                "name": _("Subscription"),
                "value": f"[{_('Manage')}]({message.manage_url}) · "
                f"[{_('Unsubscribe')}]({message.unsubscribe_url})",
            }
        )
        title = cut(message.title, TITLE)
        footer = cut(message.page, FOOTER)
        used = len(title) + len(footer) + sum(len(f["name"]) + len(f["value"]) for f in fields)
        description = cut(escaped(message.words), min(DESCRIPTION, max(0, EMBED_TOTAL - used)))
        embed = {
            "title": title,
            "url": message.url,
            "description": description,
            "color": int(message.colour.lstrip("#"), 16),
            "fields": fields,
            "footer": {"text": footer},
        }
        return {"embeds": [embed], "allowed_mentions": NO_MENTIONS}

    def notice_payload(
        self, *, title: str, text: str, link: str, link_label: str
    ) -> dict[str, Any]:
        embed = {
            "title": cut(title, TITLE),
            "url": link,
            "description": cut(f"{escaped(text)}\n\n[{link_label}]({link})", DESCRIPTION),
        }
        return {"embeds": [embed], "allowed_mentions": NO_MENTIONS}

    def answer_read(self, answer: requests.Response) -> TransportError | None:
        status = answer.status_code
        if 200 <= status < 300:
            return None
        code, wait = _body_code(answer)
        if status == 429:
            header = retry_after(answer)
            return throttled(self.provider, answer, header if header is not None else wait)
        if status in (401, 404) and code in GONE:
            return TransportError(
                f"Discord: the webhook is gone ({status}, code {code})",
                blame=Blame.RECIPIENT,
                permanent=True,
            )
        if status == 400:
            return TransportError(f"Discord refused the message (400 {said(answer)})")
        return unavailable(self.provider, answer)
