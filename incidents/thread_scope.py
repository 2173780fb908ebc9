"""Answers kept for the length of a block of work in one thread, then forgotten.

A whole snapshot render reads one moment and a fan-out batch sends one update to many
people: both ask the same questions again and again (the header's indicator on every
page; an update's signed notice for every recipient). Each such memo is a `ThreadScope`:
`with scope.open():` around the work, `scope.memo()` inside it. Outside any block there is
no memo, so nothing is ever kept past the work it was read for. A block inside another of
the same scope keeps the outer one's memo.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class ThreadScope:
    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def open(self) -> Iterator[None]:
        if self.memo() is not None:
            yield
            return
        self._local.memo = {}
        try:
            yield
        finally:
            del self._local.memo

    def memo(self) -> dict[Any, Any] | None:
        """The open block's memo in this thread; None outside every block."""
        memo: dict[Any, Any] | None = getattr(self._local, "memo", None)
        return memo
