"""Accent colours against the page's own backgrounds (incidents/branding/accent.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from incidents import contrast
from incidents.branding.accent import BACKGROUNDS, accent_problem

CSS = Path(__file__).resolve().parents[2] / "incidents" / "static" / "candor" / "public.css"


def _variables(block: str) -> dict[str, str]:
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6})", block))


def test_the_backgrounds_checked_are_the_ones_public_css_paints() -> None:
    css = CSS.read_text()
    light = _variables(css.split("@media (prefers-color-scheme: dark)")[0])
    dark = _variables(css.split("@media (prefers-color-scheme: dark)")[1].split("}")[0])
    for scheme, variables in (("light", light), ("dark", dark)):
        assert BACKGROUNDS[scheme]["page background"] == variables["bg"]
        assert BACKGROUNDS[scheme]["card background"] == variables["surface"]


def test_the_stock_link_colours_pass_in_their_scheme() -> None:
    assert accent_problem("#0858c2", "light") is None
    assert accent_problem("#6cb6ff", "dark") is None


def test_a_pale_colour_is_refused_in_the_light_scheme_with_the_measured_ratio() -> None:
    problem = accent_problem("#f2c744", "light")
    measured = int(contrast.ratio("#f2c744", "#f6f8fa") * 100) / 100
    assert problem == (
        f"#f2c744 has a contrast of {measured:.2f}:1 against the light scheme's page "
        "background (#f6f8fa); links and buttons need at least 4.5:1 (WCAG AA)."
    )


def test_a_ratio_just_under_the_threshold_never_reads_as_passing() -> None:
    # #6565d6 passes on white (4.79:1) but is 4.4977:1 on the light page background:
    # rounded to two places that would say "4.50:1", so the figure is rounded down.
    problem = accent_problem("#6565d6", "light")
    assert problem is not None and "4.49:1 against the light scheme's page background" in problem


def test_a_dark_colour_is_refused_in_the_dark_scheme() -> None:
    problem = accent_problem("#0858c2", "dark")
    assert problem is not None and "against the dark scheme's page background (#0d1117)" in problem


def test_no_single_colour_passes_in_both_schemes() -> None:
    """Why there are two accent fields: every grey from black to white fails one scheme."""
    greys = [f"#{v:02x}{v:02x}{v:02x}" for v in range(256)]
    both = [g for g in greys if not accent_problem(g, "light") and not accent_problem(g, "dark")]
    assert both == []


@pytest.mark.parametrize("bad", ["red", "#fff", "#12345g", "#1234567", "#123456; } x {"])
def test_anything_but_six_hex_digits_is_refused(bad: str) -> None:
    expected = "Give the colour as # and six hex digits, such as #0858c2."
    assert accent_problem(bad, "light") == expected
