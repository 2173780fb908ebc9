"""CSV cells safe to open in a spreadsheet.

Excel, LibreOffice and Google Sheets run a cell that starts with = + - @ as a formula
(tab and CR are read past to one), so a subscriber who signs up as `=HYPERLINK(...)@x`
could run in an administrator's spreadsheet. Such cells are written with a leading
apostrophe, which spreadsheets show as text (OWASP's advice); reading our own export
back takes it off again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_neutralise(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cell_restore(value: str) -> str:
    """What cell_neutralise was given (a cell it did not change comes back as it is)."""
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def rows_restore(rows: Iterable[dict[str, str]]) -> Iterator[dict[str, str]]:
    for row in rows:
        yield {k: cell_restore(v) if isinstance(v, str) else v for k, v in row.items()}
