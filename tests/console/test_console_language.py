"""The console in the staff member's language: their choice, else the browser's, else English;
and every console page, for every role, with no English interface words left in German."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents import lifecycle, roles
from incidents.approvers.links import token_for
from incidents.audiences import tokens
from incidents.audit import Actor
from incidents.console.urls import urlpatterns
from incidents.ingest import sources
from incidents.models import (
    AudienceMember,
    AuditAction,
    Contact,
    Incident,
    Reader,
    ReaderVia,
    StaffLanguage,
)
from incidents.readers import audiences
from incidents.wording import approvals
from tests.conftest import staff_user
from tests.factories import ComponentFactory, GroupFactory, promised, standing_words_approve

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


def _page(client: Client, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _lang(html: str) -> tuple[str, str]:
    found = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', html)
    assert found, html[:300]
    return found.group(1), found.group(2)


# -- choosing the language ---------------------------------------------------------------------


@pytest.mark.embedded  # `make run` (SQLite, no Redis) has the switch too
def test_the_console_follows_the_choice_then_the_browser_then_english(responder: User) -> None:
    client = Client()
    client.force_login(responder)
    dashboard = reverse("console:dashboard")

    assert _lang(_page(client, dashboard)) == ("en", "ltr")
    assert _lang(_page(client, dashboard, accept_language="fr-CH, en;q=0.5")) == ("fr", "ltr")
    assert _lang(_page(client, dashboard, accept_language="xx, *;q=0.1")) == ("en", "ltr")

    StaffLanguage.objects.create(user=responder, language="de", updated_at=timezone.now())
    german = _page(client, dashboard, accept_language="fr")
    assert _lang(german) == ("de", "ltr")
    assert "Störung eröffnen" in german  # "Open incident"
    # A stored code no longer shipped is ignored, as if none were chosen.
    StaffLanguage.objects.filter(user=responder).update(language="tlh")
    assert _lang(_page(client, dashboard, accept_language="es")) == ("es", "ltr")


def test_the_public_side_keeps_its_own_language_rules(responder: User) -> None:
    StaffLanguage.objects.create(user=responder, language="de", updated_at=timezone.now())
    client = Client()
    client.force_login(responder)
    # The public page is English at its unprefixed URL, whatever the console's language.
    page = client.get("/?lang=en")
    assert page.status_code == 200
    assert '<html lang="en"' in page.content.decode()


@pytest.mark.embedded  # `make run` (SQLite, no Redis) has the switch too
def test_the_switch_stores_the_choice_and_returns_to_the_page(responder: User) -> None:
    client = Client()
    client.force_login(responder)
    incidents = reverse("console:incident_list")
    switch = reverse("console:language")

    response = client.post(switch, {"language": "ja", "next": incidents})
    assert response.status_code == 302
    assert response["Location"] == incidents
    assert StaffLanguage.objects.get(user=responder).language == "ja"
    assert _lang(_page(client, incidents)) == ("ja", "ltr")

    response = client.post(switch, {"language": "ar", "next": "https://evil.example/console/"})
    assert response["Location"] == reverse("console:dashboard")  # never off the console
    response = client.post(switch, {"language": "de", "next": "/?lang=en"})
    assert response["Location"] == reverse("console:dashboard")
    assert StaffLanguage.objects.get(user=responder).language == "de"

    for hostile in ("xx", "", "de" * 40, "<script>"):
        assert client.post(switch, {"language": hostile, "next": incidents}).status_code == 400
    assert StaffLanguage.objects.get(user=responder).language == "de"
    assert StaffLanguage.objects.count() == 1


def test_the_switch_takes_a_staff_account() -> None:
    switch = reverse("console:language")
    response = Client().post(switch, {"language": "de"})
    assert response.status_code == 302
    assert reverse("console:login") in response["Location"]
    assert StaffLanguage.objects.count() == 0


@pytest.mark.embedded  # `make run` (SQLite, no Redis) has the switch too
def test_the_arabic_console_is_right_to_left(responder: User) -> None:
    StaffLanguage.objects.create(user=responder, language="ar", updated_at=timezone.now())
    client = Client()
    client.force_login(responder)
    html = _page(client, reverse("console:dashboard"))
    assert _lang(html) == ("ar", "rtl")
    assert "فتح حادثة" in html  # "Open incident"


@pytest.mark.embedded  # `make run` (SQLite, no Redis) has the switch too
def test_the_sign_in_page_follows_the_browser() -> None:
    html = _page(Client(), reverse("console:login"), accept_language="de-DE,de;q=0.9")
    assert _lang(html) == ("de", "ltr")
    assert "Anmelden" in html
    assert "Sign in" not in html


# -- every page, every role, no English left -----------------------------------------------------

# Words of English sentences that no German interface sentence contains (German homographs
# such as "was", "will", "in", "an" are left out). Found in a German page outside the
# stored data, they are interface text nobody marked for translation.
ENGLISH = frozenset(
    [
        "the",
        "and",
        "of",
        "is",
        "are",
        "with",
        "your",
        "you",
        "this",
        "that",
        "not",
        "yet",
        "has",
        "have",
        "were",
        "when",
        "which",
        "each",
        "every",
        "after",
        "before",
        "until",
        "or",
        "by",
        "from",
        "for",
        "to",
        "it",
        "its",
        "be",
        "there",
        "these",
        "those",
        "here",
        "none",
        "nothing",
        "never",
        "save",
        "add",
        "edit",
        "remove",
        "cancel",
        "open",
        "page",
        "incident",
        "incidents",
        "component",
        "components",
        "approve",
        "approved",
        "waiting",
        "sign",
        "log",
        "out",
        "no",
        "all",
        "show",
        "delete",
        "publish",
        "published",
        "update",
        "updates",
        "maintenance",
        "reminder",
        "reminders",
        "subscribers",
        "template",
        "templates",
        "policy",
        "staff",
        "saved",
        "signals",
        "sources",
        "source",
        "vendor",
        "vendors",
        "rule",
        "rules",
        "settings",
        "phone",
        "due",
        "sent",
        "since",
        "last",
        "next",
        "first",
        "then",
        "how",
        "what",
        "who",
        "why",
    ]
)
# Machine text a page shows as it is: code, identifiers, form values.
_VERBATIM = {"code", "pre", "kbd", "samp", "script", "style", "textarea"}
_READ_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


class _Visible(HTMLParser):
    """The text a reader sees or hears, one piece per text node or attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self._verbatim = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VERBATIM:
            self._verbatim += 1
        for name, value in attrs:
            if name in _READ_ATTRIBUTES and value:
                self.pieces.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VERBATIM and self._verbatim:
            self._verbatim -= 1

    def handle_data(self, data: str) -> None:
        if not self._verbatim and data.strip():
            self.pieces.append(data)


def _stored_text() -> str:
    """Every text the database holds (names, words, policy rules, roles, audit fields):
    user data, shown as it was written, in whatever language it was written."""
    texts = [settings.CANDOR_PAGE_NAME]
    # The audit log's action names are its record, kept in English like its other fields.
    texts.extend(str(label) for label in AuditAction.labels)
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField)
        ]
        if fields:
            for row in model._default_manager.values_list(*fields):
                texts.extend(" ".join(str(v).split()) for v in row if v)
    return "\n".join(texts)


def _english_left(html: str, stored: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    left = []
    for piece in parser.pieces:
        text = " ".join(piece.split())
        if text in stored:
            continue  # user data (or a fragment of it, such as a line of rendered Markdown)
        # Placeholders keep their English names; words split at letters of any script.
        bare = re.sub(r"\{[^{}]*\}", " ", text)
        words = {w.lower() for w in re.findall(r"[^\W\d_]+", bare)}
        if words & ENGLISH:
            left.append(text)
    return left


@pytest.fixture
def everything(admin: User, legal: User) -> dict[str, str]:
    """One of each thing a console page shows, and the URL arguments that reach them."""
    group = GroupFactory(name="Kern")
    api = ComponentFactory(name="Schnittstelle", group=group)
    incident = lifecycle.incident_open(
        actor=SYSTEM,
        name="Kasse langsam",
        body=promised("Wir prüfen."),
        components={api: "partial_outage"},
    )
    start = timezone.now() + timedelta(days=1)
    standing_words_approve("Aktualisierung.")
    maintenance = lifecycle.maintenance_schedule(
        actor=SYSTEM, name="Datenbank", body="Aktualisierung.", components=[api],
        scheduled_for=start, scheduled_until=start + timedelta(hours=1),
    )  # fmt: skip
    contact = Contact.objects.create(
        name="Oskar", email="oskar@example.com", on_call=True, created_at=timezone.now()
    )
    source, _token = sources.source_create(actor=SYSTEM, name="prom", format="generic")
    words = approvals.custom_text_request(
        actor=Actor.staff(admin, channel="console"), body="Wieder normal.", phase="resolved"
    )
    version = approvals.usable_versions("investigating")[0]
    # An audience with one reader and one open invitation, so its page shows both lists.
    audience = audiences.audience_create(
        actor=Actor.staff(admin, channel="console"), slug="partner", name="Partner",
        oidc_groups=["partner"], ip_allowlist=["10.0.0.0/8"], now=timezone.now(),
    )  # fmt: skip
    reader = Reader.objects.create(email="rita@example.com", created_at=timezone.now())
    AudienceMember.objects.create(
        audience=audience, reader=reader, via=ReaderVia.LINK, created_at=timezone.now()
    )
    audiences.reader_invite(
        actor=Actor.staff(admin, channel="console"), audience=audience,
        email="ida@example.com", now=timezone.now(),
    )  # fmt: skip
    # The window for that audience only (its panel names it; the incident's says public),
    # and a token of a machine reader (the tokens page lists it).
    lifecycle.audiences_set(actor=SYSTEM, target=maintenance, audiences=[audience])
    tokens.token_create(
        audience=audience, label="Partnerportal", actor=Actor.staff(admin, channel="console"),
        now=timezone.now(),
    )  # fmt: skip
    assert isinstance(incident, Incident)
    return {
        "incident": incident.public_id,
        "component": api.public_id,
        "maintenance": maintenance.public_id,
        "contact": contact.public_id,
        "source": source.name,
        "token": token_for(approver_id=legal.pk, words=words),
        "template": version.template.public_id,
        "number": str(version.number),
        "username": legal.username,
        "slug": audience.slug,
    }


# URLs of things this test does not make (a vendor, an import, a reminder, a proposal), and
# write-only URLs with arguments (nothing to read there).
_NOT_MADE = {
    "vendor_detail", "vendor_poll", "vendor_remove", "import_detail", "reminder_ack",
    "proposal_decide", "dependency_edit", "dependency_remove", "rule_remove", "notifications_retry",
    "audience_member_revoke", "audience_invitation_revoke", "audience_token_revoke",
}  # fmt: skip


def _console_urls(things: dict[str, str]) -> list[str]:
    by_name = {
        "public_id": {
            "incidents": things["incident"], "components": things["component"],
            "maintenance": things["maintenance"], "contacts": things["contact"],
            "templates": things["template"],
        },
    }  # fmt: skip
    urls = []
    for pattern in urlpatterns:
        name = pattern.name or ""
        if name in _NOT_MADE or name in ("logout", "sso_start", "sso_callback", "language"):
            continue
        kwargs: dict[str, str] = {}
        for argument in pattern.pattern.converters:
            if argument == "public_id":
                kwargs[argument] = by_name["public_id"][str(pattern.pattern).split("/")[0]]
            elif argument == "name":
                kwargs[argument] = things["source"]
            else:
                kwargs[argument] = things[argument if argument != "template_id" else "template"]
        urls.append(reverse(f"console:{name}", kwargs=kwargs))
    return urls


@pytest.mark.parametrize(
    "role",
    [roles.RESPONDER, roles.COMMUNICATOR, roles.APPROVER_LEGAL, roles.ADMIN, None],
    ids=lambda r: r or "no role",
)
def test_every_console_page_in_german_has_no_english_interface_text(
    role: str | None, everything: dict[str, str]
) -> None:
    user = staff_user("gerda", *([role] if role else []))
    StaffLanguage.objects.create(user=user, language="de", updated_at=timezone.now())
    client = Client()
    client.force_login(user)
    stored = _stored_text()
    shown, english = 0, {}
    for url in _console_urls(everything):
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response["Content-Type"]:
            continue  # a write-only URL, a page this role may not read, a download
        html = response.content.decode()
        assert _lang(html) == ("de", "ltr"), url
        shown += 1
        if left := _english_left(html, stored):
            english[url] = left
    assert shown >= 30  # the walk reached the pages, not only refusals
    assert english == {}


def test_the_walk_finds_english_that_nobody_marked() -> None:
    """The check itself: unmarked interface text is found, stored text is not."""
    html = (
        '<html lang="de"><body><h1>Störungen</h1><p>Save the component</p>'
        '<button title="Remove this">x</button><code>the raw value</code>'
        "<p>We are looking into it.</p></body></html>"
    )
    stored = "Customers: We are looking into it. Thank you"
    assert _english_left(html, stored) == ["Save the component", "Remove this"]
