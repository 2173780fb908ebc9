"""Whether an accent colour can carry links and buttons on the page, in one colour scheme.

Links sit on the page background and on cards; the Subscribe button puts the card colour
on the accent. Each pair must reach WCAG AA for text (4.5:1). These are public.css's
`--bg` and `--surface` for each scheme (tests/branding/test_accent.py holds them equal).
No single colour passes in both schemes (the light backgrounds allow at most a relative
luminance of about 0.17, the dark ones need at least 0.22), hence one accent per scheme.
"""

from __future__ import annotations

from incidents import contrast

BACKGROUNDS: dict[str, dict[str, str]] = {
    "light": {"page background": "#f6f8fa", "card background": "#ffffff"},
    "dark": {"page background": "#0d1117", "card background": "#151b23"},
}


def accent_problem(colour: str, scheme: str) -> str | None:
    """Why `colour` cannot be the accent of `scheme`, with the measured ratio; or None."""
    try:
        contrast.parse_hex(colour)
    except ValueError as exc:
        return str(exc)
    for where, background in BACKGROUNDS[scheme].items():
        measured = contrast.ratio(colour, background)
        if measured < contrast.AA_TEXT:
            # Rounded down, so a ratio of 4.498 never reads as "4.50, needs 4.5".
            shown = int(measured * 100) / 100
            return (
                f"{colour} has a contrast of {shown:.2f}:1 against the {scheme} scheme's "
                f"{where} ({background}); links and buttons need at least "
                f"{contrast.AA_TEXT}:1 (WCAG AA)."
            )
    return None
