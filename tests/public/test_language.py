"""The public side in the reader's language: URLs per language, Accept-Language, the
switch, the cache keyed by language, hostile headers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor
from incidents.public import cache
from incidents.public.language import language_from_path, preferred
from tests.factories import promised
from tests.public.conftest import Layout

pytestmark = pytest.mark.embedded
OTHERS = [code for code, _name in settings.LANGUAGES if code != "en"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.reset()


def test_each_language_has_its_own_url_and_words(client: Client, layout: Layout) -> None:
    english = client.get("/").content.decode()
    german = client.get("/de/").content.decode()
    japanese = client.get("/ja/").content.decode()
    arabic = client.get("/ar/").content.decode()
    assert '<html lang="en">' in english and "All Systems Operational" in english
    assert '<html lang="de">' in german and "Alle Systeme betriebsbereit" in german
    assert '<html lang="ja">' in japanese and "すべてのシステムが正常に稼働しています" in japanese
    assert '<html lang="ar" dir="rtl">' in arabic
    assert client.get("/ja")["Location"] == "/ja/"
    # Links inside a language's page stay in it.
    assert 'href="/de/history"' in german and 'href="/history"' in english


def test_hreflang_alternates_and_a_plain_link_switch(client: Client, layout: Layout) -> None:
    html = client.get("/de/history").content.decode()
    for code in OTHERS:
        assert f'hreflang="{code}" href="{settings.CANDOR_CANONICAL_URL}/{code}/history"' in html
    assert f'hreflang="en" href="{settings.CANDOR_CANONICAL_URL}/history"' in html
    assert 'hreflang="x-default"' in html
    # The switch: English carries the explicit choice, the current language is marked.
    assert 'href="/history?lang=en" hreflang="en" lang="en"' in html
    assert 'href="/de/history" hreflang="de" lang="de" aria-current="page"' in html


def test_accept_language_sends_a_reader_to_their_language(client: Client, layout: Layout) -> None:
    response = client.get("/history", headers={"accept-language": "de-AT,de;q=0.9,en;q=0.5"})
    assert response.status_code == 302
    assert response["Location"] == "/de/history"
    assert "Accept-Language" in response["Vary"]
    assert "private" in response["Cache-Control"]
    # English first, or no shipped language at all: English, saying it varies.
    for header in ("en-GB,de;q=0.8", "sv,fi", ""):
        english = client.get("/", headers={"accept-language": header})
        assert english.status_code == 200, header
        assert "Accept-Language" in english["Vary"]
    # Feeds, the API and the badge are never redirected.
    assert client.get("/history.atom", headers={"accept-language": "ja"}).status_code == 200
    assert client.get("/api/v2/status.json", headers={"accept-language": "ja"}).status_code == 200


def test_choosing_english_sticks_for_a_german_browser(client: Client, layout: Layout) -> None:
    chosen = client.get("/?lang=en", headers={"accept-language": "de"})
    assert chosen.status_code == 200 and '<html lang="en">' in chosen.content.decode()
    assert chosen.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "private" in chosen["Cache-Control"]
    # The cookie now wins over the header.
    assert client.get("/history", headers={"accept-language": "de"}).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "x" * 1_000_000,
        "de;q=" + "9" * 10_000,
        ",,,;;;q=abc, *;q=1",
        "de\u202e, ja",
        "\ud800de",
        "de;q=NaN, ja;q=-1",
        "ja-" + "A" * 600,
        "*",
    ],
)
def test_hostile_accept_language_is_handled(client: Client, layout: Layout, header: str) -> None:
    response = client.get("/", headers={"accept-language": header})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response["Location"] in {f"/{code}/" for code in OTHERS}


def test_preferred_reads_quality_and_regions() -> None:
    assert preferred("fr-CA,fr;q=0.9") == "fr"
    assert preferred("sv;q=1, es;q=0.2, ja;q=0.8") == "ja"
    assert preferred("en-US") == "en"
    assert preferred("zz, *") is None
    assert preferred("é") is None
    assert language_from_path("/de/history") == "de"
    assert language_from_path("/en/history") is None
    assert language_from_path("/design") is None


def test_the_cache_never_mixes_languages(client: Client, layout: Layout, actor: Actor) -> None:
    incident = lifecycle.incident_open(
        actor=actor, name="Slow pages", body=promised("Looking into it."),
        components={layout.web: "degraded_performance"},
    )  # fmt: skip
    path = f"/incidents/{incident.public_id}"
    # Interleaved, twice each: every read after the first of its language is a cache hit.
    for _round in range(2):
        for code in ("en", *OTHERS):
            url = path if code == "en" else f"/{code}{path}"
            html = client.get(url).content.decode()
            assert f'<html lang="{code}"' in html, url
    german = client.get(f"/de{path}").content.decode()
    assert "Wird untersucht" in german and "Investigating</strong>" not in german
    assert "Investigating</strong>" in client.get(path).content.decode()
    # The language is part of the key, whatever key a view passes.
    keys = set(cache._entries)
    assert f"de|/de{path}" in keys and f"en|{path}" in keys


def test_dates_in_the_readers_locale_with_the_zone_named(
    client: Client, layout: Layout, actor: Actor
) -> None:
    start = datetime(timezone.now().year + 1, 3, 14, 9, 30, tzinfo=UTC)
    window = lifecycle.maintenance_schedule(
        actor=actor, name="Upgrade", body="Planned.", scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
    )  # fmt: skip
    path = f"/maintenance/{window.public_id}"
    english = client.get(path).content.decode()
    german = client.get(f"/de{path}").content.decode()
    japanese = client.get(f"/ja{path}").content.decode()
    assert f"Mar 14, {start.year}, 09:30 UTC" in english
    assert f"14. März {start.year} 09:30 UTC" in german
    assert re.search(rf"{start.year}年3月14日\s*9:30 UTC", japanese)


def test_v2_json_stays_as_clients_expect_and_lang_adds_labels(
    client: Client, layout: Layout, actor: Actor
) -> None:
    lifecycle.incident_open(
        actor=actor, name="Slow pages", body=promised("Looking into it."),
        components={layout.web: "degraded_performance"},
    )  # fmt: skip
    plain = client.get("/api/v2/summary.json").json()
    german = client.get("/api/v2/summary.json?lang=de").json()
    again = client.get("/api/v2/summary.json").json()
    assert "status_label" not in str(plain) and plain["status"] == again["status"]
    assert german["status"]["indicator"] == plain["status"]["indicator"]  # values unchanged
    web = next(c for c in german["components"] if c["name"] == "Web application")
    assert (web["status"], web["status_label"]) == (
        "degraded_performance",
        "Eingeschränkte Leistung",
    )
    (incident,) = german["incidents"]
    assert incident["status_label"] == "Wird untersucht"
    assert (
        incident["incident_updates"][0]["body"]
        == plain["incidents"][0]["incident_updates"][0]["body"]
    )
    assert client.get("/api/v2/summary.json?lang=en").json()["components"][0]["status_label"]
    for hostile in ("xx", "de" * 1000, "de\x00", "../de"):
        refused = client.get("/api/v2/status.json", {"lang": hostile})
        assert refused.status_code == 400 and "lang must be one of" in refused.json()["detail"]


def test_the_follow_page_in_german(client: Client, layout: Layout, actor: Actor) -> None:
    incident = lifecycle.incident_open(
        actor=actor, name="Slow pages", body=promised("Looking into it."),
        components={layout.web: "degraded_performance"},
    )  # fmt: skip
    html = client.get(f"/de/incidents/{incident.public_id}/follow").content.decode()
    assert "„Slow pages“ folgen" in html and "E-Mail-Adresse" in html
    assert f'action="/de/incidents/{incident.public_id}/follow"' in html
