"""ThreadScope: a memo for the length of a block, in one thread, and no longer."""

from __future__ import annotations

import threading

import pytest

from incidents.thread_scope import ThreadScope


def test_there_is_a_memo_inside_a_block_only() -> None:
    scope = ThreadScope()
    assert scope.memo() is None
    with scope.open():
        memo = scope.memo()
        assert memo == {}
        memo["answer"] = 42  # type: ignore[index]
        assert scope.memo() == {"answer": 42}
    assert scope.memo() is None
    with scope.open():
        assert scope.memo() == {}  # a new block starts empty


def test_a_block_inside_another_keeps_the_outer_memo() -> None:
    scope = ThreadScope()
    with scope.open():
        scope.memo()["outer"] = 1  # type: ignore[index]
        with scope.open():
            assert scope.memo() == {"outer": 1}
            scope.memo()["inner"] = 2  # type: ignore[index]
        # The inner block's end does not end the outer one's memo.
        assert scope.memo() == {"outer": 1, "inner": 2}
    assert scope.memo() is None


def test_the_memo_is_forgotten_when_the_block_fails() -> None:
    scope = ThreadScope()
    with pytest.raises(RuntimeError), scope.open():
        scope.memo()["x"] = 1  # type: ignore[index]
        raise RuntimeError
    assert scope.memo() is None


def test_another_thread_sees_no_memo_and_scopes_are_apart() -> None:
    scope, other = ThreadScope(), ThreadScope()
    seen: list[object] = []
    with scope.open():
        assert other.memo() is None
        thread = threading.Thread(target=lambda: seen.append(scope.memo()))
        thread.start()
        thread.join()
    assert seen == [None]
