"""A worker's publisher made ready before its first publish.

A publish builds on what the process already holds: the previous render's manifest and
render state, each target's manifest, every update's notice digest (signing.py), each
manifest entry's JSON, compiled templates, each language's catalogue and the components'
past uptime days. A fresh process reads and computes all of them during its first
publish, which at 10,000 incidents made that publish about 1.5 s slower than the next
ones. The warm-up ends with an incremental render into a temporary directory, objects
included, thrown away: every page a publish renders every time, in every language, once;
nothing shared is written (none when it would be a full render: the first publish
renders everything then anyway). A worker does it
when it starts instead (statuspage/celery.py), in a thread of its own: a publish that
arrives meanwhile runs as before, only without the head start.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.db import close_old_connections, connection

from incidents.publish.notices import notices_sign_changed
from incidents.publish.renders import current_base
from incidents.publish.snapshot import FullRenderNeeded, render_snapshot
from incidents.publish.targets import configured_targets

log = logging.getLogger(__name__)


def publisher_warm() -> dict[str, float]:
    """Read and compute what a publish reuses; seconds per step. Never raises: a step that
    fails is logged and left to the first publish."""
    took: dict[str, float] = {}

    def step(name: str, work: Callable[[], object]) -> None:
        started = time.perf_counter()
        try:
            work()
        except Exception:
            log.warning("warming the publisher: %s failed", name, exc_info=True)
        took[name] = time.perf_counter() - started

    def base() -> None:
        found = current_base()
        if found is not None:
            found.snapshot.manifest.entries_prepare()

    step("base render", base)
    for target in configured_targets():
        step(f"target {target.name}", target.warm)
    step("notices", notices_sign_changed)

    def a_render() -> None:
        with tempfile.TemporaryDirectory(prefix="candor-warm-") as scratch:
            try:
                render_snapshot(Path(scratch) / "render", base=current_base(), full_allowed=False)
            except FullRenderNeeded:
                log.info("warming the publisher: no render to build on, none made")

    step("a render", a_render)
    return took


def publisher_warm_soon() -> threading.Thread:
    """publisher_warm() in a daemon thread, with a database connection of its own that
    it closes when done."""

    def run() -> None:
        close_old_connections()
        try:
            took = publisher_warm()
            log.info(
                "publisher warmed in %.2f s (%s)",
                sum(took.values()),
                ", ".join(f"{name} {seconds:.2f} s" for name, seconds in took.items()),
            )
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="candor-publisher-warm", daemon=True)
    thread.start()
    return thread
