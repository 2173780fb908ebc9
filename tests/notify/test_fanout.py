"""The outbox and the fan-out, against a real SMTP server, Twilio's API played on
loopback by a real HTTP server (driven by the real twilio SDK), and webhook receivers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Delivery, DeliveryState, Subscriber, SubscriberChannel, SubscriberState
from incidents.notify import fanout, limits, outbox
from incidents.notify.transports.webhook import signature_valid
from incidents.wording import approvals
from tests.factories import ComponentFactory, promised
from tests.notify.conftest import TWILIO_SID, TWILIO_TOKEN, subscriber
from tests.notify.peers import HttpPeer, SmtpSink, webhook_receiver

# Also run on SQLite without Redis, as `make run` has it (tests/settings_sqlite.py).
pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def _open(actor: Actor, components: dict | None = None, name: str = "Checkout errors"):  # type: ignore[no-untyped-def]
    return lifecycle.incident_open(
        actor=actor,
        name=name,
        body=promised("We are investigating failed payments."),
        components=components,
    )


def test_an_update_creates_one_delivery_per_subscriber_who_wants_it(actor: Actor) -> None:
    api, web = ComponentFactory(name="API"), ComponentFactory(name="Website")
    everything = subscriber(SubscriberChannel.EMAIL, "all@example.com")
    api_only = subscriber(SubscriberChannel.EMAIL, "api@example.com", components=[api.pk])
    web_only = subscriber(SubscriberChannel.SMS, "+14155550100", components=[web.pk])
    subscriber(SubscriberChannel.EMAIL, "pending@example.com", state=SubscriberState.PENDING)
    subscriber(SubscriberChannel.EMAIL, "gone@example.com", state=SubscriberState.UNSUBSCRIBED)

    incident = _open(actor, {api: "major_outage"})

    update = incident.updates.get()
    got = set(Delivery.objects.filter(incident_update=update).values_list("subscriber", "channel"))
    assert got == {(everything.pk, "email"), (api_only.pk, "email")}
    assert web_only.pk not in {s for s, _ in got}
    # A second call for the same update adds nothing: unique per subscriber x update x channel.
    assert outbox.deliveries_create(update=update, component_ids=[api.pk], now=timezone.now()) == 0


def test_maintenance_notices_reach_subscribers_of_its_components(actor: Actor) -> None:
    database = ComponentFactory(name="Database")
    fan = subscriber(SubscriberChannel.EMAIL, "dba@example.com", components=[database.pk])
    now = timezone.now()
    lifecycle.maintenance_schedule(
        actor=actor, name="Upgrade", body="Upgrading.", components=[database],
        scheduled_for=now + timedelta(hours=1), scheduled_until=now + timedelta(hours=2),
    )  # fmt: skip
    assert Delivery.objects.get().subscriber == fan


def test_emails_arrive_with_one_click_unsubscribe_that_works(
    actor: Actor, smtp: SmtpSink, django_capture_on_commit_callbacks, client: Client
) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        subscriber(SubscriberChannel.EMAIL, f"reader{n}@Example.com")
    with django_capture_on_commit_callbacks(execute=True):
        incident = _open(actor)

    assert len(smtp.messages) == 3
    message = smtp.to("reader0@Example.com")[0]
    assert message["Subject"] == "[Candor Demo] Checkout errors: Investigating"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = "".join(message["List-Unsubscribe"].split()).strip("<>")  # unfolded
    assert link.startswith("https://status.example.com/subscriptions/")
    assert f"https://status.example.com/incidents/{incident.public_id}" in message.get_payload()
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}

    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click, with no cookie or token.
    path = link.removeprefix("https://status.example.com")
    answer = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    assert Subscriber.objects.get(destination="reader0@Example.com").state == "unsubscribed"

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.update_post(actor=actor, incident=incident, body="Fixed.", status="resolved")
    assert len(smtp.to("reader0@Example.com")) == 1  # nothing after unsubscribing
    assert len(smtp.to("reader1@Example.com")) == 2
    # Updates of one incident thread together, and each message has its own stable id.
    first, second = smtp.to("reader1@Example.com")
    assert first["References"] == second["References"]
    assert first["Message-ID"] != second["Message-ID"]


def test_sms_goes_through_the_twilio_sdk_with_a_status_callback(
    actor: Actor, twilio: HttpPeer, django_capture_on_commit_callbacks, client: Client
) -> None:  # type: ignore[no-untyped-def]
    subscriber(SubscriberChannel.SMS, "+14155550100")
    with django_capture_on_commit_callbacks(execute=True):
        _open(actor)

    (request,) = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request["auth"] == (TWILIO_SID, TWILIO_TOKEN)
    form = request["form"]
    assert form["To"] == "+14155550100"
    assert form["MessagingServiceSid"].startswith("MG")
    assert form["StatusCallback"] == "https://status.example.com/notify/twilio/status"
    assert "Checkout errors" in form["Body"] and "Reply STOP" in form["Body"]
    delivery = Delivery.objects.get()
    assert delivery.state == "sent" and delivery.provider_id.startswith("SM")

    from twilio.request_validator import RequestValidator

    params = {
        "MessageSid": delivery.provider_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }
    url = "https://status.example.com/notify/twilio/status"
    forged = client.post("/notify/twilio/status", params, HTTP_X_TWILIO_SIGNATURE="forged")
    assert forged.status_code == 403
    signed = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    answer = client.post("/notify/twilio/status", params, HTTP_X_TWILIO_SIGNATURE=signed)
    assert answer.status_code == 204
    delivery.refresh_from_db()
    assert (delivery.provider_status, delivery.state) == ("undelivered", "dead")


def test_webhooks_are_signed_and_carry_an_idempotency_key(
    actor: Actor, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    secrets_by_path: dict[str, str] = {}
    receiver = webhook_receiver(lambda path: secrets_by_path[path])
    try:
        hook = subscriber(SubscriberChannel.WEBHOOK, f"{receiver.url}/hooks/candor")
        secrets_by_path["/hooks/candor"] = hook.webhook_secret
        with django_capture_on_commit_callbacks(execute=True):
            incident = _open(actor)
    finally:
        receiver.stop()
    (request,) = receiver.requests
    assert request["verified"]
    assert request["json"]["incident"]["id"] == incident.public_id
    assert request["headers"]["idempotency-key"] == Delivery.objects.get().key
    assert not signature_valid(
        "another-secret", request["body"], request["headers"]["x-candor-signature"]
    )


def test_a_refusing_smtp_server_means_retries_with_backoff_then_an_open_circuit(
    actor: Actor, smtp: SmtpSink, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    for n in range(10):
        subscriber(SubscriberChannel.EMAIL, f"r{n}@example.com")
    smtp.refuse = "451 4.3.0 Try again later"
    started = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        _open(actor)

    # Three failures open the circuit (CANDOR_NOTIFY_CIRCUIT_FAILURES); the rest wait.
    states = list(Delivery.objects.values_list("state", flat=True))
    assert states.count("failed") == 3 and states.count("pending") == 7
    assert limits.circuit_state("email") == "open"
    for delivery in Delivery.objects.filter(state="failed"):
        assert 15 <= (delivery.next_attempt_at - started).total_seconds() <= 31  # 30 s, jitter
        assert "451" in delivery.last_error
    assert fanout.fanout_run(channel="email").stopped_by == "circuit"

    # The provider recovers; once the circuit lets a probe through, everything is sent.
    smtp.refuse = ""
    limits.cache.delete("notify:circuit:email:open")  # the open period has passed
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        result = fanout.fanout_run(channel="email")
    # One probe message first; its success closes the circuit and the rest follow.
    assert result.sent == 10 and limits.circuit_state("email") == "closed"
    assert Delivery.objects.filter(state="sent").count() == 10
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == sorted(
        f"r{n}@example.com" for n in range(10)
    )


def test_twilio_429_and_500_are_retried_and_nothing_is_lost(
    actor: Actor, twilio: HttpPeer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    for n in range(4):
        subscriber(SubscriberChannel.SMS, f"+1415555010{n}")
    twilio.queue = [429, 500]
    with django_capture_on_commit_callbacks(execute=True):
        _open(actor)
    assert Delivery.objects.filter(state="sent").count() == 2
    failed = list(Delivery.objects.filter(state="failed"))
    assert {d.attempts for d in failed} == {1}
    assert any("429" in d.last_error for d in failed) and any("500" in d.last_error for d in failed)

    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        fanout.fanout_run(channel="sms")
    assert Delivery.objects.filter(state="sent").count() == 4
    assert len({r["form"]["To"] for r in twilio.requests if "form" in r}) == 4


def test_an_invalid_number_stops_the_subscription_for_good(
    actor: Actor, twilio: HttpPeer, settings, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    stale = subscriber(SubscriberChannel.SMS, "+14155550100")

    def refuse(peer: HttpPeer, request: dict) -> tuple[int, bytes]:  # type: ignore[type-arg]
        peer.requests.append(request)
        return 400, b'{"code": 21211, "message": "Invalid To number", "status": 400}'

    twilio.answer = refuse
    with django_capture_on_commit_callbacks(execute=True):
        _open(actor)
    assert Delivery.objects.get().state == "dead"
    stale.refresh_from_db()
    assert stale.state == "stopped" and "21211" in stale.stopped_reason


def test_the_sweeper_requeues_deliveries_a_dead_worker_held(actor: Actor, settings) -> None:  # type: ignore[no-untyped-def]
    subscriber(SubscriberChannel.EMAIL, "a@example.com")
    _open(actor)
    claimed = fanout.deliveries_claim(channel="email", limit=10)
    assert [d.state for d in Delivery.objects.all()] == ["sending"] and claimed
    assert outbox.deliveries_sweep() == (0, [])  # within its lease: still the worker's
    later = timezone.now() + timedelta(seconds=settings.CANDOR_NOTIFY_LEASE + 1)
    assert outbox.deliveries_sweep(now=later) == (1, ["email"])
    assert Delivery.objects.get().state == "pending"


def test_a_claim_takes_the_due_deliveries_in_order_with_their_subscribers_in_one_statement(
    actor: Actor, django_assert_num_queries: Any
) -> None:
    for n in range(5):
        subscriber(SubscriberChannel.EMAIL, f"c{n}@example.com")
    subscriber(SubscriberChannel.SMS, "+14155550100")
    _open(actor)
    now = timezone.now()
    ids = list(Delivery.objects.filter(channel="email").order_by("pk").values_list("pk", flat=True))
    Delivery.objects.filter(pk=ids[0]).update(next_attempt_at=now + timedelta(hours=1))
    Delivery.objects.filter(pk=ids[1]).update(state=DeliveryState.SENT)
    Delivery.objects.filter(pk=ids[2]).update(
        state=DeliveryState.FAILED, next_attempt_at=now - timedelta(minutes=5), attempts=2
    )
    # One statement, and one read of the update they carry (the subscribers come with them).
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 6):
        batch = fanout.deliveries_claim(channel="email", limit=2)
        # Due, oldest first: the failed one waiting since 5 minutes ago, then the next.
        assert [d.pk for d in batch] == [ids[2], ids[3]]
        assert [d.subscriber.destination for d in batch] == ["c2@example.com", "c3@example.com"]
        assert batch[0].update.body and batch[0].attempts == 2
    for claimed in batch:
        stored = Delivery.objects.select_related("subscriber").get(pk=claimed.pk)
        assert stored.state == "sending" and stored.claimed_at == claimed.claimed_at
        assert {f.attname: getattr(claimed, f.attname) for f in Delivery._meta.concrete_fields} == {
            f.attname: getattr(stored, f.attname) for f in Delivery._meta.concrete_fields
        }
        assert claimed.subscriber.__dict__.keys() >= {"public_id", "language", "state"}
        assert not claimed._state.adding and claimed.subscriber.pk == stored.subscriber_id
    (last,) = fanout.deliveries_claim(channel="email", limit=10)  # the one left due
    assert last.pk == ids[4]
    assert fanout.deliveries_claim(channel="email", limit=10) == []


def test_staff_retry_sends_what_was_given_up(
    actor: Actor, smtp: SmtpSink, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    subscriber(SubscriberChannel.EMAIL, "a@example.com")
    incident = _open(actor)
    Delivery.objects.update(state=DeliveryState.DEAD, attempts=8, last_error="SMTP 451")
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.deliveries_retry(actor=actor, incident_update=incident.updates.get()) == 1
    assert Delivery.objects.get().state == "sent"
    assert len(smtp.messages) == 1


def test_list_unsubscribe_also_offers_a_mailbox_when_one_is_configured(
    actor: Actor, smtp: SmtpSink, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CANDOR_UNSUBSCRIBE_MAILTO = "unsubscribe@example.com"
    subscriber(SubscriberChannel.EMAIL, "reader@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        _open(actor)
    header = "".join(smtp.messages[0]["List-Unsubscribe"].split())
    https, mailto = header.split(",")
    assert https.startswith("<https://status.example.com/subscriptions/")
    assert mailto == "<mailto:unsubscribe@example.com?subject=unsubscribe>"


def test_a_message_the_wording_policy_now_refuses_is_never_sent(
    actor: Actor, smtp: SmtpSink, admin: Any
) -> None:
    """Words approved at publishing, banned by a rule added before the fan-out reached
    them (legal, mid-outage): those messages are not sent, and say why."""
    subscriber(SubscriberChannel.EMAIL, "reader@example.com")
    _open(actor)
    approvals.rule_save(
        actor=Actor.staff(admin, channel="console"), key="no-payments-talk",
        kind="banned_phrase", pattern="failed payments",
        reason="Legal: say 'checkout errors', not 'failed payments'.",
    )  # fmt: skip
    fanout.fanout_run(channel=SubscriberChannel.EMAIL, max_seconds=5)
    assert smtp.messages == []
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.DEAD
    assert delivery.last_error.startswith("refused by the wording policy: Legal: say")
    assert Subscriber.objects.get().state == SubscriberState.CONFIRMED  # still subscribed


def test_the_twilio_client_reads_proxy_settings_once_and_still_honours_them(
    monkeypatch: pytest.MonkeyPatch, settings
) -> None:  # type: ignore[no-untyped-def]
    from incidents.notify.transports.twilio import _HttpClient

    settings.CANDOR_TWILIO_API_BASE = "https://api.twilio.com"
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = _HttpClient(timeout=10)
    assert client.proxy["https"] == "http://proxy.internal:3128"
    assert client.session is not None and client.session.trust_env is False
    assert client.session.verify == "/etc/ssl/certs/ca-certificates.crt"

    monkeypatch.setenv("NO_PROXY", "api.twilio.com")
    assert "https" not in _HttpClient(timeout=10).proxy


def test_the_sweeper_starts_no_run_beside_one_at_work_unless_a_worker_died(
    actor: Actor, monkeypatch: pytest.MonkeyPatch, settings
) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    from incidents import tasks

    kicked: list[list[str]] = []
    monkeypatch.setattr(outbox, "fanout_kick", lambda channels: kicked.append(list(channels)))
    subscriber(SubscriberChannel.EMAIL, "a@example.com")
    _open(actor)
    cache.delete("notify:active:email")

    assert tasks.notify_sweep()["kicked"] == ["email"]  # due, and nobody at work on it
    limits.fanout_heartbeat("email")  # a run is sending batches
    assert tasks.notify_sweep()["kicked"] == []
    # A worker died holding a claim: its deliveries come back and a run is started,
    # however fresh the dead worker's mark still looks.
    fanout.deliveries_claim(channel="email", limit=10)
    later = timezone.now() + timedelta(seconds=settings.CANDOR_NOTIFY_LEASE + 1)
    with time_machine.travel(later, tick=False):
        limits.fanout_heartbeat("email")
        assert tasks.notify_sweep()["kicked"] == ["email"]
    assert kicked == [["email"], [], ["email"]]
    cache.delete("notify:active:email")


def test_with_the_static_copy_on_the_canonical_name_app_links_go_to_the_app(
    actor: Actor,
    smtp: SmtpSink,
    twilio: HttpPeer,
    settings,
    django_capture_on_commit_callbacks,
    client: Client,
) -> None:  # type: ignore[no-untyped-def]
    # status.example.com serves the published copy; only app.example.com runs Candor.
    settings.CANDOR_APP_URL = "https://app.example.com"
    subscriber(SubscriberChannel.EMAIL, "reader@example.com")
    subscriber(SubscriberChannel.SMS, "+14155550100")
    with django_capture_on_commit_callbacks(execute=True):
        incident = _open(actor)

    (message,) = smtp.messages
    body = message.get_payload()
    assert f"https://status.example.com/incidents/{incident.public_id}" in body
    assert "https://app.example.com/subscriptions/" in body
    assert "https://status.example.com/subscriptions/" not in body
    assert "".join(message["List-Unsubscribe"].split()).startswith(
        "<https://app.example.com/subscriptions/"
    )
    (request,) = twilio.requests
    callback = "https://app.example.com/notify/twilio/status"
    assert request["form"]["StatusCallback"] == callback

    from twilio.request_validator import RequestValidator

    params = {"MessageSid": Delivery.objects.get(channel="sms").provider_id}
    params["MessageStatus"] = "delivered"
    signed = RequestValidator(TWILIO_TOKEN).compute_signature(callback, params)
    answer = client.post("/notify/twilio/status", params, HTTP_X_TWILIO_SIGNATURE=signed)
    assert answer.status_code == 204
    # Signed for the canonical name instead: not the URL Twilio was given, refused.
    wrong = RequestValidator(TWILIO_TOKEN).compute_signature(
        "https://status.example.com/notify/twilio/status", params
    )
    answer = client.post("/notify/twilio/status", params, HTTP_X_TWILIO_SIGNATURE=wrong)
    assert answer.status_code == 403


def test_a_batch_reads_each_update_s_signed_notice_once_not_per_recipient(
    actor: Actor, smtp: SmtpSink
) -> None:
    """An update's context (its signed notice, its links) is read once per batch and
    language: reading it per recipient cost more than sending the message."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.models import SignedNotice

    for n in range(6):
        subscriber(SubscriberChannel.EMAIL, f"reader{n}@example.com")
    subscriber(SubscriberChannel.EMAIL, "leser@example.com", language="de")
    _open(actor)  # its fan-out waits: on_commit callbacks are not run here

    with CaptureQueriesContext(connection) as seen:
        result = fanout.fanout_run(channel="email")
    assert result.sent == 7 and len(smtp.messages) == 7
    notices = [
        q for q in seen if q["sql"].startswith("SELECT") and SignedNotice._meta.db_table in q["sql"]
    ]
    assert len(notices) == 2  # one batch, two languages: once for each
    # Each got their own: the code is the update's, the links and the language theirs.
    english = {
        m["Candor-Signature"] for m in smtp.messages if m["X-Envelope-To"] != "leser@example.com"
    }
    assert len(english) == 1 and None not in english  # the notice of the page they are sent to
    links = {m["List-Unsubscribe"] for m in smtp.messages}
    assert len(links) == 7
    assert smtp.to("leser@example.com")[0]["Subject"].endswith("Wird untersucht")
    assert smtp.to("reader0@example.com")[0]["Subject"].endswith("Investigating")


def test_one_batch_opens_a_new_smtp_connection_after_the_provider_s_limit(
    actor: Actor, smtp: SmtpSink, settings: Any
) -> None:
    """A batch is claimed whole (CANDOR_NOTIFY_BATCH), but no SMTP connection carries more
    than CANDOR_SMTP_MESSAGES_PER_CONNECTION messages: some providers close it after 100."""
    settings.CANDOR_NOTIFY_BATCH = 250
    settings.CANDOR_SMTP_MESSAGES_PER_CONNECTION = 3
    settings.CANDOR_EMAIL_CONNECTIONS = 1
    for n in range(7):
        subscriber(SubscriberChannel.EMAIL, f"reader{n}@example.com")
    _open(actor)

    result = fanout.fanout_run(channel="email")
    assert result.sent == 7 and result.failed == 0
    connections = [m["X-Peer"] for m in smtp.messages]
    assert len(set(connections)) == 3  # 3 + 3 + 1
    assert max(connections.count(c) for c in set(connections)) == 3
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_several_connections_each_keep_the_provider_s_limit(
    actor: Actor, smtp: SmtpSink, settings: Any
) -> None:
    settings.CANDOR_SMTP_MESSAGES_PER_CONNECTION = 3
    settings.CANDOR_EMAIL_CONNECTIONS = 4
    for n in range(30):
        subscriber(SubscriberChannel.EMAIL, f"reader{n}@example.com")
    _open(actor)

    result = fanout.fanout_run(channel="email")
    assert result.sent == 30 and result.failed == 0
    connections = [m["X-Peer"] for m in smtp.messages]
    assert max(connections.count(c) for c in set(connections)) <= 3
    assert len(set(connections)) >= 10
    assert sorted(m["X-Envelope-To"] for m in smtp.messages) == sorted(
        f"reader{n}@example.com" for n in range(30)
    )
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_a_batch_that_breaks_off_still_records_what_its_connections_had_sent(
    actor: Actor, smtp: SmtpSink, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in the run's own thread mid-batch, with messages on their way over the other
    connections: what the provider took is still marked sent, or the next claimer would
    send it again."""
    settings.CANDOR_EMAIL_CONNECTIONS = 4
    smtp.delay = 0.05  # each message stays on its way a while
    for n in range(20):
        subscriber(SubscriberChannel.EMAIL, f"reader{n}@example.com")
    _open(actor)
    wanted, asked = fanout._still_wanted, []

    def breaks(delivery: Delivery) -> bool:
        asked.append(delivery.pk)
        if len(asked) == 12:
            raise RuntimeError("a bug")
        return wanted(delivery)

    monkeypatch.setattr(fanout, "_still_wanted", breaks)
    with pytest.raises(RuntimeError, match="a bug"):
        fanout.fanout_run(channel="email")

    arrived = {m["X-Envelope-To"] for m in smtp.messages}
    marked = set(
        Delivery.objects.filter(state=DeliveryState.SENT).values_list(
            "subscriber__destination", flat=True
        )
    )
    assert len(arrived) == 11
    assert marked == arrived


def test_what_the_connections_sent_reaches_the_journal_when_the_database_refuses_the_marks(
    actor: Actor, smtp: SmtpSink, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database stops taking the marks mid-batch: every message the provider took is
    still in the journal (Redis), so whoever claims the deliveries next skips them."""
    from django.db import OperationalError

    from incidents.notify import journal

    client = limits.redis_client()
    if client is None:
        pytest.skip("the journal is Redis; without it each mark is committed at once")
    settings.CANDOR_EMAIL_CONNECTIONS = 4
    smtp.delay = 0.02
    for n in range(20):
        subscriber(SubscriberChannel.EMAIL, f"reader{n}@example.com")
    _open(actor)

    commit, commits = journal.marks_commit, []

    def refused(marks: list[journal.Mark]) -> set[int]:
        commits.append(len(marks))
        if len(commits) == 1:  # the first message's, before the lanes widen
            return commit(marks)
        raise OperationalError("the database is gone")

    monkeypatch.setattr(journal, "marks_commit", refused)
    monkeypatch.setattr(journal, "FLUSH_EVERY", 0.0)  # every mark is due at once
    with pytest.raises(OperationalError):
        fanout.fanout_run(channel="email")

    arrived = {m["X-Envelope-To"] for m in smtp.messages}
    assert len(arrived) >= 3  # some were on their way when the marks were refused
    for delivery in Delivery.objects.filter(subscriber__destination__in=arrived):
        if delivery.state != DeliveryState.SENT:  # the first one's mark was committed
            assert client.exists(journal._key(delivery.pk)), delivery.subscriber.destination
