"""WCAG contrast of chosen colours (incidents/contrast.py), against WCAG's own figures."""

from __future__ import annotations

import pytest

from incidents import contrast


def test_black_on_white_is_21_and_equal_colours_are_1() -> None:
    assert contrast.ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast.ratio("#777777", "#777777") == pytest.approx(1.0)


def test_the_page_link_colour_passes_and_a_pale_yellow_fails() -> None:
    assert contrast.passes_aa("#0858c2", "#ffffff")
    assert contrast.ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)  # AA's edge
    assert not contrast.passes_aa("#f2c744", "#ffffff")


@pytest.mark.parametrize("bad", ["red", "#fff", "#12345g", "#1234567", "", "#123456\n;x"])
def test_anything_but_six_hex_digits_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="six hex digits"):
        contrast.parse_hex(bad)
