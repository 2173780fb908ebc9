"""A shields-style badge as SVG: a label on the left, a message on the right.

The layout of shields.io's "flat" style: 11px Verdana, 5px padding on each side of a text,
each text's width measured with the font's width table (text_width.py) and rounded up to an
odd number of pixels, so the text sits on the pixel grid. `textLength` holds each text to
its measured width where the viewer's font differs.

Whatever is stored can reach a badge (a name written before the text rules, or by hand):
each text goes through `printable` (controls, bidi overrides, lone surrogates become
U+FFFD), is cut to MAX_CHARS, and is escaped for XML text and attributes alike.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from incidents import contrast
from incidents.public.text_width import text_width
from incidents.text import printable, xml_safe

SVG = "image/svg+xml"
MAX_CHARS = 40
PADDING = 5
HEIGHT = 20
TEXT = "#ffffff"
# shields.io's label grey: 7.5:1 with white text.
LABEL_GREY = "#555555"
_ATTRIBUTE = {'"': "&quot;", "'": "&apos;"}


def badge_text(value: str) -> str:
    """One line of printable text, at most MAX_CHARS characters (an ellipsis says so)."""
    # Cut first: cleaning a megabyte to show forty characters would cost a quarter second.
    text = " ".join(xml_safe(printable(value[: MAX_CHARS * 8], multiline=False)).split())
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "\u2026"


def readable_on(background: str, fallback: str = LABEL_GREY) -> str:
    """`background` if white text on it reaches WCAG AA, else `fallback`."""
    try:
        rgb = contrast.parse_hex(background)
    except ValueError:  # not a #rrggbb colour
        return fallback
    canonical = "#{:02x}{:02x}{:02x}".format(*rgb)
    return canonical if contrast.passes_aa(TEXT, canonical) else fallback


def _text_box(text: str) -> int:
    width = math.ceil(text_width(text))
    return width if width % 2 else width + 1  # odd, as shields.io rounds


def badge_svg(label: str, message: str, *, label_colour: str, message_colour: str) -> bytes:
    """The badge; both colours must carry white text (readable_on)."""
    label, message = badge_text(label), badge_text(message)
    label_text, message_text = _text_box(label), _text_box(message)
    left, right = label_text + 2 * PADDING, message_text + 2 * PADDING
    width = left + right
    title = escape(f"{label}: {message}", _ATTRIBUTE)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" '
        f'role="img" aria-label="{title}">',
        f"<title>{title}</title>",
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>',
        f'<clipPath id="r"><rect width="{width}" height="{HEIGHT}" rx="3" fill="#fff"/></clipPath>',
        f'<g clip-path="url(#r)"><rect width="{left}" height="{HEIGHT}" fill="{label_colour}"/>'
        f'<rect x="{left}" width="{right}" height="{HEIGHT}" fill="{message_colour}"/>'
        f'<rect width="{width}" height="{HEIGHT}" fill="url(#s)"/></g>',
        f'<g fill="{TEXT}" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,'
        'sans-serif" text-rendering="geometricPrecision" font-size="110">',
        *_text(label, centre=left / 2, length=label_text),
        *_text(message, centre=left + right / 2, length=message_text),
        "</g></svg>",
    ]
    return "".join(parts).encode()


def _text(text: str, *, centre: float, length: int) -> list[str]:
    """A text and its shadow, drawn at ten times the size and scaled down, as shields.io
    does (finer positioning than whole pixels)."""
    x, body = round(centre * 10), escape(text)
    common = f'x="{x}" transform="scale(.1)" textLength="{length * 10}"'
    return [
        f'<text aria-hidden="true" {common} y="150" fill="#010101" fill-opacity=".3">{body}</text>',
        f'<text {common} y="140">{body}</text>',
    ]
