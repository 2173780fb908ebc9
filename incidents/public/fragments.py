"""The front page's component list, rendered once per language while what it shows stays
the same.

With 200 components and their uptime bars the list is most of the front page's render,
and an incident's update changes none of it; yet the publisher renders the front page
in every language on every update, and a live `/` renders it on every cache miss. So the
rendered list is kept in this process, keyed by what it shows (`shown`), the window,
the inline-runs flag, the language and the time zone. A change to anything it shows is a
different key: nothing is invalidated by hand. Templates change only with a deploy,
which restarts the process.

The key is what the list shows, not the views it is rendered from: today's bar and the
window's uptime are recomputed at every moment (the observed part of today grows), while
the page shows only each day's colour and the uptime to two decimals. `shown` must name
every field the template reads; tests/public/test_components_fragment.py fails when a
view gains a field that neither `shown` nor NOT_SHOWN accounts for.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from incidents.public.uptime_bars import colour, uptime_percent
from incidents.selectors import ComponentView, GroupView

TEMPLATE = "public/_components.html"
# Six languages, each with the list as it is and as it was a moment ago (a render and a
# live request can overlap a change), and audiences' own lists: a few hundred KB at most.
LIMIT = 32

# The views' fields the list does not show (or shows only through what `shown` derives).
NOT_SHOWN = {
    ComponentView: {"position", "group_id", "start_date", "created_at", "updated_at"},
    GroupView: {"position", "created_at", "updated_at"},
}


def _component_shown(c: ComponentView) -> tuple[Hashable, ...]:
    return (
        c.public_id,
        c.name,
        c.description,
        c.status,
        c.showcase,
        c.only_show_if_degraded,
        c.vendor_fetched_at,
        c.vendor_unknown,
        # The bar: each day's colour (the runs, the trouble count and the window's length
        # follow from them) and the first day with data; the figure as printed.
        tuple(colour(day) for day in c.uptime_days),
        c.uptime_since,
        uptime_percent(c.uptime),
    )


def shown(layout: tuple[Any, ...]) -> tuple[Hashable, ...]:
    """What the list shows of `layout`, comparable by value."""
    return tuple(
        (
            item.public_id,
            item.name,
            item.description,
            tuple(_component_shown(c) for c in item.components),
        )
        if isinstance(item, GroupView)
        else _component_shown(item)
        for item in layout
    )


class _Fragments:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[Hashable, ...], SafeString] = OrderedDict()
        # The last layout's `shown`: the six languages of one render (selectors'
        # status_shared) ask with the same layout object.
        self._last: tuple[Any, tuple[Hashable, ...]] | None = None

    def rendered(self, layout: tuple[Any, ...], *, uptime_days: int, inline_runs: bool) -> str:
        last = self._last
        if last is not None and last[0] is layout:
            what = last[1]
        else:
            what = shown(layout)
            self._last = (layout, what)
        locale = (translation.get_language(), timezone.get_current_timezone_name())
        key = (what, uptime_days, inline_runs, locale)
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
                return found
        body = render_to_string(
            TEMPLATE, {"layout": layout, "uptime_days": uptime_days, "inline_runs": inline_runs}
        )
        with self._lock:
            self._kept[key] = body
            while len(self._kept) > LIMIT:
                self._kept.popitem(last=False)
        return body

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._last = None


_fragments = _Fragments()


def components_html(layout: tuple[Any, ...], *, uptime_days: int, inline_runs: bool) -> str:
    """The component list of the front page in the active language (TEMPLATE)."""
    return _fragments.rendered(layout, uptime_days=uptime_days, inline_runs=inline_runs)


def fragments_clear() -> None:
    """Forget every kept list (tests that change a template or a translation in place)."""
    _fragments.clear()
