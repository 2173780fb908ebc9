"""The SVG status badges and the widget's script: their bytes, colours, caching, what a
hostile name does, and their place in the static snapshot."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from incidents import contrast, lifecycle
from incidents.audit import Actor
from incidents.branding.service import branding_set
from incidents.models import Branding, Component, ComponentStatus
from incidents.public import badges, cache
from incidents.public.badge_svg import LABEL_GREY, MAX_CHARS, badge_svg, readable_on
from incidents.public.text_width import text_width
from incidents.publish.dependencies import RENDER_STATE, Base, RenderState
from incidents.publish.manifest import disk_path
from incidents.publish.snapshot import render_snapshot
from tests.factories import ComponentFactory, promised
from tests.public.conftest import Layout

ROOT = Path(__file__).resolve().parents[2]
ACTOR = Actor.system("test")
SVG_NS = "{http://www.w3.org/2000/svg}"
HOSTILE = "\x1b\u202e<script>alert(1)</script> & \"quoted\" 'name' \ud800" + "x" * 1_000_000


def _svg(body: bytes) -> ET.Element:
    root = ET.fromstring(body)  # well-formed XML, or this raises
    assert root.tag == SVG_NS + "svg"
    return root


def _fills(root: ET.Element) -> list[str]:
    """The label's and the message's background colours, left to right."""
    group = root.find(SVG_NS + "g")
    assert group is not None
    return [rect.attrib["fill"] for rect in group.findall(SVG_NS + "rect")][:2]


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(SVG_NS + "text") if "aria-hidden" not in t.attrib]


# -- the width table -------------------------------------------------------------------


def test_text_width_matches_anafanafo_the_table_shields_io_measures_with() -> None:
    samples = [
        "Operational", "All Systems Operational", "Major outage", "Wij — ça marche",
        "数据库", "🙂 emoji", "\x1bcontrol", "\U000e0100 unknown", "", "WWW iii",
    ]  # fmt: skip
    script = (
        "const m = require('anafanafo');"
        "const xs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(xs.map(s => m(s, {font: '11px Verdana'}))));"
    )
    measured = subprocess.run(
        ["node", "-e", script],
        input=json.dumps(samples),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    expected = json.loads(measured.stdout)
    assert [round(text_width(s), 6) for s in samples] == [round(w, 6) for w in expected]
    assert text_width("WWW") > text_width("iii") * 2  # a table, not a count of characters


# -- the SVG ---------------------------------------------------------------------------


@pytest.mark.embedded
def test_every_colour_a_badge_uses_carries_white_text_at_aa() -> None:
    for colour in (
        *badges.STATUS_COLOURS.values(),
        *badges.INDICATOR_COLOURS.values(),
        badges.MAINTENANCE,
        LABEL_GREY,
    ):
        assert contrast.ratio("#ffffff", colour) >= contrast.AA_TEXT, colour


@pytest.mark.embedded
def test_the_badge_is_as_wide_as_its_measured_texts() -> None:
    root = _svg(badge_svg("API", "Operational", label_colour="#555555", message_colour="#1a7f37"))
    # shields.io's layout: each text rounded up to odd pixels, plus 5 px each side.
    api, operational = text_width("API"), text_width("Operational")
    assert (api, operational) == (pytest.approx(18.78), pytest.approx(63.98))
    assert root.attrib["width"] == str(19 + 10 + 65 + 10)
    assert root.attrib["role"] == "img"
    assert root.attrib["aria-label"] == "API: Operational"
    assert root.findtext(SVG_NS + "title") == "API: Operational"
    assert _texts(root) == ["API", "Operational"]


@pytest.mark.embedded
def test_hostile_text_is_escaped_cut_and_stays_well_formed() -> None:
    body = badge_svg(HOSTILE, "x\x00y", label_colour="#555555", message_colour="#1a7f37")
    root = _svg(body)
    assert b"<script" not in body and "\u202e" not in body.decode()
    label, message = _texts(root)
    assert label.startswith('\ufffd\ufffd<script>alert(1)</script> & "quoted"')
    assert len(label) <= MAX_CHARS and label.endswith("\u2026")
    assert message == "x\ufffdy"
    assert len(body) < 3000  # a megabyte of name makes a badge of normal size
    assert root.attrib["aria-label"] == f"{label}: {message}"


@pytest.mark.embedded
def test_a_colour_white_text_cannot_be_read_on_falls_back_to_grey() -> None:
    assert readable_on("#0B6E4F") == "#0b6e4f"
    assert readable_on("#f0f0f0") == LABEL_GREY
    assert readable_on('#000000" onload="x') == LABEL_GREY
    assert readable_on("") == LABEL_GREY


# -- served ----------------------------------------------------------------------------


@pytest.mark.embedded
def test_the_page_badge_says_the_overall_status_and_revalidates(layout: Layout) -> None:
    response = Client().get("/badge.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"].startswith("public, max-age=")
    root = _svg(response.content)
    assert _texts(root) == [settings.CANDOR_PAGE_NAME, "All Systems Operational"]
    assert _fills(root) == [LABEL_GREY, badges.OK]
    again = Client().get("/badge.svg", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again["ETag"] == response["ETag"]

    lifecycle.incident_open(
        actor=ACTOR, name="Slow API", body=promised("We are investigating."), impact="major",
        components={layout.api: ComponentStatus.PARTIAL_OUTAGE},
    )  # fmt: skip
    cache.public_changed()  # what the commit does (this test's transaction never commits)
    changed = Client().get("/badge.svg", HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != response["ETag"]
    assert _texts(_svg(changed.content))[1] == "Partial System Outage"
    assert _fills(_svg(changed.content))[1] == badges.PARTIAL


@pytest.mark.embedded
@pytest.mark.parametrize("status", list(ComponentStatus))
def test_a_component_badge_has_its_status_and_colour(layout: Layout, status: str) -> None:
    lifecycle.component_status_set(actor=ACTOR, component=layout.web, status=status)
    cache.public_changed()
    response = Client().get(f"/badges/{layout.web.public_id}.svg")
    assert response.status_code == 200
    root = _svg(response.content)
    assert _texts(root) == ["Web application", ComponentStatus(status).label]
    assert _fills(root) == [LABEL_GREY, badges.STATUS_COLOURS[ComponentStatus(status)]]


@pytest.mark.embedded
def test_an_unknown_component_has_no_badge(layout: Layout) -> None:
    assert Client().get("/badges/nosuchcompo.svg").status_code == 404


def test_a_hostile_stored_name_still_makes_a_safe_badge(layout: Layout) -> None:
    # Past the service, as a hand-written row would be (PostgreSQL refuses NUL and lone
    # surrogates itself, and the column holds 200 characters).
    name = HOSTILE.replace("\ud800", "\ufffe")[:200]
    Component.objects.filter(pk=layout.web.pk).update(name=name)
    cache.public_changed()
    body = Client().get(f"/badges/{layout.web.public_id}.svg").content
    root = _svg(body)
    assert b"<script" not in body and len(body) < 3000
    assert _texts(root)[0].startswith("\ufffd\ufffd<script>")


@pytest.mark.embedded
def test_the_label_takes_the_branding_accent_when_white_text_reads_on_it(layout: Layout) -> None:
    branding_set(
        actor=ACTOR,
        site_name="Acme Cloud",
        accent_light="#0b6e4f",
        accent_dark="#7ee2b8",
        support_url="",
    )
    cache.public_changed()
    root = _svg(Client().get("/badge.svg").content)
    assert _texts(root)[0] == "Acme Cloud"
    assert _fills(root)[0] == "#0b6e4f"
    # A row written by hand with a pale accent: the label stays readable, in grey.
    Branding.objects.update(accent_light="#f0f0f0")
    cache.public_changed()
    assert _fills(_svg(Client().get("/badge.svg").content))[0] == LABEL_GREY


@pytest.mark.embedded
def test_the_widget_script_is_served_cacheable_and_cross_origin(layout: Layout) -> None:
    response = Client().get("/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"].startswith("public, max-age=")
    body = response.content.decode()
    assert "api/v2/summary.json" in body and "attachShadow" in body
    assert "innerHTML" not in body  # text from the API is only ever textContent
    assert Client().get("/widget.js", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


# -- in the snapshot -------------------------------------------------------------------


@pytest.mark.embedded
def test_the_snapshot_holds_every_badge_and_the_widget_as_served(
    layout: Layout, tmp_path: Path
) -> None:
    ComponentFactory(name="Status", position=9)
    snapshot = render_snapshot(tmp_path)
    expected = ["badge.svg", "widget.js"]
    expected += [f"badges/{c.public_id}.svg" for c in Component.objects.all()]
    for path in expected:
        entry = snapshot.manifest.files[path]
        assert disk_path(path, entry.content_type) == path  # the same name in the mirror
        live = Client().get("/" + path)
        assert snapshot.read(path) == live.content, path
        assert entry.content_type == live["Content-Type"]


def test_an_incremental_publish_renders_the_badges_again_after_a_status_change(
    layout: Layout, tmp_path: Path
) -> None:
    # The overall status stays "critical" (the page's chrome is unchanged), so the second
    # render is an incremental one, built on the first.
    lifecycle.component_status_set(actor=ACTOR, component=layout.webhooks, status="major_outage")
    first = render_snapshot(tmp_path / "first")
    lifecycle.component_status_set(actor=ACTOR, component=layout.web, status="partial_outage")
    base = Base(first, RenderState.from_json((first.root / RENDER_STATE).read_bytes()))
    second = render_snapshot(tmp_path / "second", base=base)
    badge = f"badges/{layout.web.public_id}.svg"
    # A page the change does not reach keeps the first render's object.
    assert first.manifest.files["history"] == second.manifest.files["history"]
    assert _texts(_svg(second.read(badge)))[1] == "Partial outage"
    assert second.read(badge) == Client().get("/" + badge).content
