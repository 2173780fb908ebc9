"""Template tags for the staff console."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

import segno
from django import template
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from incidents.console.views.base import SUBMISSION_KEY
from incidents.wording import Violation

register = template.Library()


@register.filter
def json_attr(value: object) -> str:
    """JSON for a data- attribute (the template's autoescaping quotes it for HTML)."""
    return json.dumps(value)


@register.filter
def share(value: float | None) -> str:
    """A share as a whole percent, rounded to the nearest; never 0% or 100% unless exact
    (one late update in 300 is not "100% on time")."""
    if value is None:
        return ""
    whole = round(value * 100)
    if 0 < value < 1:
        whole = min(max(whole, 1), 99)
    return f"{whole}%"


@register.filter
def seconds_label(value: float | None) -> str:
    """A fan-out's duration as people read it: "under a second", "40 s", "12 min", "3.5 h"."""
    if not value or value < 1:
        return "under a second"
    if value < 120:
        return f"{round(value)} s"
    if value < 7200:
        return f"{round(value / 60)} min"
    return f"{value / 3600:.1f} h"


@register.simple_tag
def submission_key() -> SafeString:
    """A hidden one-time key for a write form, new at every rendering: sending the same
    rendering twice writes once (see submit_once in console/views/base.py)."""
    return format_html('<input type="hidden" name="{}" value="{}">', SUBMISSION_KEY, uuid.uuid4())


@register.simple_tag
def highlighted(text: str, violations: Sequence[Violation]) -> SafeString:
    """The text with each violation's span in a <mark>, as console.js shows it live."""
    spans = sorted(
        (v.start, v.end, v.rule) for v in violations if v.start is not None and v.end is not None
    )
    parts: list[str] = []
    position = 0
    for start, end, rule in spans:
        if start < position:
            continue  # overlapping spans: the first one marks the place
        parts.append(escape(text[position:start]))
        parts.append(format_html('<mark title="{}">{}</mark>', rule, text[start:end]))
        position = end
    parts.append(escape(text[position:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped


@register.simple_tag
def qr_code(data: str, *, label: str) -> SafeString:
    """`data` as a QR code: an SVG drawn here and inlined, so nothing is fetched and the
    data never leaves the server. Dark on white in either colour scheme, with the quiet
    zone scanners need; named for screen readers by `label`."""
    drawn = segno.make(data, error="m").svg_inline(scale=4, dark="#000", light="#fff")
    # segno draws the modules as one path: no part of `data` is in the markup.
    svg = mark_safe(drawn)  # noqa: S308
    return format_html('<div class="qr" role="img" aria-label="{}">{}</div>', label, svg)
