"""Statuspage's management API v1 on loopback, for the importer's tests.

Serves a page over real HTTP as Statuspage's public documentation shapes it: JSON arrays,
`page`/`per_page` on components and groups, `page`/`limit` on incidents, the subscribers
list's own `page` counted from 0 with `limit` and `state` (active by default);
`Authorization: OAuth <key>` (401 otherwise), 404 for another page id, and faults on
demand: 429 or 420 with Retry-After, 500s for a given page of a resource.

`realistic_page` generates a page deterministically from a seed: groups and components,
hundreds of incidents with their updates over two years, scheduled maintenance,
postmortems, and thousands of subscribers, a few of them as hostile as real data gets.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.faults.postgres import free_port

PAGE_ID = "kctbh9vrtdwd"
API_KEY = "3f1e8f6c-8d2b-4a55-9c1e-0f3d1b2a7c44"
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Page:
    groups: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    # (subscriber as listed, its state there: active, unconfirmed or quarantined)
    subscribers: list[tuple[dict[str, Any], str]] = field(default_factory=list)


@dataclass
class StatuspagePeer:
    page: Page
    port: int = field(default_factory=free_port)
    requests: list[str] = field(default_factory=list)
    # Answer every Nth request with this status (429 or 420) and Retry-After.
    rate_limit_every: int = 0
    rate_limit_status: int = 429
    retry_after: str = "7"
    # {(resource, page number): status}: that page answers only this, until cleared.
    broken: dict[tuple[str, int], int] = field(default_factory=dict)
    # Answer every page with the first one (a source that ignores `page`).
    ignore_paging: bool = False
    server: ThreadingHTTPServer | None = None
    _count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> StatuspagePeer:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, headers, body = peer.answer(self.path, self.headers.get("Authorization"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def answer(self, raw_path: str, authorization: str | None) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.requests.append(raw_path)
            self._count += 1
            count = self._count
        url = urlsplit(raw_path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if authorization != f"OAuth {API_KEY}":
            return 401, {}, b'{"error":"Could not authenticate"}'
        if self.rate_limit_every and count % self.rate_limit_every == 0:
            limited = b'{"error":"Rate limit exceeded"}'
            return self.rate_limit_status, {"Retry-After": self.retry_after}, limited
        prefix = f"/v1/pages/{PAGE_ID}/"
        if not url.path.startswith(prefix):
            return 404, {}, b'{"error":"Not found"}'
        resource = url.path.removeprefix(prefix)
        try:
            number = int(query.get("page", "0" if resource == "subscribers" else "1"))
            sized_by = "limit" if resource in ("incidents", "subscribers") else "per_page"
            size = int(query.get(sized_by, "100"))
        except ValueError:
            return 400, {}, b'{"error":"bad paging"}'
        if (resource, number) in self.broken:
            return self.broken[(resource, number)], {}, b'{"error":"Internal Server Error"}'
        size = max(1, min(size, 100))
        if resource == "component-groups":
            rows, offset = self.page.groups, number - 1
        elif resource == "components":
            rows, offset = self.page.components, number - 1
        elif resource == "incidents":
            rows, offset = self.page.incidents, number - 1
        elif resource == "subscribers/count":
            state = query.get("state", "active")
            counts: dict[str, int] = {}
            for row, st in self.page.subscribers:
                if state in ("all", st):
                    counts[row["mode"]] = counts.get(row["mode"], 0) + 1
            return 200, {}, json.dumps(counts).encode()
        elif resource == "subscribers":
            state = query.get("state", "active")
            rows = [s for s, st in self.page.subscribers if state in ("all", st)]
            offset = number
        else:
            return 404, {}, b'{"error":"Not found"}'
        offset = 0 if self.ignore_paging else max(offset, 0)
        chunk = rows[offset * size : (offset + 1) * size]
        return 200, {}, json.dumps(chunk).encode()


class _Ids:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def __call__(self) -> str:
        return "".join(self.rng.choice(ALPHABET) for _ in range(12))


COMPONENT_STATUSES = ["degraded_performance", "partial_outage", "major_outage"]
IMPACT_FOR = {
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}


def realistic_page(
    *, now: datetime, incidents: int = 300, subscribers: int = 2500, seed: int = 23
) -> Page:
    rng = random.Random(seed)
    new_id = _Ids(rng)
    page = Page()
    born = now - timedelta(days=800)
    names = {
        "Platform": ["API", "Dashboard", "Webhooks", "Background jobs"],
        "Data": ["Primary database", "Search", "Object storage"],
        "Delivery": ["Email delivery", "SMS delivery", "Push notifications"],
    }
    for position, (group_name, members) in enumerate(names.items(), start=1):
        group_id = new_id()
        ids = []
        for index, name in enumerate(members, start=1):
            cid = new_id()
            ids.append(cid)
            page.components.append(_component(cid, group_id, name, index, born))
        page.groups.append(
            {
                "id": group_id, "page_id": PAGE_ID, "name": group_name,
                "description": f"Everything {group_name.lower()}.", "components": ids,
                "position": position, "created_at": _iso(born), "updated_at": _iso(born),
            }
        )  # fmt: skip
        # Statuspage lists each group among the components as well.
        page.components.append(
            {**_component(group_id, None, group_name, position, born), "group": True,
             "components": ids}
        )  # fmt: skip
    page.components.append(_component(new_id(), None, "Status API", 9, born))
    real = [c for c in page.components if not c["group"]]
    for _ in range(incidents):
        page.incidents.append(_incident(rng, new_id, real, now))
    for _ in range(max(incidents // 15, 2)):
        page.incidents.append(_maintenance(rng, new_id, real, now))
    page.incidents.append(_open_incident(new_id, real[0], now))
    page.incidents.append(_upcoming_maintenance(new_id, real[1], now))
    real[0]["status"] = "partial_outage"  # as the open incident left it
    page.incidents.sort(key=lambda i: i["created_at"], reverse=True)  # newest first
    for index in range(subscribers):
        page.subscribers.append(_subscriber(rng, new_id, real, index, now))
    return page


def _component(
    cid: str, group_id: str | None, name: str, position: int, born: datetime
) -> dict[str, Any]:
    return {
        "id": cid, "page_id": PAGE_ID, "group_id": group_id, "created_at": _iso(born),
        "updated_at": _iso(born), "group": False, "name": name,
        "description": f"{name}, as our customers use it.", "position": position,
        "status": "operational", "showcase": True, "only_show_if_degraded": False,
        "automation_email": f"component+{cid}@notifications.statuspage.io",
        "start_date": born.date().isoformat(),
    }  # fmt: skip


def _update(
    iid: str, uid: str, status: str, body: str, at: datetime, affected: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "id": uid, "incident_id": iid, "affected_components": affected, "body": body,
        "created_at": _iso(at), "custom_tweet": None, "deliver_notifications": True,
        "display_at": _iso(at), "status": status, "tweet_id": None,
        "twitter_updated_at": None, "updated_at": _iso(at), "wants_twitter_update": False,
    }  # fmt: skip


def _incident(
    rng: random.Random, new_id: _Ids, components: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    iid = new_id()
    started = now - timedelta(minutes=rng.randint(60 * 24 * 2, 60 * 24 * 720))
    hit = rng.sample(components, rng.randint(1, 3))
    status = rng.choice(COMPONENT_STATUSES)
    impact = IMPACT_FOR[status]
    steps = rng.choice(
        [["investigating", "resolved"], ["investigating", "identified", "resolved"],
         ["investigating", "identified", "monitoring", "resolved"]]
    )  # fmt: skip
    at = started
    updates = []
    for index, step in enumerate(steps):
        new = "operational" if step == "resolved" else status
        old = "operational" if index == 0 else status
        affected = [
            {"code": c["id"], "name": c["name"], "old_status": old, "new_status": new} for c in hit
        ]
        if step not in ("investigating", "resolved") and rng.random() < 0.5:
            affected = []  # a later update that changed nothing
        body = f"{step.capitalize()}: {', '.join(c['name'] for c in hit)} — update {index + 1}."
        updates.append(_update(iid, new_id(), step, body, at, affected))
        at += timedelta(minutes=rng.randint(5, 180))
    resolved = _iso(at)
    updates[-1]["display_at"] = updates[-1]["created_at"] = resolved
    postmortem = rng.random() < 0.1
    return {
        "id": iid, "components": [{**c, "status": "operational"} for c in hit],
        "created_at": _iso(started), "impact": impact, "impact_override": None,
        "incident_updates": list(reversed(updates)),  # newest first, as Statuspage lists them
        "metadata": {}, "monitoring_at": None, "name": f"{status.replace('_', ' ').capitalize()} "
        f"of {hit[0]['name']}", "page_id": PAGE_ID,
        "postmortem_body": "## What happened\n\nA bad deploy." if postmortem else None,
        "postmortem_body_last_updated_at": resolved if postmortem else None,
        "postmortem_ignored": not postmortem, "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False,
        "postmortem_published_at": resolved if postmortem else None,
        "resolved_at": resolved, "scheduled_auto_completed": False,
        "scheduled_auto_in_progress": False, "scheduled_for": None,
        "scheduled_remind_prior": False, "scheduled_reminded_at": None,
        "scheduled_until": None, "shortlink": f"https://stspg.io/{iid[:6]}",
        "status": "resolved", "updated_at": resolved, "started_at": _iso(started),
    }  # fmt: skip


def _maintenance(
    rng: random.Random, new_id: _Ids, components: list[dict[str, Any]], now: datetime
) -> dict[str, Any]:
    iid = new_id()
    begins = now - timedelta(days=rng.randint(3, 700), minutes=rng.randint(0, 1000))
    ends = begins + timedelta(hours=2)
    hit = rng.sample(components, 2)
    affected = [
        {"code": c["id"], "name": c["name"], "old_status": "operational",
         "new_status": "under_maintenance"} for c in hit
    ]  # fmt: skip
    done = [{**a, "old_status": "under_maintenance", "new_status": "operational"} for a in affected]
    announced = begins - timedelta(days=3)
    updates = [
        _update(iid, new_id(), "scheduled", "We will upgrade the database.", announced, []),
        _update(iid, new_id(), "in_progress", "Upgrading now.", begins, affected),
        _update(iid, new_id(), "completed", "Done.", ends, done),
    ]
    return {
        "id": iid, "components": [{**c, "status": "operational"} for c in hit],
        "created_at": _iso(begins - timedelta(days=3)), "impact": "maintenance",
        "impact_override": None, "incident_updates": list(reversed(updates)), "metadata": {},
        "monitoring_at": None, "name": "Database upgrade", "page_id": PAGE_ID,
        "postmortem_body": None, "postmortem_body_last_updated_at": None,
        "postmortem_ignored": True, "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False, "postmortem_published_at": None,
        "resolved_at": _iso(ends), "scheduled_auto_completed": True,
        "scheduled_auto_in_progress": True, "scheduled_for": _iso(begins),
        "scheduled_remind_prior": True, "scheduled_reminded_at": None,
        "scheduled_until": _iso(ends), "shortlink": f"https://stspg.io/{iid[:6]}",
        "status": "completed", "updated_at": _iso(ends),
    }  # fmt: skip


def _open_incident(new_id: _Ids, component: dict[str, Any], now: datetime) -> dict[str, Any]:
    iid = new_id()
    started = now - timedelta(minutes=50)
    affected = [
        {"code": component["id"], "name": component["name"], "old_status": "operational",
         "new_status": "partial_outage"}
    ]  # fmt: skip
    updates = [
        _update(iid, new_id(), "investigating", "Some requests fail.", started, affected),
        _update(iid, new_id(), "identified", "A bad node.", now - timedelta(minutes=20), []),
    ]  # fmt: skip
    return {
        "id": iid, "components": [{**component, "status": "partial_outage"}],
        "created_at": _iso(started), "impact": "major", "impact_override": None,
        "incident_updates": list(reversed(updates)), "metadata": {}, "monitoring_at": None,
        "name": "Errors on the API (still open)", "page_id": PAGE_ID, "postmortem_body": None,
        "postmortem_body_last_updated_at": None, "postmortem_ignored": False,
        "postmortem_notified_subscribers": False, "postmortem_notified_twitter": False,
        "postmortem_published_at": None, "resolved_at": None,
        "scheduled_auto_completed": False, "scheduled_auto_in_progress": False,
        "scheduled_for": None, "scheduled_remind_prior": False, "scheduled_reminded_at": None,
        "scheduled_until": None, "shortlink": f"https://stspg.io/{iid[:6]}",
        "status": "identified", "updated_at": _iso(now - timedelta(minutes=20)),
        "started_at": _iso(started),
    }  # fmt: skip


def _upcoming_maintenance(new_id: _Ids, component: dict[str, Any], now: datetime) -> dict[str, Any]:
    iid = new_id()
    begins = now + timedelta(days=2)
    announced = now - timedelta(hours=3)
    update = _update(
        iid, new_id(), "scheduled", "We will move the API to new hosts.", announced, []
    )
    return {
        "id": iid, "components": [component], "created_at": _iso(announced),
        "impact": "maintenance", "impact_override": None, "incident_updates": [update],
        "metadata": {}, "monitoring_at": None, "name": "Moving the API (upcoming)",
        "page_id": PAGE_ID, "postmortem_body": None, "postmortem_body_last_updated_at": None,
        "postmortem_ignored": True, "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False, "postmortem_published_at": None,
        "resolved_at": None, "scheduled_auto_completed": True,
        "scheduled_auto_in_progress": True, "scheduled_for": _iso(begins),
        "scheduled_remind_prior": True, "scheduled_reminded_at": None,
        "scheduled_until": _iso(begins + timedelta(hours=1)),
        "shortlink": f"https://stspg.io/{iid[:6]}", "status": "scheduled",
        "updated_at": _iso(announced),
    }  # fmt: skip


AREA_CODES = ["201", "202", "212", "213", "312", "415", "617", "646", "702", "718"]


def _subscriber(
    rng: random.Random, new_id: _Ids, components: list[dict[str, Any]], index: int, now: datetime
) -> tuple[dict[str, Any], str]:
    mode = rng.choices(["email", "sms", "webhook", "slack"], weights=[80, 10, 8, 2])[0]
    state = rng.choices(["active", "unconfirmed", "quarantined"], weights=[90, 7, 3])[0]
    chosen = [] if rng.random() < 0.7 else [c["id"] for c in rng.sample(components, 2)]
    row: dict[str, Any] = {
        "id": new_id(), "skip_confirmation_notification": False, "mode": mode, "email": None,
        "endpoint": None, "phone_number": None, "phone_country": None,
        "display_phone_number": None, "obfuscated_channel_name": None, "workspace_name": None,
        "quarantined_at": _iso(now - timedelta(days=2)) if state == "quarantined" else None,
        "purge_at": None, "components": chosen or [c["id"] for c in components],
        "page_access_user_id": None,
        "created_at": _iso(now - timedelta(days=rng.randint(1, 700))),
    }  # fmt: skip
    if mode in ("email", "webhook"):
        row["email"] = f"reader{index}@example.com"
    if mode == "webhook":
        row["endpoint"] = f"https://hooks{index}.example.com/statuspage"
    if mode == "sms":
        number = f"{AREA_CODES[index % 10]}555{index // 10 % 10000:04d}"
        row |= {"phone_number": number, "phone_country": "US",
                "display_phone_number": f"+1 {number[:3]}-{number[3:6]}-{number[6:]}"}  # fmt: skip
    if mode == "slack":
        row |= {"obfuscated_channel_name": "#in***nts", "workspace_name": "Acme"}
    return row, state


def hostile(page: Page, *, now: datetime) -> dict[str, str]:
    """Add rows as bad as real data gets; returns {source id: what is wrong with it}."""
    component = next(c for c in page.components if not c["group"])
    at = _iso(now - timedelta(days=5))
    base = {**page.incidents[-1], "components": [{**component, "status": "operational"}]}

    def incident(iid: str, **changes: Any) -> dict[str, Any]:
        update = _update(iid, iid + "u", "resolved", "Fixed.", now - timedelta(days=5), [])
        return {
            **base, "id": iid, "incident_updates": [update], "created_at": at,
            "started_at": at, "resolved_at": at, "postmortem_body": None, **changes,
        }  # fmt: skip

    rows = {
        "ctrlnamexxxx": incident("ctrlnamexxxx", name="Outage\x00 of\u202e API\x1b[31m"),
        "badtimexxxxx": incident("badtimexxxxx", created_at="yesterday-ish"),
        "futurexxxxxx": incident("futurexxxxxx", created_at="2999-01-01T00:00:00Z"),
        "hugebodyxxxx": incident("hugebodyxxxx"),
        "longnamexxxx": incident("longnamexxxx", name="N" * 1_000_000),
        "surrogatexxx": incident("surrogatexxx"),
    }
    rows["surrogatexxx"]["incident_updates"] = [
        {**rows["surrogatexxx"]["incident_updates"][0], "body": "Half a pair: \ud800 \x07 end."}
    ]
    rows["hugebodyxxxx"]["incident_updates"] = [
        {**rows["hugebodyxxxx"]["incident_updates"][0], "body": "A" * 1_000_000}
    ]
    page.incidents.extend(rows.values())
    bad_subscribers = [
        ({"id": "badmailxxxxx", "mode": "email", "email": "not an address\u2028x",
          "components": [], "created_at": at}, "active"),
        ({"id": "teamsxxxxxxx", "mode": "teams", "components": [], "created_at": at}, "active"),
    ]  # fmt: skip
    page.subscribers.extend(bad_subscribers)
    return {
        "ctrlnamexxxx": "cleaned", "badtimexxxxx": "not mapped", "futurexxxxxx": "not mapped",
        "hugebodyxxxx": "not mapped", "badmailxxxxx": "not mapped", "teamsxxxxxxx": "not mapped",
        "longnamexxxx": "cleaned", "surrogatexxx/surrogatexxxu": "cleaned",
    }  # fmt: skip
