"""Chat webhooks (Slack, Microsoft Teams, Google Chat, Discord): a JSON POST to the URL the
subscriber gave, over the same pinned, proxy-less session as webhooks (webhook.py), so a
host that resolves inside our network is never reached.

What an answer means is the provider's (channels/slack.py and the others read it); what
is common is here: the POST, the connection failures (always PROVIDER: it may be ours),
and Retry-After.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError

from incidents.models import Delivery
from incidents.notify.render import Rendered
from incidents.notify.transports import Blame, TransportError
from incidents.notify.transports.webhook import WebhookSession

# The most of a provider's error body kept in a delivery's last error (and a stop reason).
_BODY_KEPT = 120


def chat_post(session: WebhookSession, *, url: str, payload: dict[str, Any]) -> requests.Response:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    try:
        return session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "Candor/1"},
            timeout=settings.CANDOR_WEBHOOK_TIMEOUT,
            allow_redirects=False,  # a redirect could lead inside our network
        )
    except ValidationError as exc:
        # Resolves inside now: the provider's DNS or ours (webhook.py says why EITHER).
        raise TransportError(exc.messages[0], blame=Blame.EITHER) from exc
    except requests.RequestException as exc:
        raise TransportError(f"unreachable: {type(exc).__name__}") from exc


def retry_after(answer: requests.Response) -> float | None:
    """The seconds a Retry-After header asks for (delta-seconds or an HTTP date)."""
    value = answer.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def said(answer: requests.Response) -> str:
    """The start of an answer's body, printable, for an error message."""
    text = answer.text[:_BODY_KEPT]
    return "".join(c if c.isprintable() else " " for c in text).strip()


def throttled(
    provider: str, answer: requests.Response, wait: float | None = None
) -> TransportError:
    """A 429: the provider's pace, never the recipient's fault; retried after its wait."""
    wait = retry_after(answer) if wait is None else wait
    after = f", retry after {wait:g} s" if wait is not None else ""
    return TransportError(
        f"{provider} rate limit (429{after})", blame=Blame.PROVIDER, retry_after=wait
    )


def unavailable(provider: str, answer: requests.Response) -> TransportError:
    """5xx, or anything the provider's documentation does not name: kept and retried."""
    return TransportError(
        f"{provider} answered {answer.status_code} {said(answer)}".strip(),
        blame=Blame.PROVIDER,
        retry_after=retry_after(answer),
    )


Reader = Callable[[requests.Response], TransportError | None]
# (URL, payload) of one message: the subscriber's URL, with the provider's own query
# parameters where it has some (Google Chat's thread key).
Post = Callable[[Delivery, Rendered], tuple[str, dict[str, Any]]]


class ChatSender:
    """One session per batch; `post` builds the provider's message, `read` judges its
    answer (None when accepted)."""

    def __init__(self, *, ready: Callable[[], None], post: Post, read: Reader) -> None:
        self.session = WebhookSession()
        self.ready = ready
        self.post = post
        self.read = read

    def send(self, delivery: Delivery, rendered: Rendered) -> str:
        url, payload = self.post(delivery, rendered)
        self.ready()
        answer = chat_post(self.session, url=url, payload=payload)
        refusal = self.read(answer)
        if refusal is not None:
            raise refusal
        return ""

    def close(self) -> None:
        self.session.close()
