"""How wide a text is in 11px Verdana, the badges' font: the width table shields.io measures
its badges with.

`verdana-11px-normal.json` is the table of anafanafo 2.0.0 (npm, MIT licence, copyright
2018 Metabolize LLC), unchanged: rows of [first code point, last code point, width in px],
sorted. Widths are read as anafanafo's consumer (char-width-table-consumer) reads them: a
control character is 0 wide, a character the table lacks is as wide as "m".
tests/public/test_badges.py checks this module against anafanafo itself.
"""

from __future__ import annotations

import bisect
import functools
import json
from pathlib import Path

TABLE = Path(__file__).with_name("verdana-11px-normal.json")


@functools.cache
def _table() -> tuple[list[int], list[tuple[int, int, float]]]:
    rows = [(int(lo), int(hi), float(width)) for lo, hi, width in json.loads(TABLE.read_text())]
    return [row[0] for row in rows], rows


def _char_width(code: int) -> float | None:
    if code <= 31 or code == 127:
        return 0.0
    starts, rows = _table()
    index = bisect.bisect_right(starts, code) - 1
    if index < 0:
        return None
    low, high, width = rows[index]
    return width if low <= code <= high else None


def text_width(text: str) -> float:
    """The width of `text` in pixels, in 11px Verdana."""
    em = _char_width(ord("m")) or 0.0
    total = 0.0
    for char in text:
        width = _char_width(ord(char))
        total += em if width is None else width
    return total
