"""The branding in the static copies: a change republishes, and the mirror and the bucket
hold the stylesheet, logo and favicon the pages link to, so they look like the live page."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client

from incidents.audit import Actor
from incidents.branding.service import branding_set
from incidents.public import branding as public_branding
from incidents.public import cache
from incidents.publish.manifest import path_for_url
from incidents.publish.targets.local import LocalTarget
from incidents.publish.versions import site_version
from tests.branding.pngs import png
from tests.publish.conftest import SECRET, S3Server

ADMIN_WORK = Actor.system("test")
BRAND = {
    "site_name": "Acme Cloud",
    "accent_light": "#0b6e4f",
    "accent_dark": "#7ee2b8",
    "support_url": "https://support.example.com/",
}


def _brand(capture: Any, **fields: Any) -> None:
    with capture(execute=True):
        branding_set(actor=ADMIN_WORK, **(BRAND | fields))


def test_a_branding_change_is_published_to_the_mirror_with_its_assets(
    mirror: Path, db: None, django_capture_on_commit_callbacks: Any
) -> None:
    _brand(django_capture_on_commit_callbacks, logo=png(90, 30), favicon=png(32, 32))
    current = LocalTarget(mirror).current()
    assert current is not None and current.version == site_version() == 1
    files = current.files
    assert files["brand/style.css"].content_type == "text/css; charset=utf-8"
    assert files["brand/logo.png"].content_type == "image/png"
    assert files["brand/favicon.png"].content_type == "image/png"
    root = mirror / "current"
    css = (root / "brand/style.css").read_text()
    assert "--link: #0b6e4f" in css and "--link: #7ee2b8" in css
    assert (root / "brand/logo.png").read_bytes().startswith(b"\x89PNG")
    page = (root / "index.html").read_text()
    for linked in ("/brand/style.css?v=", "/brand/logo.png?v=", "/brand/favicon.png?v="):
        assert linked in page
    assert "<title>Acme Cloud Status</title>" in page
    assert '<a href="https://support.example.com/" rel="noopener">Contact support</a>' in page
    for link in re.findall(r'(?:href|src)="(/[^"]*)"', page):
        assert path_for_url(urlsplit(link).path) in files, link

    out = StringIO()
    call_command("publish", "--verify", stdout=out)
    assert "local: current and intact (version 1" in out.getvalue()


def test_removing_the_logo_republishes_without_it(
    mirror: Path, db: None, django_capture_on_commit_callbacks: Any
) -> None:
    _brand(django_capture_on_commit_callbacks, logo=png(90, 30))
    _brand(django_capture_on_commit_callbacks, logo=None, accent_light="", accent_dark="")
    current = LocalTarget(mirror).current()
    assert current is not None and current.version == 2
    assert "brand/logo.png" not in current.files and "brand/style.css" not in current.files
    page = (mirror / "current" / "index.html").read_text()
    assert "/brand/" not in page
    call_command("publish", "--verify", stdout=StringIO())


def test_the_bucket_serves_the_assets_with_their_types(
    mirror: Path,
    db: None,
    settings: Any,
    s3_server: S3Server,
    s3: Any,
    bucket: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.CANDOR_PUBLISH_TARGETS = ["local", "s3"]
    settings.CANDOR_S3_BUCKET = bucket
    settings.CANDOR_S3_ENDPOINT_URL = s3_server.url
    settings.CANDOR_S3_ACCESS_KEY_ID = "candor"
    settings.CANDOR_S3_SECRET_ACCESS_KEY = SECRET
    _brand(django_capture_on_commit_callbacks, logo=png(90, 30), favicon=png(32, 32))
    css = s3.get_object(Bucket=bucket, Key="brand/style.css")
    assert css["ContentType"] == "text/css; charset=utf-8"
    assert b"--link: #0b6e4f" in css["Body"].read()
    logo = s3.get_object(Bucket=bucket, Key="brand/logo.png")
    assert logo["ContentType"] == "image/png" and logo["Body"].read().startswith(b"\x89PNG")
    index = s3.get_object(Bucket=bucket, Key="index.html")["Body"].read().decode()
    assert "/brand/favicon.png?v=" in index
    out = StringIO()
    call_command("publish", "--verify", stdout=out)
    assert f"s3:{bucket}: current and intact" in out.getvalue()


def test_while_the_database_is_down_the_assets_come_from_the_mirror(
    mirror: Path,
    db: None,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _brand(django_capture_on_commit_callbacks, logo=png(90, 30))
    cache.reset()  # nothing rendered in memory: every answer must come from somewhere

    def unreachable(*args: Any) -> Any:
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(public_branding, "current_brand", unreachable)
    monkeypatch.setattr(public_branding, "_image", unreachable)
    css = Client().get("/brand/style.css")
    assert (css.status_code, css["X-Candor-Stale"]) == (200, "true")
    assert css["Content-Type"] == "text/css; charset=utf-8" and b"#0b6e4f" in css.content
    logo = Client().get("/brand/logo.png")
    assert (logo.status_code, logo["Content-Type"]) == (200, "image/png")
    assert logo.content == (mirror / "current" / "brand/logo.png").read_bytes()
