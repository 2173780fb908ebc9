"""A channel added by one module and one registration goes the whole way: subscribe,
confirm, fan-out, delivery, and a refusal that stops only its subscriber."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any as SettingsWrapper

import pytest
from django.test import Client

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Delivery, DeliveryState, Subscriber, SubscriberState
from incidents.notify import links
from tests.factories import promised
from tests.notify import dummy_channel
from tests.notify.dummy_channel import LOFT

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


@pytest.fixture(autouse=True)
def pigeons(settings: SettingsWrapper) -> Iterator[None]:
    settings.CANDOR_CHANNELS = [*settings.CANDOR_CHANNELS, dummy_channel.PATH]
    LOFT.received.clear(), LOFT.codes.clear(), LOFT.gone.clear()
    yield


def _subscribe(client: Client, loft: str) -> Subscriber:
    answer = client.post(
        "/subscribe",
        {"channel": "pigeon", "destination": loft, "scope": "all"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert answer.status_code == 200, answer.content
    return Subscriber.objects.get(channel="pigeon", destination=loft.lower())


def test_a_registered_channel_is_subscribed_confirmed_and_notified(
    client: Client, actor: Actor, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        pending = _subscribe(client, "LOFT-7")
    assert pending.state == SubscriberState.PENDING
    ((loft, secret),) = LOFT.codes
    assert loft == "loft-7"
    assert client.post(f"/subscriptions/confirm/{secret}").status_code == 302
    assert Subscriber.objects.get(pk=pending.pk).state == SubscriberState.CONFIRMED

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=actor,
            name="Checkout errors",
            body=promised("We are investigating failed payments."),
        )

    ((loft, words),) = LOFT.received
    assert loft == "loft-7"
    assert words.startswith("Checkout errors (Investigating): We are investigating failed")
    # The link is signed with a timestamp, so compare what it carries, not its bytes.
    _, stop = words.rsplit("Stop: ", 1)
    prefix, token = stop.removesuffix("/unsubscribe").rsplit("/", 1)
    assert stop.endswith("/unsubscribe")
    assert prefix + "/" == links.manage_url(pending.public_id).rsplit("/", 1)[0] + "/"
    assert links.subscriber_from_token(token) == pending.public_id
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_a_registered_channel_validates_its_own_addresses(client: Client) -> None:
    answer = client.post(
        "/subscribe",
        {"channel": "pigeon", "destination": "the roof", "scope": "all"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert answer.status_code == 400
    assert b"Enter a loft, such as loft-42." in answer.content
    assert not Subscriber.objects.exists()


def test_the_channels_own_refusal_stops_that_subscriber_alone(
    actor: Actor, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from tests.notify.conftest import subscriber

    kept, gone = subscriber("pigeon", "loft-1"), subscriber("pigeon", "loft-2")
    LOFT.gone.add("loft-2")
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=actor, name="Slow pages", body=promised("We are investigating failed payments.")
        )
    assert [loft for loft, _ in LOFT.received] == ["loft-1"]
    assert Subscriber.objects.get(pk=kept.pk).state == SubscriberState.CONFIRMED
    assert Subscriber.objects.get(pk=gone.pk).state == SubscriberState.STOPPED


def test_an_unregistered_channel_is_refused(client: Client, settings: SettingsWrapper) -> None:
    settings.CANDOR_CHANNELS = settings.CANDOR_CHANNELS[:-1]
    answer = client.post(
        "/subscribe",
        {"channel": "pigeon", "destination": "loft-3", "scope": "all"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert answer.status_code == 400 and not Subscriber.objects.exists()


def test_messages_of_a_channel_taken_out_of_the_settings_wait_for_it(
    actor: Actor, settings: SettingsWrapper, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from incidents.notify import fanout
    from tests.notify.conftest import subscriber

    subscriber("pigeon", "loft-1")
    settings.CANDOR_NOTIFY_PARALLEL = 0  # no fan-out on commit: the deliveries stay due
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.incident_open(
            actor=actor, name="Slow pages", body=promised("We are investigating failed payments.")
        )
    settings.CANDOR_CHANNELS = settings.CANDOR_CHANNELS[:-1]

    assert fanout.fanout_run(channel="pigeon").stopped_by == "unregistered"
    assert Delivery.objects.get().state == DeliveryState.PENDING and not LOFT.received
    settings.CANDOR_CHANNELS = [*settings.CANDOR_CHANNELS, dummy_channel.PATH]
    assert fanout.fanout_run(channel="pigeon").sent == 1
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_no_file_of_the_app_names_the_channel() -> None:
    """What adding it took: this module, its own, and the registration in the fixture
    above. No module, template or setting of the app knows it (issue 15)."""
    root = Path(__file__).resolve().parents[2]
    naming = [
        str(path.relative_to(root))
        for top in ("incidents", "statuspage", "templates", "locale")
        for path in (root / top).rglob("*")
        if path.suffix in {".py", ".html", ".txt", ".js", ".css", ".json", ".po"}
        and "pigeon" in path.read_text(errors="replace").lower()
    ]
    assert naming == []
    assert any(path.suffix == ".py" for path in (root / "incidents" / "notify").rglob("*"))
