"""Each audience's site published as its own snapshot, outside the public mirror, served
at /a/<slug>/ to its readers only, and the fallback of their live pages when the
database is down."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import OperationalError
from django.test import Client, RequestFactory

from incidents.audiences.viewer import KNOWN_CACHE_KEY, known_audiences
from incidents.public import cache
from incidents.public.cache import Rendered, public_response
from incidents.publish.service import publish
from tests.audiences.conftest import ACME_ONLY, EMPLOYEES_ONLY, World, reader_session

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def mirrors(settings: Any, tmp_path: Path) -> tuple[Path, Path]:
    settings.CANDOR_PUBLISH_TARGETS = ["local"]
    settings.CANDOR_MIRROR_DIR = tmp_path / "mirror"
    settings.CANDOR_AUDIENCE_MIRROR_DIR = tmp_path / "audiences"
    settings.VAR_DIR = tmp_path / "var"
    return tmp_path / "mirror", tmp_path / "audiences"


def _files(root: Path) -> str:
    return "\n".join(
        p.read_bytes().decode(errors="replace") for p in root.rglob("*") if p.is_file()
    )


def test_each_audience_gets_its_own_copy_and_the_public_mirror_none(
    world: World, mirrors: tuple[Path, Path]
) -> None:
    public_dir, audience_dir = mirrors
    publish(full=True)
    public = _files(public_dir)
    assert "Checkout errors" in public
    for words in EMPLOYEES_ONLY + ACME_ONLY:
        assert words not in public, words
    employees = _files(audience_dir / "employees")
    assert all(words in employees for words in EMPLOYEES_ONLY)
    assert not any(words in employees for words in ACME_ONLY)
    acme = _files(audience_dir / "acme")
    assert "ACME dedicated tunnel" in acme
    assert not any(words in acme for words in EMPLOYEES_ONLY)
    # Nothing private is left in the working directories or the public render store.
    assert not any(words in _files(Path(mirrors[0]).parent / "var") for words in ACME_ONLY)

    reader = reader_session(Client(), "employees")
    page = reader.get("/a/employees/")
    assert page.status_code == 200 and b"Payroll runs are delayed" in page.content
    assert page["Cache-Control"] == "private, no-store"
    assert reader.get("/a/acme/").status_code == 404
    assert Client().get("/a/employees/").status_code == 404
    assert Client().get("/a/employees/incidents/x/../../../etc/passwd").status_code == 404


def _down() -> Rendered:
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_with_the_database_down_a_reader_gets_their_audience_copy(
    world: World, mirrors: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    publish(full=True)
    reader = reader_session(Client(), "employees")
    known_audiences()  # as every reader's request leaves them remembered
    assert django_cache.get(KNOWN_CACHE_KEY)
    request = RequestFactory().get("/")
    request.COOKIES = {name: morsel.value for name, morsel in reader.cookies.items()}
    engine = import_module(settings.SESSION_ENGINE)  # cached_db: read from the cache
    request.session = engine.SessionStore(request.COOKIES[settings.SESSION_COOKIE_NAME])

    # The database is gone: the audiences come from the cache, the page from their copy.
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr("incidents.models.Audience.objects.values_list", refused)
    cache.reset()
    answer = public_response(request, "/", _down)
    assert answer.status_code == 200
    assert b"Payroll runs are delayed" in answer.content
    assert answer["X-Candor-Stale"] == "true"
    assert answer["Cache-Control"] == "private, no-store"
    # An anonymous reader gets the public copy, which has none of it.
    anonymous = public_response(RequestFactory().get("/"), "/", _down)
    assert anonymous.status_code == 200 and b"Payroll runs" not in anonymous.content
