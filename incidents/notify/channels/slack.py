"""Slack, through incoming webhooks: Block Kit in an attachment (for the status colour bar).

Webhook mode, not an installed Slack app: a subscriber needs no admin of ours, and we keep
no OAuth tokens for their workspace; what it cannot do is thread updates under the first
message (only chat.postMessage can) — README, "Notifications".

Slack's answers to a webhook (api.slack.com, "Handling errors" for incoming webhooks):
200 `ok`; 400 `invalid_payload` and kin (ours to fix); 403 `action_prohibited` and
`posting_to_general_channel_denied` (the workspace restricted posting there), `invalid_token`,
`team_disabled`; 404 `channel_not_found`, `user_not_found`, `no_service`, `no_service_id`,
`no_team` (the webhook or its workspace was removed); 410 `channel_is_archived`; 429 with
Retry-After; 5xx.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from incidents.notify.channels.chat import ChatChannel
from incidents.notify.chat.cut import cut, pieces
from incidents.notify.chat.hosts import Hosts
from incidents.notify.chat.message import ChatMessage, utc_text
from incidents.notify.transports import Blame, TransportError
from incidents.notify.transports.chat import said, throttled, unavailable

# Block Kit's documented limits (api.slack.com/reference/block-kit).
MAX_BLOCKS = 50
SECTION_TEXT = 3000
HEADER_TEXT = 150
FIELD_TEXT = 2000
BUTTON_TEXT = 75
CONTEXT_TEXT = 3000
# The words take at most this many sections: a longer update is cut and links to the page.
WORD_SECTIONS = 5
# Answers that say this webhook is gone, for good: removed, its channel deleted or
# archived, its token revoked. Only these exact bodies stop a subscription; the same
# status with another body (a proxy's page) is treated as the provider's.
GONE = {
    "no_service",
    "no_service_id",
    "no_team",
    "team_disabled",
    "channel_not_found",
    "channel_is_archived",
    "user_not_found",
    "invalid_token",
}
# Posting refused by the workspace's own settings: theirs, but perhaps not for good.
RESTRICTED = {"action_prohibited", "posting_to_general_channel_denied"}


def mrkdwn(text: str) -> str:
    """Slack's three control characters escaped: the words can neither format links nor
    mention anyone (<!everyone>, <@U123> need them)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    return f"<{url}|{mrkdwn(label)}>"


def _date(when: datetime) -> str:
    """Slack shows it in each reader's own time zone; the fallback is UTC."""
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{utc_text(when)}>"


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit) or "-", "emoji": False}


class SlackChannel(ChatChannel):
    name = "slack"
    label = "Slack"
    provider = "Slack"
    unavailable = gettext_noop("Slack is not available on this page.")
    hosts = Hosts(
        names=("hooks.slack.com",),
        path=re.compile(r"/services/[A-Z0-9]+/[A-Z0-9]+/[A-Za-z0-9]+"),
        example="https://hooks.slack.com/services/T000/B000/XXXX",
    )

    def update_payload(self, message: ChatMessage) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": _plain(message.title, HEADER_TEXT)},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": cut(f"*{mrkdwn(message.status)}* · {mrkdwn(message.page)}",
                                    CONTEXT_TEXT),
                    }
                ],
            },
        ]  # fmt: skip
        for piece in pieces(mrkdwn(message.words), SECTION_TEXT, most=WORD_SECTIONS):
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": piece}})
        fields = []
        if message.components:
            names = ", ".join(message.components)
            fields.append(f"*{_('Affected')}*\n{mrkdwn(names)}")
        if message.next_update is not None:
            fields.append(f"*{_('Next update by')}*\n{_date(message.next_update)}")
        if message.window is not None:
            start, end = message.window
            fields.append(f"*{_('Scheduled')}*\n{_date(start)} - {_date(end)}")
        if fields:
            blocks.append(
                {
                    "type": "section",
                    "fields": [{"type": "mrkdwn", "text": cut(f, FIELD_TEXT)} for f in fields],
                }
            )
        view = message.view_label
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": _plain(view, BUTTON_TEXT), "url": message.url}
                ],
            }
        )
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{_link(message.manage_url, _('Manage'))} · "
                        f"{_link(message.unsubscribe_url, _('Unsubscribe'))}",
                    }
                ],
            }
        )
        return {
            # What notifications and screen readers show; Slack wants it beside blocks.
            "text": cut(mrkdwn(f"{message.title}: {message.status}"), SECTION_TEXT),
            "attachments": [{"color": message.colour, "blocks": blocks[:MAX_BLOCKS]}],
        }

    def notice_payload(
        self, *, title: str, text: str, link: str, link_label: str
    ) -> dict[str, Any]:
        return {
            "text": cut(mrkdwn(title), SECTION_TEXT),
            "blocks": [
                {"type": "header", "text": _plain(title, HEADER_TEXT)},
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": cut(mrkdwn(text), SECTION_TEXT)},
                },
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": _plain(link_label, BUTTON_TEXT),
                            "url": link,
                            "style": "primary",
                        }
                    ],
                },
            ],
        }

    def answer_read(self, answer: requests.Response) -> TransportError | None:
        status, body = answer.status_code, answer.text.strip()
        if status == 200:
            return None
        if status == 429:
            return throttled(self.provider, answer)
        if status in (403, 404, 410) and body in GONE:
            return TransportError(
                f"Slack: the webhook is gone ({status} {body})",
                blame=Blame.RECIPIENT,
                permanent=True,
            )
        if status == 403 and body in RESTRICTED:
            # A workspace admin restricted posting in the channel: theirs, and maybe for a
            # while only, so the message is retried and the subscription kept.
            return TransportError(
                f"Slack: posting is restricted in this channel (403 {body})",
                blame=Blame.RECIPIENT,
            )
        if status == 400:
            # invalid_payload and its kin: our message, not their webhook.
            return TransportError(f"Slack refused the message (400 {said(answer)})")
        return unavailable(self.provider, answer)
