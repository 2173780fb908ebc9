"""What tells a visitor the page is real and current: a header that says the status, a way
to subscribe in sight, and a proper page for an address that does not exist."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from incidents.models import ComponentStatus
from tests.public.conftest import Layout

pytestmark = pytest.mark.django_db


def _header(page: str) -> str:
    found = re.search(r'<header class="site-header">(.*?)</header>', page, re.S)
    assert found, "no header"
    return found.group(1)


@pytest.mark.parametrize("path", ["/", "/history"])
def test_the_header_offers_subscribing(layout: Layout, path: str) -> None:
    header = _header(Client().get(path).content.decode())

    assert re.search(r'<a class="button[^"]*" href="[^"]*/subscribe">Subscribe</a>', header)


def test_the_header_mark_follows_the_overall_status(layout: Layout) -> None:
    assert "brand__mark--none" in _header(Client().get("/history").content.decode())

    layout.api.status = ComponentStatus.MAJOR_OUTAGE
    layout.api.save()
    from incidents.public import cache

    cache.public_changed()
    header = _header(Client().get("/history").content.decode())

    assert "brand__mark--critical" in header
    assert "Major Service Outage" in header  # said in words too, for screen readers


def test_an_unknown_path_gets_a_styled_404_page(layout: Layout) -> None:
    answer = Client().get("/no/such/page")

    assert answer.status_code == 404
    assert answer["Content-Type"].startswith("text/html")
    page = answer.content.decode()
    assert '<h1 class="page-title">Not found</h1>' in page
    assert "public" in page and ".css" in page  # the page's own stylesheet
    assert "brand__mark" in page


@pytest.mark.parametrize("sms", [False, True])
def test_the_subscribe_form_asks_for_a_phone_only_where_sms_is_offered(
    layout: Layout, settings: Any, sms: bool
) -> None:
    settings.CANDOR_SMS_ENABLED = sms

    page = Client().get("/subscribe").content.decode().lower()

    assert ("phone number" in page) is sms
    assert ('value="sms"' in page) is sms


def test_an_unknown_api_path_gets_json(layout: Layout) -> None:
    answer = Client().get("/api/v2/nothing-here.json")

    assert answer.status_code == 404
    assert answer.json() == {"detail": "No such API path: /api/v2/nothing-here.json"}
