"""Slack, Microsoft Teams, Google Chat and Discord subscribers, each against a local
receiver that answers as the provider does (chat_peers.py): subscribe, confirm in the
chat, fan-out, exactly one valid message each; a 429 storm that delays but loses
nothing; a gone webhook that stops only its subscription, with the reason shown; an
outage that keeps every subscription."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import ComponentStatus, Delivery, Incident, Subscriber, SubscriberState
from incidents.notify import fanout
from tests.factories import ComponentFactory, promised, said, with_promise
from tests.notify.chat_peers import PATHS, PROTOCOLS, ChatReceiver
from tests.notify.conftest import subscriber

pytestmark = pytest.mark.django_db

CHATS = list(PROTOCOLS)


@pytest.fixture
def receivers(settings: Any) -> Iterator[dict[str, ChatReceiver]]:
    settings.CANDOR_CHAT_EXTRA_HOSTS = ["127.0.0.1"]  # the receivers live on loopback
    running = {name: ChatReceiver(protocol).start() for name, protocol in PROTOCOLS.items()}
    yield running
    for receiver in running.values():
        receiver.stop()


def _approved_words() -> str:
    """Words of the default approved template, with the next-update promise the
    production policy asks for."""
    now = timezone.now()
    return (
        "We are investigating reports of problems with some of our services since "
        f"{now:%H:%M} UTC. Next update by {now + timedelta(minutes=10):%H:%M} UTC."
    )


def _open(actor: Actor, capture: Any, *, name: str = "Checkout errors", body: str = "") -> Incident:
    with capture(execute=True):
        return lifecycle.incident_open(
            actor=actor,
            name=name,
            body=body or _approved_words(),
        )


def _links(payload: Any, marker: str) -> list[str]:
    """Every string in a payload that contains `marker` (links, wherever a card puts them)."""
    if isinstance(payload, dict):
        return [link for value in payload.values() for link in _links(value, marker)]
    if isinstance(payload, list):
        return [link for value in payload for link in _links(value, marker)]
    return [payload] if isinstance(payload, str) and marker in payload else []


def _subscribe(client: Client, channel: str, url: str) -> Any:
    return client.post(
        "/subscribe",
        {"channel": channel, "destination": url, "scope": "all"},
        REMOTE_ADDR="203.0.113.9",
    )


@pytest.mark.wording
@pytest.mark.embedded  # chat webhooks work under `make run` (SQLite, no Redis) too
@pytest.mark.parametrize("chat", CHATS)
def test_a_chat_is_confirmed_in_the_chat_and_then_gets_each_update_once(
    client: Client,
    actor: Actor,
    receivers: dict[str, ChatReceiver],
    django_capture_on_commit_callbacks: Any,
    chat: str,
) -> None:
    receiver = receivers[chat]
    path = PATHS[chat].format(n=1)
    with django_capture_on_commit_callbacks(execute=True):
        answer = _subscribe(client, chat, receiver.url(path))
    assert answer.status_code == 200, answer.content
    assert b"confirmation link to the chat channel" in answer.content
    pending = Subscriber.objects.get(channel=chat)
    assert pending.state == SubscriberState.PENDING
    (confirmation,) = receiver.received[path.partition("?")[0]]

    # Nothing but the confirmation is posted until someone in the chat follows it.
    _open(actor, django_capture_on_commit_callbacks, name="Before confirming")
    assert len(receiver.requests) == 1 and not Delivery.objects.filter(subscriber=pending)

    (link,) = {u for u in _links(confirmation, "/subscriptions/confirm/") if u.startswith("https")}
    confirmed = client.post(link.removeprefix("https://status.example.com"), follow=True)
    assert confirmed.redirect_chain[0][1] == 302
    assert Subscriber.objects.get(pk=pending.pk).state == SubscriberState.CONFIRMED
    # The manage page (its link is in every message) shows the host, not the credential.
    manage = confirmed.content.decode()
    assert receiver.url(path.partition("?")[0]) not in manage and "127.0.0.1:" in manage

    database = ComponentFactory(name="Database & <cache>")
    with django_capture_on_commit_callbacks(execute=True):
        incident = lifecycle.incident_open(
            actor=actor,
            name="Checkout errors",
            body=_approved_words(),
            components={database: ComponentStatus.MAJOR_OUTAGE},
        )
    assert receiver.invalid == []
    confirmation_again, update = receiver.received[path.partition("?")[0]]
    assert confirmation_again is confirmation
    assert Delivery.objects.get(subscriber=pending).state == "sent"
    words = str(update)
    assert "Checkout errors" in words and "We are investigating reports of problems" in words
    assert "Database" in words  # the affected component
    assert _links(update, f"/incidents/{incident.public_id}")  # the page
    assert _links(update, "/subscriptions/")  # the way out
    if chat == "google_chat":  # one thread per incident
        (request,) = [r for r in receiver.requests if "threadKey" in r["path"]]
        assert f"threadKey=candor-incident-{incident.public_id}" in request["path"]


@pytest.mark.parametrize("chat", CHATS)
def test_a_429_storm_delays_messages_past_retry_after_and_loses_none(
    actor: Actor,
    settings: Any,
    receivers: dict[str, ChatReceiver],
    django_capture_on_commit_callbacks: Any,
    chat: str,
) -> None:
    # Every 429 counts against the circuit, too; here the circuit is kept out of the way
    # to show Retry-After alone (test_an_outage... shows the circuit).
    settings.CANDOR_NOTIFY_CIRCUIT_FAILURES = 100
    receiver = receivers[chat]
    paths = [PATHS[chat].format(n=n) for n in range(5)]
    subscribers = [subscriber(chat, receiver.url(p)) for p in paths]
    storm = PROTOCOLS[chat].throttled(120)
    receiver.script["*"] = [storm] * 8  # the first round of five, and three of the next

    _open(actor, django_capture_on_commit_callbacks)
    first = timezone.now()
    assert Delivery.objects.filter(state="failed").count() == 5
    for delivery in Delivery.objects.all():
        assert delivery.next_attempt_at >= first + timedelta(seconds=119)
        assert "rate limit (429, retry after 120 s)" in delivery.last_error
    assert fanout.fanout_run(channel=chat).sent == 0  # none is due before its time

    for minutes in (3, 6, 60, 180):  # later retries, each past the one before's wait
        with time_machine.travel(first + timedelta(minutes=minutes)):
            fanout.fanout_run(channel=chat)
    assert Delivery.objects.filter(state="sent").count() == 5
    assert all(len(receiver.received[p.partition("?")[0]]) == 1 for p in paths)
    assert len(receiver.requests) == 8 + 5
    assert {s.state for s in Subscriber.objects.filter(pk__in=[s.pk for s in subscribers])} == {
        SubscriberState.CONFIRMED
    }


@pytest.mark.parametrize("chat", CHATS)
def test_a_gone_webhook_stops_only_its_own_subscription_and_says_why(
    client: Client,
    actor: Actor,
    admin: Any,
    receivers: dict[str, ChatReceiver],
    django_capture_on_commit_callbacks: Any,
    chat: str,
) -> None:
    receiver = receivers[chat]
    paths = [PATHS[chat].format(n=n) for n in range(3)]
    kept, gone, also_kept = (subscriber(chat, receiver.url(p)) for p in paths)
    receiver.gone.add(paths[1].partition("?")[0])

    _open(actor, django_capture_on_commit_callbacks)

    assert Subscriber.objects.get(pk=gone.pk).state == SubscriberState.STOPPED
    reason = Subscriber.objects.get(pk=gone.pk).stopped_reason
    assert "gone" in reason
    for other in (kept, also_kept):
        assert Subscriber.objects.get(pk=other.pk).state == SubscriberState.CONFIRMED
    assert Delivery.objects.filter(state="sent").count() == 2
    assert Delivery.objects.get(subscriber=gone).state == "dead"

    client.force_login(admin)
    page = client.get("/console/subscribers/").content.decode()
    assert reason in page.replace("&#x27;", "'")
    # The webhook URL is a credential: the list names its host, never the whole URL.
    assert receiver.url(paths[1]) not in page and "127.0.0.1:" in page


@pytest.mark.parametrize("chat", CHATS)
def test_an_outage_keeps_every_subscription_and_opens_the_providers_circuit(
    actor: Actor,
    receivers: dict[str, ChatReceiver],
    django_capture_on_commit_callbacks: Any,
    chat: str,
) -> None:
    from incidents.notify import limits

    receiver = receivers[chat]
    for n in range(5):
        subscriber(chat, receiver.url(PATHS[chat].format(n=n)))
    receiver.script["*"] = [PROTOCOLS[chat].down] * 10

    _open(actor, django_capture_on_commit_callbacks)

    # Three reached the provider (CANDOR_NOTIFY_CIRCUIT_FAILURES); its circuit held back
    # the rest. Every message waits for its retry; nobody is unsubscribed.
    assert len(receiver.requests) == 3
    assert limits.circuit_state(f"{chat}:127.0.0.1") == "open"
    assert Delivery.objects.filter(state="failed").count() == 5
    assert set(Subscriber.objects.values_list("state", flat=True)) == {SubscriberState.CONFIRMED}


HOSTILE = (
    "@everyone @here <!channel> <@U0123> <@&42> <users/all> & *bold* _it_ ~x~ `code` "
    "[click](/elsewhere) <script>x</script>"
)


def _strings_of_type(payload: Any, kind: str) -> list[str]:
    """The `text` of every Block Kit text object of `kind` in a payload."""
    if isinstance(payload, list):
        return [t for item in payload for t in _strings_of_type(item, kind)]
    if not isinstance(payload, dict):
        return []
    own = [payload["text"]] if payload.get("type") == kind else []
    return own + [t for value in payload.values() for t in _strings_of_type(value, kind)]


def _each_chat(receivers: dict[str, ChatReceiver]) -> dict[str, str]:
    """One subscriber per chat; their paths (without the query), by chat."""
    paths = {}
    for chat, receiver in receivers.items():
        path = PATHS[chat].format(n=7)
        subscriber(chat, receiver.url(path))
        paths[chat] = path.partition("?")[0]
    return paths


def test_words_that_look_like_markup_or_mentions_are_shown_not_acted_on(
    actor: Actor, receivers: dict[str, ChatReceiver], django_capture_on_commit_callbacks: Any
) -> None:
    """Stored words (an older row, an override) with every kind of markup in them."""
    from incidents.models import IncidentUpdate

    paths = _each_chat(receivers)
    incident = lifecycle.incident_open(
        actor=actor, name="Outage", body=promised("We are investigating failed payments.")
    )
    Incident.objects.filter(pk=incident.pk).update(name="Hostile <!here>")
    IncidentUpdate.objects.filter(incident=incident).update(body=with_promise(HOSTILE))
    for chat in paths:
        fanout.fanout_run(channel=chat, max_seconds=5)
    for chat, receiver in receivers.items():
        assert receiver.invalid == [], chat
        assert len(receiver.received[paths[chat]]) == 1
        assert Delivery.objects.filter(channel=chat, state="sent").count() == 1

    slack = receivers["slack"].received[paths["slack"]][0]
    # mrkdwn is where Slack acts on <!here> and <@U...>; plain_text (the header) shows it.
    mrkdwn = [slack["text"], *_strings_of_type(slack, "mrkdwn")]
    assert not any(("<!" in t.replace("<!date^", "")) or "<@" in t for t in mrkdwn)
    assert "&lt;!channel&gt; &lt;@U0123&gt;" in str(mrkdwn) and "&amp; *bold*" in str(mrkdwn)
    header = slack["attachments"][0]["blocks"][0]
    assert header["text"] == {"type": "plain_text", "text": "Hostile <!here>", "emoji": False}

    discord = receivers["discord"].received[paths["discord"]][0]
    assert discord["allowed_mentions"] == {"parse": []}
    description = discord["embeds"][0]["description"]
    assert "\\@everyone \\@here \\<\\!channel\\> \\<\\@U0123\\>" in description
    assert "\\[click\\]\\(/elsewhere\\)" in description

    google = str(receivers["google_chat"].received[paths["google_chat"]][0])
    assert "&lt;users/all&gt;" in google and "&lt;script&gt;" in google
    assert "<users/all>" not in google and "<script>" not in google


@pytest.mark.parametrize("chat", CHATS)
def test_long_words_are_cut_within_each_providers_limits_and_still_link_to_the_page(
    chat: str,
) -> None:
    """Whatever is stored (the policy keeps new updates to 2,000 characters; older rows and
    overrides may be longer), every payload stays within the provider's limits."""
    from incidents.notify.channels import channel_get
    from incidents.notify.chat.message import ChatMessage

    # A word longer than any block, then escapes packed at every boundary a cut could hit.
    words = ("x" * 3500 + " ") + ("&<>*@\\ " * 3000)[: 20_000 - 3501]
    message = ChatMessage(
        kind="incident", about_id="abc123", title="T" * 200, status="Investigating",
        status_value="investigating", words=words,
        components=tuple(f"Component {n} & <more>" for n in range(300)),
        next_update=timezone.now(), window=None, page="P" * 100,
        url="https://status.example.com/incidents/abc123",
        manage_url="https://status.example.com/subscriptions/m",
        unsubscribe_url="https://status.example.com/subscriptions/m/unsubscribe",
    )  # fmt: skip
    payload = channel_get(chat).update_payload(message)  # type: ignore[attr-defined]
    assert PROTOCOLS[chat].check(payload) == []
    assert _links(payload, message.url)
    if chat == "slack":
        blocks = payload["attachments"][0]["blocks"]
        texts = [b["text"]["text"] for b in blocks if b["type"] == "section" and "text" in b]
        assert len(texts) == 5 and texts[-1].endswith("…")
        # No cut lands inside an entity: every "&" starts a whole one.
        for text in texts:
            assert text.count("&") == sum(text.count(e) for e in ("&amp;", "&lt;", "&gt;"))


def test_a_maintenance_notice_carries_its_window(
    actor: Actor, receivers: dict[str, ChatReceiver], django_capture_on_commit_callbacks: Any
) -> None:
    paths = _each_chat(receivers)
    database = ComponentFactory(name="Database")
    start = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.maintenance_schedule(
            actor=actor, name="Upgrade", body="Upgrading.", components=[database],
            scheduled_for=start, scheduled_until=start + timedelta(hours=2),
        )  # fmt: skip
    stamp = int(start.timestamp())
    slack = str(receivers["slack"].received[paths["slack"]][0])
    assert f"<!date^{stamp}^" in slack and "Database" in slack
    assert f"<t:{stamp}:f>" in str(receivers["discord"].received[paths["discord"]][0])
    teams = str(receivers["teams"].received[paths["teams"]][0])
    assert f"{{{{DATE({start:%Y-%m-%dT%H:%M:%S}Z, SHORT)}}}}" in teams
    assert f"{start:%H:%M} UTC" in str(receivers["google_chat"].received[paths["google_chat"]][0])
    assert all(r.invalid == [] for r in receivers.values())


def test_a_confirmation_to_a_gone_webhook_leaves_the_subscription_pending(
    client: Client, receivers: dict[str, ChatReceiver], django_capture_on_commit_callbacks: Any
) -> None:
    receiver = receivers["slack"]
    path = PATHS["slack"].format(n=9)
    receiver.gone.add(path)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert _subscribe(client, "slack", receiver.url(path)).status_code == 200
    assert callbacks and len(receiver.requests) == 1
    assert Subscriber.objects.get().state == SubscriberState.PENDING
    assert not receiver.received


def test_words_the_wording_policy_now_refuses_are_not_posted_to_any_chat(
    actor: Actor, admin: Any, receivers: dict[str, ChatReceiver]
) -> None:
    """Words approved at publishing, banned by a rule added before the fan-out reached
    them: no chat gets them, each delivery says why, every subscription stays."""
    from incidents.wording import approvals

    paths = _each_chat(receivers)
    lifecycle.incident_open(
        actor=actor, name="Outage", body=promised("We are investigating failed payments.")
    )
    approvals.rule_save(
        actor=Actor.staff(admin, channel="console"), key="no-payments-talk",
        kind="banned_phrase", pattern="failed payments",
        reason="Legal: say 'checkout errors', not 'failed payments'.",
    )  # fmt: skip
    for chat in paths:
        fanout.fanout_run(channel=chat, max_seconds=5)
        delivery = Delivery.objects.get(channel=chat)
        assert delivery.state == "dead", chat
        assert delivery.last_error.startswith("refused by the wording policy: Legal: say")
        assert receivers[chat].requests == []
    assert set(Subscriber.objects.values_list("state", flat=True)) == {SubscriberState.CONFIRMED}


def test_the_words_checked_are_the_updates_own_so_chat_and_page_agree(actor: Actor) -> None:
    from incidents.notify.channels import message_render

    incident = lifecycle.incident_open(
        actor=actor, name="Outage", body=promised("We are investigating failed payments.")
    )
    chat = subscriber("slack", "https://hooks.slack.com/services/T1/B1/x")
    rendered = message_render(channel="slack", update=incident.updates.get(), subscriber=chat)
    assert said(rendered.text) == "We are investigating failed payments."


def test_a_429_storm_with_the_circuit_on_pauses_the_provider_and_still_loses_nothing(
    actor: Actor,
    settings: Any,
    receivers: dict[str, ChatReceiver],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """The production shape: the 429s open Slack's circuit (three here), the rest wait
    without being tried, and once it closes every message arrives exactly once."""
    import time

    from incidents.notify import limits

    settings.CANDOR_NOTIFY_CIRCUIT_OPEN = 1  # seconds: Redis keeps real time
    receiver = receivers["slack"]
    paths = [PATHS["slack"].format(n=n) for n in range(5)]
    for path in paths:
        subscriber("slack", receiver.url(path))
    receiver.script["*"] = [PROTOCOLS["slack"].throttled(1)] * 4

    _open(actor, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 3  # then the circuit held the other two back
    assert limits.circuit_state("slack:127.0.0.1") == "open"
    assert Delivery.objects.filter(state="failed").count() == 5

    start = timezone.now()
    for hour in range(1, 8):
        time.sleep(1.1)  # the circuit's open period passes (in Redis, in real time)
        with time_machine.travel(start + timedelta(hours=hour)):  # every retry is due
            fanout.fanout_run(channel="slack", max_seconds=5)
        if Delivery.objects.filter(state="sent").count() == 5:
            break
    assert Delivery.objects.filter(state="sent").count() == 5
    assert all(len(receiver.received[p]) == 1 for p in paths)
    assert len(receiver.requests) == 4 + 5
    assert set(Subscriber.objects.values_list("state", flat=True)) == {SubscriberState.CONFIRMED}


def test_the_subscribe_form_offers_each_chat_and_refuses_a_foreign_url(client: Client) -> None:
    page = client.get("/subscribe").content.decode()
    for chat, label in [("slack", "Slack"), ("teams", "Microsoft Teams"),
                        ("google_chat", "Google Chat"), ("discord", "Discord")]:  # fmt: skip
        assert f'value="{chat}"> {label}' in page
    refused = _subscribe(client, "slack", "https://evil.example/services/T1/B1/x")
    assert refused.status_code == 400
    assert "&#x27;evil.example&#x27; is not a Slack webhook host." in refused.content.decode()
    assert not Subscriber.objects.exists()


def test_a_chat_subscribed_to_some_components_hears_only_about_those(
    actor: Actor, receivers: dict[str, ChatReceiver], django_capture_on_commit_callbacks: Any
) -> None:
    api, web = ComponentFactory(name="API"), ComponentFactory(name="Website")
    receiver = receivers["teams"]
    api_path, web_path = (PATHS["teams"].format(n=n) for n in (1, 2))
    subscriber("teams", receiver.url(api_path), components=[api.pk])
    subscriber("teams", receiver.url(web_path), components=[web.pk])
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=actor,
            name="API errors",
            body=promised("We are investigating failed payments."),
            components={api: ComponentStatus.PARTIAL_OUTAGE},
        )
    assert list(receiver.received) == [api_path.partition("?")[0]]
    assert receiver.invalid == []
