"""Subscribers per audience: audience-only words reach that audience's subscribers alone,
through the real fan-out (a real SMTP server, webhook receivers on loopback)."""

from __future__ import annotations

from typing import Any

import pytest

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Delivery, SubscriberChannel
from tests.audiences.conftest import World
from tests.factories import promised
from tests.notify.conftest import subscriber
from tests.notify.peers import SmtpSink

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def smtp(settings: Any) -> Any:
    sink = SmtpSink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_TIMEOUT = 3
    settings.CANDOR_NOTIFY_PARALLEL = 1
    yield sink
    sink.stop()


def test_audience_words_reach_only_their_audience_subscribers(
    world: World, actor: Actor, smtp: SmtpSink, django_capture_on_commit_callbacks: Any
) -> None:
    public = subscriber(SubscriberChannel.EMAIL, "public@example.com")
    staff = subscriber(SubscriberChannel.EMAIL, "staff@example.com", audience=world.employees)
    customer = subscriber(SubscriberChannel.EMAIL, "it@acme.example", audience=world.acme)
    with django_capture_on_commit_callbacks(execute=True):
        words = lifecycle.audience_words_post(
            actor=actor,
            target=world.checkout,
            audience=world.employees,
            body=promised("Payroll exports are paused while we roll back."),
        )
        public_words = lifecycle.update_post(
            actor=actor,
            incident=world.checkout,
            body=promised("Most payments succeed again."),
            status="monitoring",
        )
        payroll_words = lifecycle.update_post(
            actor=actor,
            incident=world.payroll_incident,
            body=promised("Payroll runs resume team by team."),
            status="identified",
        )
    told = {
        update: set(
            Delivery.objects.filter(incident_update=update).values_list("subscriber", flat=True)
        )
        for update in (words, public_words, payroll_words)
    }
    assert told[words] == {staff.pk}
    assert told[public_words] == {public.pk, staff.pk, customer.pk}
    assert told[payroll_words] == {staff.pk}
    assert not [m for m in smtp.to("public@example.com") if "Payroll" in m.as_string()]
    assert not [m for m in smtp.to("it@acme.example") if "Payroll" in m.as_string()]
    assert [m for m in smtp.to("staff@example.com") if "Payroll exports" in m.as_string()]


def test_audience_words_for_an_audience_the_incident_is_not_for_are_refused(
    world: World, actor: Actor
) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        lifecycle.audience_words_post(
            actor=actor,
            target=world.payroll_incident,
            audience=world.acme,
            body=promised("Words for the wrong readers."),
        )


def test_a_reader_subscribes_for_their_audience_and_a_stranger_cannot(
    world: World, settings: Any
) -> None:
    from django.test import Client

    from incidents.models import Subscriber
    from tests.audiences.conftest import reader_session

    settings.CANDOR_SUBSCRIBE_MIN_SECONDS = 0
    reader = reader_session(Client(), "employees")
    form = reader.get("/subscribe").content.decode()
    assert "Public updates and those for Employees" in form and "Payroll" in form
    answer = reader.post(
        "/subscribe",
        {"channel": "email", "destination": "staff@example.com", "scope": "all",
         "audience": "employees"},
    )  # fmt: skip
    assert answer.status_code == 200, answer.content
    assert Subscriber.objects.get(destination="staff@example.com").audience == world.employees
    # Anonymous readers are offered nothing of it, and cannot ask for it.
    assert "Public updates and those for" not in Client().get("/subscribe").content.decode()
    refused = Client().post(
        "/subscribe",
        {"channel": "email", "destination": "x@example.com", "scope": "all",
         "audience": "employees"},
    )  # fmt: skip
    assert refused.status_code == 400
    assert not Subscriber.objects.filter(destination="x@example.com").exists()
