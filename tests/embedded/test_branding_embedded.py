"""Page branding on the `make run` configuration (SQLite, the file cache): the row, its
images as blobs and the generated stylesheet work there as on PostgreSQL.

Marked `embedded`: `make test` runs it again with tests/settings_sqlite.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from incidents.audit import Actor
from incidents.branding.service import branding_set
from tests.branding.pngs import png

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_a_branded_page_serves_its_stylesheet_and_logo(
    django_capture_on_commit_callbacks: Any,
) -> None:
    stock = Client().get("/").content.decode()
    assert "/brand/" not in stock
    with django_capture_on_commit_callbacks(execute=True):
        branding_set(
            actor=Actor.system("test"), site_name="Acme Cloud", accent_light="#0b6e4f",
            accent_dark="", support_url="", logo=png(60, 20),
        )  # fmt: skip
    page = Client().get("/").content.decode()  # the save invalidated the cached page
    assert "<title>Acme Cloud Status</title>" in page and 'width="60" height="20"' in page
    assert b"--link: #0b6e4f" in Client().get("/brand/style.css").content
    assert Client().get("/brand/logo.png").content.startswith(b"\x89PNG")
