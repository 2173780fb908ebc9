"""The no-leak property: whatever is limited to audiences, and whatever words are, no
audience-only word reaches a public surface (the pages, feeds, calendar, v2 JSON, the
signed notices index, the public snapshot's files, and the email, SMS and webhook messages
of public subscribers through the real send paths); and a reader of an audience sees
their own.

Hypothesis generates components, incidents (with audience-only words inside public ones)
and maintenance windows with random audiences and hostile text around a marker per item;
each example runs in a savepoint rolled back after it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents import lifecycle
from incidents.api.public_views import DOCUMENTS
from incidents.audit import Actor
from incidents.models import Audience, SubscriberChannel
from incidents.public import cache
from incidents.publish.manifest import object_path
from incidents.publish.snapshot import render_snapshot
from tests.audiences.conftest import reader_session
from tests.factories import ComponentFactory, promised, standing_words_approve
from tests.notify.conftest import TWILIO_SID, TWILIO_TOKEN, subscriber
from tests.notify.peers import HttpPeer, SmtpSink, twilio_double, webhook_receiver

pytestmark = [pytest.mark.django_db]

AUDIENCES = ("employees", "acme")
# Around each marker: markup, template syntax, feed and calendar syntax, Markdown links,
# quotes, non-Latin scripts, right-to-left text: what a renderer could mishandle.
HOSTILE = [
    "<script>alert(1)</script>",
    "\"quoted\" & 'single' <b>bold</b>",
    "]]></title><entry>",
    "{{ page_name }} {% now 'Y' %}",
    "%s %(name)s {0}",
    "END:VEVENT BEGIN:VEVENT",
    "[click](javascript:alert(1))",
    "**strong** _em_ `code`",
    "Ünïcödé façade — naïve",
    "日本語のテキスト",
    "مرحبا بالعالم",
    "\\u0000 &amp; &#x3c;",
]
readers = st.sampled_from([(), ("employees",), ("acme",), ("employees", "acme")])


@dataclass
class Item:
    readers: tuple[str, ...]  # () is public
    marker: str


@dataclass
class Plan:
    components: list[tuple[str, ...]]
    incidents: list[tuple[tuple[str, ...], list[int], list[str | None]]]
    maintenance: list[tuple[str, ...]]
    hostile: list[str]


plans = st.builds(
    Plan,
    components=st.lists(readers, min_size=1, max_size=3),
    incidents=st.lists(
        st.tuples(
            readers,
            st.lists(st.integers(0, 2), max_size=2, unique=True),
            st.lists(st.sampled_from([None, *AUDIENCES]), max_size=2),
        ),
        min_size=1,
        max_size=3,
    ),
    maintenance=st.lists(readers, max_size=2),
    hostile=st.lists(st.sampled_from(HOSTILE), min_size=4, max_size=4),
)


@dataclass
class Peers:
    smtp: SmtpSink
    twilio: HttpPeer
    hooks: HttpPeer
    secrets: dict[str, str] = field(default_factory=dict)

    def clear(self) -> None:
        self.smtp.messages.clear()
        self.twilio.requests.clear()
        self.hooks.requests.clear()


@pytest.fixture
def peers(settings: Any) -> Iterator[Peers]:
    smtp = SmtpSink().start()
    twilio = twilio_double()
    secrets: dict[str, str] = {}
    hooks = webhook_receiver(lambda path: secrets[path])
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 3
    settings.CANDOR_TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.CANDOR_TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.CANDOR_TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.CANDOR_TWILIO_API_BASE = twilio.url
    settings.CANDOR_SMS_ENABLED = True
    settings.CANDOR_SMS_COUNTRIES = ["US", "GB"]
    settings.CANDOR_NOTIFY_PARALLEL = 1
    settings.CANDOR_WEBHOOK_ALLOW_PRIVATE = True  # the receiver lives on loopback
    settings.CANDOR_CANONICAL_URL = "https://status.example.com"
    settings.CANDOR_APP_URL = "https://status.example.com"
    yield Peers(smtp, twilio, hooks, secrets)
    hooks.stop()
    twilio.stop()
    smtp.stop()


def _text(marker: str, hostile: str) -> str:
    return f"{marker} {hostile}"


def _build(plan: Plan, actor: Actor, capture: Any) -> list[Item]:
    """The plan made through the lifecycle, as staff would; every item's marker and who
    may read it."""
    audiences = {slug: Audience.objects.create(slug=slug, name=slug.title()) for slug in AUDIENCES}
    items: list[Item] = []

    def marker(kind: str, who: tuple[str, ...]) -> str:
        made = f"zq{kind}{len(items)}{''.join(w[0] for w in who) or 'p'}xq"
        items.append(Item(who, made))
        return made

    hostile = iter(plan.hostile * 20)
    components = []
    for who in plan.components:
        component = ComponentFactory(name=_text(marker("c", who), next(hostile))[:100])
        component.audiences.set([audiences[w] for w in who])
        components.append(component)
    now = timezone.now()
    with capture(execute=True):
        for who, touched, extra in plan.incidents:
            name = _text(marker("i", who), next(hostile))[:100]
            # The words of an incident limited to audiences are theirs; public ones are public.
            body = promised(_text(marker("u", who), next(hostile)))
            incident = lifecycle.incident_open(
                actor=actor,
                name=name,
                body=body,
                components={
                    components[i]: "partial_outage" for i in touched if i < len(components)
                },
                audiences=[audiences[w] for w in who],
            )
            for audience in extra:
                if audience is None:
                    lifecycle.update_post(
                        actor=actor,
                        incident=incident,
                        body=promised(_text(marker("u", who), next(hostile))),
                        status="identified",
                    )
                elif not who or audience in who:
                    lifecycle.audience_words_post(
                        actor=actor,
                        target=incident,
                        audience=audiences[audience],
                        body=promised(_text(marker("a", (audience,)), next(hostile))),
                    )
        for n, who in enumerate(plan.maintenance):
            body = _text(marker("m", who), next(hostile))
            standing_words_approve(body)
            lifecycle.maintenance_schedule(
                actor=actor,
                name=_text(marker("w", who), next(hostile))[:100],
                body=body,
                scheduled_for=now + timedelta(days=1 + n),
                scheduled_until=now + timedelta(days=1 + n, hours=1),
                components=components[:1],
                audiences=[audiences[w] for w in who],
            )
    return items


def _public_surfaces(client: Client) -> dict[str, str]:
    now = timezone.now()
    paths = ["/", "/history", f"/history/{now:%Y-%m}", "/history.atom", "/history.rss"]
    paths += ["/maintenance.ics", "/uptime.json", "/verify/notices.json", "/badge.svg"]
    paths += [f"/api/v2/{name}" for name in DOCUMENTS]
    return {path: client.get(path).content.decode() for path in paths}


def _item_pages(client: Client) -> dict[str, str]:
    from incidents.models import Incident, Maintenance

    pages = {}
    for public_id in Incident.objects.values_list("public_id", flat=True):
        for path in (f"/incidents/{public_id}", f"/incidents/{public_id}/follow"):
            pages[path] = client.get(path).content.decode()
    for public_id in Maintenance.objects.values_list("public_id", flat=True):
        pages[f"/maintenance/{public_id}"] = client.get(
            f"/maintenance/{public_id}"
        ).content.decode()
    return pages


def _snapshot_files(root: Path) -> dict[str, str]:
    snapshot = render_snapshot(root)
    return {
        f"snapshot:{path}": object_path(snapshot.objects, entry.sha256)
        .read_bytes()
        .decode(errors="replace")
        for path, entry in snapshot.manifest.files.items()
    }


def _messages(peers: Peers, *, email: str, phone: str, hook_path: str) -> dict[str, str]:
    return {
        "email": "\n".join(m.as_string() for m in peers.smtp.to(email)),
        "sms": "\n".join(json.dumps(r["body"].decode()) for r in peers.twilio.requests
                         if f"To={phone.replace('+', '%2B')}" in r["body"].decode()),
        "webhook": "\n".join(r["body"].decode() for r in peers.hooks.requests
                             if r["path"] == hook_path),
    }  # fmt: skip


def _leaks(surfaces: dict[str, str], markers: list[str]) -> list[tuple[str, str]]:
    return [(where, m) for where, text in surfaces.items() for m in markers if m in text]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans)
def test_no_audience_only_word_reaches_a_public_surface(
    plan: Plan,
    actor: Actor,
    peers: Peers,
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    savepoint = transaction.savepoint()
    cache.reset()
    peers.clear()
    try:
        hook = subscriber(SubscriberChannel.WEBHOOK, f"{peers.hooks.url}/hooks/public")
        peers.secrets["/hooks/public"] = hook.webhook_secret
        subscriber(SubscriberChannel.EMAIL, "public@example.com")
        subscriber(SubscriberChannel.SMS, "+14155550100")
        items = _build(plan, actor, django_capture_on_commit_callbacks)
        # Audience subscribers are added after: a public subscriber must not gain from them.
        private = [i.marker for i in items if i.readers]

        surfaces = _public_surfaces(Client())
        surfaces |= _item_pages(Client())
        surfaces |= _snapshot_files(tmp_path / f"snapshot-{len(items)}-{id(plan)}")
        surfaces |= _messages(
            peers, email="public@example.com", phone="+14155550100", hook_path="/hooks/public"
        )
        assert _leaks(surfaces, private) == []
        # The public content is there: the check above looked at real pages.
        public_markers = [i.marker for i in items if not i.readers]
        home = surfaces["/"] + "".join(
            v for k, v in surfaces.items() if k.startswith("/incidents/")
        )
        assert all(m in home + surfaces["/"] + json.dumps(surfaces) for m in public_markers)

        for slug in AUDIENCES:
            reader = reader_session(Client(), slug)
            seen = _public_surfaces(reader) | _item_pages(reader)
            theirs = [i.marker for i in items if slug in i.readers]
            others = [i.marker for i in items if i.readers and slug not in i.readers]
            text = "\n".join(seen.values())
            assert [m for m in theirs if m not in text] == []
            assert _leaks(seen, others) == []
    finally:
        transaction.savepoint_rollback(savepoint)


def test_audience_subscribers_get_their_words_and_public_ones_never(
    actor: Actor, peers: Peers, django_capture_on_commit_callbacks: Any
) -> None:
    employees = Audience.objects.create(slug="employees", name="Employees")
    subscriber(SubscriberChannel.EMAIL, "public@example.com")
    subscriber(SubscriberChannel.SMS, "+14155550100")
    subscriber(SubscriberChannel.EMAIL, "staff@example.com", audience=employees)
    subscriber(SubscriberChannel.SMS, "+14155550111", audience=employees)
    hook = subscriber(SubscriberChannel.WEBHOOK, f"{peers.hooks.url}/hooks/public")
    peers.secrets["/hooks/public"] = hook.webhook_secret
    with django_capture_on_commit_callbacks(execute=True):
        incident = lifecycle.incident_open(
            actor=actor, name="Login errors", body=promised("We are looking at failed logins.")
        )
        lifecycle.audience_words_post(
            actor=actor,
            target=incident,
            audience=employees,
            body=promised("zqstaffonlyxq The VPN concentrator in Frankfurt failed."),
        )
        lifecycle.incident_open(
            actor=actor,
            name="zqintranetxq Intranet down",
            body=promised("zqintranetbodyxq The intranet is unreachable."),
            audiences=[employees],
        )
    public = _messages(
        peers, email="public@example.com", phone="+14155550100", hook_path="/hooks/public"
    )
    assert "Login errors" in public["email"] and public["sms"] and public["webhook"]
    assert _leaks(public, ["zqstaffonlyxq", "zqintranetxq", "zqintranetbodyxq"]) == []
    staff = _messages(peers, email="staff@example.com", phone="+14155550111", hook_path="-")
    assert "zqstaffonlyxq" in staff["email"] and "zqintranetxq" in staff["email"]
    assert "zqstaffonlyxq" in staff["sms"]
