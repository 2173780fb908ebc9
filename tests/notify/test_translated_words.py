"""Issue 20's "done when": an update posted from an approved template reaches a German and
an English subscriber each in their language, through a real SMTP server; and never in
words that are not approved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db.models.signals import pre_save
from django.test import Client
from django.utils import timezone

from incidents import lifecycle, roles, wording
from incidents.audit import Actor
from incidents.models import Delivery, Incident, Subscriber, SubscriberChannel, TemplateVersion
from incidents.notify.render import subscriber_language
from incidents.wording import approvals
from incidents.wording.translation_approvals import translation_approve, translation_submit
from incidents.wording.translations import translations_forget
from tests.conftest import staff_user
from tests.factories import ComponentFactory
from tests.notify.conftest import subscriber
from tests.notify.peers import SmtpSink

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

GERMAN = (
    "Wir untersuchen Probleme mit {components} seit {started_at}. "
    "Nächstes Update: {next_update_at}."
)


def _german_by_address(sender: Any, instance: Subscriber, **kwargs: Any) -> None:
    if instance.destination.startswith("de."):
        instance.language = "de"


@pytest.fixture(autouse=True)
def _languages() -> Iterator[None]:
    """Subscribers whose address starts "de." read German (as if they signed up on /de/)."""
    pre_save.connect(_german_by_address, sender=Subscriber)
    translations_forget()
    yield
    pre_save.disconnect(_german_by_address, sender=Subscriber)
    translations_forget()


def _as(user: User) -> Actor:
    return Actor.staff(user, channel="console")


def _translation(*, approvers: list[User]) -> None:
    version: TemplateVersion = approvals.usable_versions("investigating")[0]
    writer = staff_user("cole", roles.COMMUNICATOR)
    translation = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    for approver in approvers:
        translation_approve(actor=_as(approver), translation=translation)


def _open(captured) -> Incident:  # type: ignore[no-untyped-def]
    api = ComponentFactory(name="API")
    now = timezone.now()
    values = wording.values_for(
        title="Checkout errors", component_names=[api.name], started_at=now,
        next_update_at=now + timedelta(minutes=10),
    )  # fmt: skip
    with captured(execute=True):
        return lifecycle.incident_open(
            actor=Actor.system("test"), name="Checkout errors", components={api: "major_outage"},
            body=approvals.template_words("investigating", values) or "",
        )  # fmt: skip


def _text(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def test_a_german_and_an_english_subscriber_each_read_their_language(
    smtp: SmtpSink, legal: User, support: User, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    _translation(approvers=[legal, support])
    subscriber(SubscriberChannel.EMAIL, "de.reader@example.com")
    subscriber(SubscriberChannel.EMAIL, "de.other@example.com")
    subscriber(SubscriberChannel.EMAIL, "en.reader@example.com")
    incident = _open(django_capture_on_commit_callbacks)

    german = _text(smtp.to("de.reader@example.com")[0])
    english = _text(smtp.to("en.reader@example.com")[0])
    assert "Wir untersuchen Probleme mit API seit " in german
    assert "We are investigating" not in german
    assert "We are investigating reports of problems with API since " in english
    assert "Wir untersuchen" not in english
    # The same time in both: the translation is filled with the original's values.
    promised = incident.updates.get().body.rsplit("Next update by ", 1)[1].rstrip(".")
    assert f"Nächstes Update: {promised}." in german
    # Each reader's own links; the other German reader's message is the same words.
    other = _text(smtp.to("de.other@example.com")[0])
    assert other.replace("de.other", "") != german  # their own manage link
    assert "Wir untersuchen Probleme mit API" in other
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}


def test_a_half_approved_translation_is_never_sent(
    smtp: SmtpSink, legal: User, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    _translation(approvers=[legal])  # legal only: support has not approved it
    subscriber(SubscriberChannel.EMAIL, "de.reader@example.com")
    _open(django_capture_on_commit_callbacks)

    words = _text(smtp.to("de.reader@example.com")[0])
    assert "We are investigating reports of problems with API" in words  # the original
    assert "Wir untersuchen" not in words


def test_the_v2_json_gives_translated_bodies_only_when_asked(
    client: Client, legal: User, support: User, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    _translation(approvers=[legal, support])
    _open(django_capture_on_commit_callbacks)

    def body(query: str) -> str:
        answer = client.get("/api/v2/incidents.json" + query)
        assert answer.status_code == 200
        return str(answer.json()["incidents"][0]["incident_updates"][0]["body"])

    assert body("").startswith("We are investigating")  # clients expect the original
    assert body("?lang=de").startswith("Wir untersuchen Probleme mit API")
    assert body("?lang=de-CH").startswith("Wir untersuchen")
    assert body("?lang=fr").startswith("We are investigating")  # no French translation
    hostile = client.get("/api/v2/incidents.json?lang=%E2%80%AE" + "x" * 5000)
    assert hostile.status_code == 400  # a language we do not ship: a clear refusal
    summary = client.get("/api/v2/summary.json?lang=de").json()
    assert summary["incidents"][0]["incident_updates"][0]["body"].startswith("Wir untersuchen")


def test_the_language_is_read_in_one_place() -> None:
    assert subscriber_language(Subscriber(destination="x@example.com", language="de")) == "de"
    assert subscriber_language(Subscriber(destination="x@example.com", language="")) == ""


def test_an_sms_carries_a_latin_translation_and_not_one_gsm7_would_blank(
    legal: User, support: User, django_capture_on_commit_callbacks, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from incidents.notify.channels import message_render

    _translation(approvers=[legal, support])
    version: TemplateVersion = approvals.usable_versions("investigating")[0]
    writer = User.objects.get(username="cole")
    japanese = translation_submit(
        actor=_as(writer), version=version, language="ja",
        body="{components}の問題を調査中です ({started_at}から)。次回の更新: {next_update_at}。",
    )  # fmt: skip
    for approver in (legal, support):
        translation_approve(actor=_as(approver), translation=japanese)
    update = _open(django_capture_on_commit_callbacks).updates.get()

    def sms_to(destination: str, language: str) -> str:
        reader = Subscriber(
            channel="sms", destination=destination, public_id="p" * 12, language=language
        )
        return message_render(channel="sms", update=update, subscriber=reader).text

    assert "Wir untersuchen Probleme mit API" in sms_to("+14155550100", "de")
    assert "Nachstes Update" in sms_to("+14155550100", "de")  # GSM-7: the accent goes
    assert "We are investigating" in sms_to("+14155550101", "ja")  # not a blank message


def test_the_v2_lookup_reads_the_same_few_rows_however_many_updates(
    client: Client, legal: User, support: User, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from incidents.public import cache as public_cache

    _translation(approvers=[legal, support])
    incident = _open(django_capture_on_commit_callbacks)

    def queries() -> int:
        public_cache.reset()
        with CaptureQueriesContext(connection) as seen:
            assert client.get("/api/v2/incidents.json?lang=de").status_code == 200
        return len(seen)

    one = queries()
    template = approvals.usable_versions("investigating")[0].body
    for minutes in (5, 6, 7):
        body = wording.render(
            template,
            wording.values_for(
                title=incident.name, component_names=["API"], started_at=incident.started_at,
                next_update_at=timezone.now() + timedelta(minutes=minutes),
            ),
        )  # fmt: skip
        lifecycle.update_post(
            actor=Actor.system("test"), incident=incident, status="investigating", body=body
        )
    public_cache.reset()
    answer = client.get("/api/v2/incidents.json?lang=de").json()
    bodies = [u["body"] for u in answer["incidents"][0]["incident_updates"]]
    assert len(bodies) == 4 and all(b.startswith("Wir untersuchen") for b in bodies)
    assert queries() == one  # four updates cost what one did


def test_a_german_rule_added_since_approval_stops_the_german_message_only(
    smtp: SmtpSink, legal: User, support: User, admin: User, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    _translation(approvers=[legal, support])
    approvals.rule_save(
        actor=_as(admin), key="de-untersuchen", kind="banned_phrase", pattern="untersuchen",
        reason="Sagen Sie: wir prüfen.", language="de",
    )  # fmt: skip
    german = subscriber(SubscriberChannel.EMAIL, "de.reader@example.com")
    subscriber(SubscriberChannel.EMAIL, "en.reader@example.com")
    _open(django_capture_on_commit_callbacks)

    assert not smtp.to("de.reader@example.com")  # never sent in words the policy refuses
    assert "We are investigating" in _text(smtp.to("en.reader@example.com")[0])
    refused = Delivery.objects.get(subscriber=german)
    assert refused.state == "dead" and "Sagen Sie" in refused.last_error
