"""Staff see subscribers and how each update's messages fared, and retry failures."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from incidents import lifecycle
from incidents.audit import Actor
from incidents.models import Component, Delivery, DeliveryState, Subscriber
from tests.factories import promised
from tests.notify.conftest import subscriber

pytestmark = pytest.mark.django_db


def test_import_then_export_round_trips_and_bad_rows_are_reported(
    console: Client, api: Component
) -> None:
    rows = (
        "channel,destination,components\n"
        "email,Ada@EXAMPLE.com,\n"
        f"email,bob@example.com,{api.public_id}\n"
        "sms,12,\n"
        "email,Ada@example.COM,\n"  # the same address: domains are case-insensitive
        "fax,123,\n"
    )
    upload = SimpleUploadedFile("list.csv", rows.encode(), content_type="text/csv")
    page = console.post(reverse("console:subscriber_import"), {"file": upload}, follow=True)
    html = page.content.decode()
    assert "Imported 2 subscribers; 1 were already there." in html
    assert "line 4: " in html and "line 6: channel must be one of" in html
    assert Subscriber.objects.get(destination="Ada@example.com").state == "confirmed"

    export = console.get(reverse("console:subscribers") + "?format=csv")
    got = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert {(r["destination"], r["components"]) for r in got} == {
        ("Ada@example.com", ""),
        ("bob@example.com", api.public_id),
    }
    listing = console.get(reverse("console:subscribers")).content.decode()
    assert "bob@example.com" in listing and "email, confirmed: 2" in listing


def test_per_update_counts_and_retry_failed(console: Client, actor: Actor) -> None:
    for n in range(3):
        subscriber("email", f"r{n}@example.com")
    subscriber("sms", "+14155550100")
    incident = lifecycle.incident_open(actor=actor, name="Outage", body=promised("Down."))
    email = list(Delivery.objects.filter(channel="email").order_by("pk"))
    Delivery.objects.filter(pk=email[0].pk).update(state=DeliveryState.SENT)
    Delivery.objects.filter(pk=email[1].pk).update(state=DeliveryState.DEAD, last_error="550")

    html = console.get(reverse("console:notifications")).content.decode()
    assert "<td>email</td><td>1</td><td>1</td><td>1</td>" in html
    assert "<td>sms</td><td>0</td><td>1</td><td>0</td>" in html

    update = incident.updates.get()
    url = reverse("console:notifications_retry", args=["incident", update.public_id])
    answer = console.post(url, follow=True)
    assert "1 failed messages will be sent again." in answer.content.decode()
    assert Delivery.objects.get(pk=email[1].pk).state == "pending"
