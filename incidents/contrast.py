"""WCAG 2.1 contrast, for colours an Admin chooses (a page's accent colour).

The formulas of WCAG 2.1's "relative luminance" and "contrast ratio"; AA asks 4.5:1 for
text of normal size.
"""

from __future__ import annotations

import re

AA_TEXT = 4.5
_HEX = re.compile(r"#([0-9a-fA-F]{6})")


def parse_hex(colour: str) -> tuple[int, int, int]:
    """'#1a7f37' -> (26, 127, 55); ValueError for anything else (no names, no shorthand)."""
    found = _HEX.fullmatch(colour.strip())
    if not found:
        raise ValueError("Give the colour as # and six hex digits, such as #0858c2.")
    value = found.group(1)
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def luminance(rgb: tuple[int, int, int]) -> float:
    r, g, b = (_channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: str, b: str) -> float:
    """The contrast ratio of two '#rrggbb' colours, from 1 to 21."""
    la, lb = sorted((luminance(parse_hex(a)), luminance(parse_hex(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def passes_aa(foreground: str, background: str) -> bool:
    return ratio(foreground, background) >= AA_TEXT
