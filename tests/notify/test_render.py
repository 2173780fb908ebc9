"""An SMS cut to fit two segments still states the promise the page keeps."""

from __future__ import annotations

import pytest

from incidents.models import Incident, IncidentUpdate, SubscriberChannel
from incidents.notify.channels import message_render
from incidents.notify.render import SMS_LIMIT
from tests.notify.conftest import subscriber

pytestmark = pytest.mark.django_db

PROMISE = "Next update by 16:30 UTC."


def _rendered(name: str, body: str) -> str:
    incident = Incident(name=name, public_id="abcdefghijkl")
    update = IncidentUpdate(incident=incident, status="identified", body=body)
    reader = subscriber(SubscriberChannel.SMS, "+14155550100")
    return message_render(channel=SubscriberChannel.SMS, update=update, subscriber=reader).text


def test_a_long_update_is_cut_before_its_promise_not_through_it() -> None:
    body = "We have found the cause in one of our payment routes. " * 6 + PROMISE

    text = _rendered("Checkout payments failing for some customers in Europe", body)

    assert len(text) <= SMS_LIMIT
    assert "... " + PROMISE in text
    assert text.endswith("Reply STOP to opt out.")


def test_a_short_update_is_sent_whole() -> None:
    body = "We have found the cause. " + PROMISE

    assert body in _rendered("Checkout", body)


def test_words_without_a_promise_are_cut_at_the_end_as_before() -> None:
    body = "We have found the cause in one of our payment routes. " * 8

    text = _rendered("Checkout", body.strip())

    assert len(text) <= SMS_LIMIT and "... http" in text and "Next update" not in text
