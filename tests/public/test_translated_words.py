"""The public pages show an update's approved translation in the page's language (live and
in the static snapshot), the original words otherwise: never a translation still waiting
for its approvals, and a stored translation is sanitised like the original."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import lifecycle, roles, signing, wording
from incidents.audit import Actor
from incidents.models import (
    Component,
    Incident,
    Maintenance,
    SiteChange,
    TemplateTranslation,
    TemplateVersion,
    TranslationApproval,
)
from incidents.public import cache
from incidents.publish.manifest import Snapshot, path_for_url
from incidents.publish.notices import notices_forget
from incidents.publish.snapshot import render_snapshot
from incidents.publish.versions import site_version
from incidents.uptime import past_days_forget
from incidents.wording import approvals
from incidents.wording.translation_approvals import (
    translation_approve,
    translation_submit,
    words_scope,
)
from incidents.wording.translations import translations_forget
from tests.conftest import staff_user
from tests.factories import ComponentFactory, promised

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

ACTOR = Actor.system("test")
GERMAN = (
    "Wir untersuchen Probleme mit {components} seit {started_at}. "
    "Nächstes Update: {next_update_at}."
)
ENGLISH_START = "We are investigating reports of problems with API since "


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    translations_forget()
    cache.reset()
    yield
    translations_forget()


@pytest.fixture
def writer(db: None) -> User:
    return staff_user("cole", roles.COMMUNICATOR)


@pytest.fixture
def version(db: None) -> TemplateVersion:
    """The approved investigating web template the incident below is opened with."""
    return approvals.usable_versions("investigating")[0]


def _open(version: TemplateVersion, name: str = "Checkout errors") -> Incident:
    api = ComponentFactory(name="API") if not _api_exists() else None
    now = timezone.now()
    values = wording.values_for(
        title=name, component_names=["API"], started_at=now,
        next_update_at=now + timedelta(minutes=10),
    )  # fmt: skip
    components = {api: "major_outage"} if api is not None else {}
    return lifecycle.incident_open(
        actor=ACTOR, name=name, components=components, body=wording.render(version.body, values),
    )  # fmt: skip


def _api_exists() -> bool:
    return Component.objects.filter(name="API").exists()


@pytest.fixture
def incident(db: None, version: TemplateVersion) -> Incident:
    return _open(version)


def _as(user: User) -> Actor:
    return Actor.staff(user, channel="console")


def _approve(translation: TemplateTranslation, legal: User, support: User) -> None:
    translation_approve(actor=_as(legal), translation=translation)
    translation_approve(actor=_as(support), translation=translation)
    cache.public_changed()  # what the commit does (this test's transaction never commits)


def _page(client: Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_a_german_page_shows_the_approved_german_words(
    client: Client,
    writer: User,
    legal: User,
    support: User,
    version: TemplateVersion,
    incident: Incident,
) -> None:
    path = f"/incidents/{incident.public_id}"
    translation = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    # Waiting for its approvals: the original words, in every language.
    assert ENGLISH_START in _page(client, f"/de{path}")
    translation_approve(actor=_as(legal), translation=translation)
    cache.public_changed()
    assert ENGLISH_START in _page(client, f"/de{path}")  # half approved is not approved
    assert "Wir untersuchen" not in _page(client, f"/de{path}")
    translation_approve(actor=_as(support), translation=translation)
    cache.public_changed()

    german = _page(client, f"/de{path}")
    assert "<p>Wir untersuchen Probleme mit API seit " in german
    assert ENGLISH_START not in german
    # The front page's active incident too.
    assert "Wir untersuchen Probleme mit API seit " in _page(client, "/de/")
    # No French translation: the original; English: the original.
    for other in (path, f"/fr{path}", f"/ja{path}", "/", "/fr/"):
        page = _page(client, other)
        assert ENGLISH_START in page and "Wir untersuchen" not in page, other


def test_the_snapshot_copy_shows_the_german_words_and_the_original_elsewhere(
    writer: User,
    legal: User,
    support: User,
    version: TemplateVersion,
    incident: Incident,
    tmp_path: Path,
) -> None:
    translation = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    _approve(translation, legal, support)
    snapshot = render_snapshot(tmp_path / "site")

    def read(path: str) -> str:
        return Snapshot(snapshot.root, snapshot.manifest, snapshot.objects).read(path).decode()

    page = f"incidents/{incident.public_id}"
    assert "Wir untersuchen Probleme mit API seit " in read(f"de/{page}")
    assert "Wir untersuchen Probleme mit API seit " in read(path_for_url("/de/"))
    for other in (page, f"fr/{page}", f"ar/{page}", "index.html"):
        assert ENGLISH_START in read(other) and "Wir untersuchen" not in read(other), other
    # Feeds are not per language: the original words.
    assert "Wir untersuchen" not in read("history.atom")


def test_a_translation_waiting_for_approvals_is_never_shown(
    client: Client, writer: User, legal: User, version: TemplateVersion, incident: Incident,
    tmp_path: Path,
) -> None:  # fmt: skip
    translation = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    translation_approve(actor=_as(legal), translation=translation)
    cache.public_changed()
    assert "Wir untersuchen" not in _page(client, f"/de/incidents/{incident.public_id}")
    snapshot = render_snapshot(tmp_path / "site")
    german = Snapshot(snapshot.root, snapshot.manifest, snapshot.objects).read(
        f"de/incidents/{incident.public_id}"
    )
    assert b"Wir untersuchen" not in german and ENGLISH_START.encode() in german


def test_hostile_stored_translation_text_is_sanitised_like_the_original(
    client: Client, writer: User, legal: User, support: User, version: TemplateVersion,
    incident: Incident,
) -> None:  # fmt: skip
    # Written straight to the table (the form refuses less than this, the page must not
    # trust that it did).
    translation = TemplateTranslation.objects.create(
        version=version,
        language="de",
        number=1,
        author=writer,
        created_at=timezone.now(),
        body=(
            "**Wir untersuchen** {components} <script>alert(1)</script> "
            "<img src=x onerror=alert(2)> [Link](javascript:alert(3)) "
            "seit {started_at}. Nächstes Update: {next_update_at}."
        ),
    )
    for approver, qualifier in ((legal, "legal"), (support, "support")):
        TranslationApproval.objects.create(
            translation=translation, approver=approver, qualifier=qualifier, at=timezone.now()
        )
    page = _page(client, f"/de/incidents/{incident.public_id}")
    assert "<strong>Wir untersuchen</strong> API" in page
    assert "<script>alert(1)" not in page and "onerror" not in page
    assert "javascript:" not in page and "<img" not in page


def test_a_maintenance_page_shows_its_approved_translation(
    client: Client, writer: User, legal: User, support: User
) -> None:
    now = timezone.now()
    window: Maintenance = lifecycle.maintenance_schedule(
        actor=ACTOR, name="Database upgrade", body="Upgrading PostgreSQL.",
        scheduled_for=now - timedelta(minutes=5), scheduled_until=now + timedelta(hours=1),
        components=[ComponentFactory(name="Database")], now=now - timedelta(days=1),
    )  # fmt: skip
    started = approvals.usable_versions("maintenance_started")[0]
    lifecycle.maintenance_update_post(
        actor=ACTOR, maintenance=window, status="in_progress", body=started.body
    )
    translation = translation_submit(
        actor=_as(writer),
        version=started,
        language="de",
        body="Die geplante Wartung läuft jetzt. Wir melden uns bei Bedarf.",
    )
    _approve(translation, legal, support)
    german = _page(client, f"/de/maintenance/{window.public_id}")
    assert "Die geplante Wartung läuft jetzt." in german
    assert "Upgrading PostgreSQL." in german  # custom words: never translated
    assert "Die geplante Wartung" in _page(client, "/de/")
    assert "Die geplante Wartung" not in _page(client, f"/maintenance/{window.public_id}")
    assert words_scope(started).maintenance == frozenset([window.public_id])


def test_approving_a_translation_records_the_incidents_it_changes(
    writer: User, legal: User, support: User, version: TemplateVersion, incident: Incident
) -> None:
    lifecycle.incident_open(actor=ACTOR, name="Other words", body=promised("Looking."))
    translation = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    before = site_version()
    translation_approve(actor=_as(legal), translation=translation)
    assert site_version() == before  # not yet approved: no page changes
    translation_approve(actor=_as(support), translation=translation)
    assert site_version() == before + 1
    change = SiteChange.objects.get(version=before + 1)
    assert change.incidents == [incident.public_id] and not change.everything


def test_a_page_in_german_reads_translations_in_queries_that_do_not_grow_with_updates(
    client: Client,
    writer: User,
    legal: User,
    support: User,
    version: TemplateVersion,
    incident: Incident,
    tmp_path: Path,
) -> None:
    translation = translation_submit(actor=_as(writer), version=version, language="de", body=GERMAN)
    _approve(translation, legal, support)
    signing.current_signer()  # the test key is listed once: not a cost per page
    past_days_forget()
    notices_forget()  # both renders read every notice (publish/notices.py)
    with CaptureQueriesContext(connection) as few:
        render_snapshot(tmp_path / "few")
    for n in range(4):
        _open(version, name=f"Incident {n}")
    past_days_forget()
    notices_forget()  # both renders read every notice (publish/notices.py)
    with CaptureQueriesContext(connection) as many:
        snapshot = render_snapshot(tmp_path / "many")
    front = Snapshot(snapshot.root, snapshot.manifest, snapshot.objects).read(path_for_url("/de/"))
    assert front.decode().count("Wir untersuchen Probleme mit API") == 5
    assert len(many.captured_queries) == len(few.captured_queries)
