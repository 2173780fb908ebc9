"""Cutting words to a provider's limits without breaking them.

Every limit is in characters of the text as sent, so escaping comes first and the cut
never lands inside an escape (`&amp;`, `\\*`): a cut escape would show half of it, or
turn the rest of the message into markup.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"
_ENTITY = re.compile(r"&[a-zA-Z0-9#]{1,8};")


def _safe_end(text: str, end: int) -> int:
    """`end`, moved back so that text[:end] does not end inside an escape: an HTML entity
    (Slack, Google Chat) or a backslash pair (Discord)."""
    amp = text.rfind("&", max(0, end - 9), end)
    if amp != -1:
        entity = _ENTITY.match(text, amp)
        if entity and entity.end() > end:
            return amp
    slashes = len(text[:end]) - len(text[:end].rstrip("\\"))
    return end - 1 if slashes % 2 else end


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ended with "…" at a word boundary if cut."""
    if len(text) <= limit:
        return text
    room = max(0, limit - len(ELLIPSIS))
    end = _safe_end(text, room)
    space = text.rfind(" ", 0, end)
    if space > end * 0.8:  # a word boundary close by; else a long word is cut in it
        end = space
    return text[:end].rstrip() + ELLIPSIS


def pieces(text: str, size: int, *, most: int) -> list[str]:
    """`text` in at most `most` pieces of at most `size` characters each, split at line
    ends or spaces where one is near; what does not fit ends the last piece with "…"."""
    out: list[str] = []
    rest = text
    while rest and len(out) < most:
        if len(rest) <= size:
            out.append(rest)
            rest = ""
            break
        if len(out) == most - 1:
            out.append(cut(rest, size))
            rest = ""
            break
        end = _safe_end(rest, size)
        split = max(rest.rfind("\n", 0, end), rest.rfind(" ", 0, end))
        if split > end * 0.5:
            end = split
        out.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    return [p for p in out if p]
