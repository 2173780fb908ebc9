"""Which pages a publish must render, given the previous render and what changed since.

Every page of the snapshot shows:
- the chrome every page shares: the header's overall status, the page name and URLs, the
  templates and static files of this deployment, the oldest month history links to;
- its own content.

A change to the chrome reaches every page, so it means a full render; the fingerprint
recorded with each render (RenderState.chrome) tells. Otherwise a page is rendered again
when:
- it is rendered every time: the front page (uptime bars move with the clock), the feeds,
  the calendar, the JSON documents, the page's badge (the signed notices' list only when a
  notice was added: RenderState.notices);
- it is a component's badge and the component's name or status changed
  (RenderState.badges);
- it is the page of an incident or maintenance window a change touched, or the month it
  is listed on, before or after the change (RenderState.homes; where it was added, removed
  or moved, the pages from there to the month's newest), or /history when that
  month is one of the three it shows;
- a month began since the previous render: /history, this month's and last month's pages
  (which now links to a newer one);
- the previous render did not have it.

Everything else is the previous render's file. What the renderer cannot attribute (a
change recorded as "everything", a version without a record) renders everything.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from django.db.models.functions import ExtractMonth, ExtractYear
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from incidents import selectors, signing
from incidents.api.public_views import DOCUMENTS
from incidents.context_processors import candor
from incidents.models import Incident, Maintenance, MaintenanceStatus, SignedNotice
from incidents.public.views import HISTORY_PAGE_MONTHS, MONTH_PAGE_SIZE, history_floor
from incidents.publish.changes import changes_between, version_stamp
from incidents.publish.manifest import Snapshot, path_for_url
from incidents.reliability.periods import month_of, parse, quarter_of

RENDER_STATE = "render.json"  # beside the manifest in a render; never published


@dataclass(frozen=True)
class RenderState:
    """What a render knew about its pages, for the next one to build on."""

    chrome: str  # chrome_fingerprint() when it rendered
    stamp: str  # changes.version_stamp() of its version
    # "i:<public_id>" / "m:<public_id>" -> the manifest path of the month page listing it.
    homes: dict[str, str]
    # Manifest path of each HTML page -> the static files it refers to.
    references: dict[str, frozenset[str]]
    # The same keys -> the item's place in its month, counted from the oldest (0); a
    # render state without them (an older one) makes every page of a changed month fresh.
    positions: dict[str, int] | None = None
    # notices_fingerprint() when it rendered; "" (an older state) renders the notices.
    notices: str = ""
    # badges.component_badge_states() when it rendered, by manifest path; None (an older
    # state) renders every badge.
    badges: dict[str, str] | None = None

    def to_json(self) -> bytes:
        # Nearly every page refers to the same few files: store each set once.
        sets: dict[frozenset[str], int] = {}
        pages = {path: sets.setdefault(refs, len(sets)) for path, refs in self.references.items()}
        return json.dumps(
            {
                "chrome": self.chrome,
                "stamp": self.stamp,
                "homes": self.homes,
                "reference_sets": [sorted(refs) for refs in sets],
                "references": pages,
                "positions": self.positions,
                "notices": self.notices,
                "badges": self.badges,
            }
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> RenderState:
        data = json.loads(raw)
        sets = [frozenset(map(str, refs)) for refs in data["reference_sets"]]
        return cls(
            chrome=str(data["chrome"]),
            stamp=str(data["stamp"]),
            homes={str(k): str(v) for k, v in data["homes"].items()},
            references={str(path): sets[int(n)] for path, n in data["references"].items()},
            positions=(
                {str(k): int(v) for k, v in positions.items()}
                if isinstance(positions := data.get("positions"), dict)
                else None
            ),
            notices=str(data.get("notices", "")),
            badges=(
                {str(k): str(v) for k, v in badges.items()}
                if isinstance(badges := data.get("badges"), dict)
                else None
            ),
        )


@dataclass(frozen=True)
class Base:
    """A complete earlier render to reuse files from."""

    snapshot: Snapshot
    state: RenderState


def pages_to_render(
    urls: list[str],
    *,
    base: Base | None,
    version: int,
    chrome: str,
    homes: Homes,
    now: datetime,
    notices: str = "",
    badges: dict[str, str] | None = None,
) -> set[str] | None:
    """The manifest paths to render afresh; None for all of them. `badges`: the
    component badges' states now (badges.component_badge_states(), by manifest path;
    None renders every one)."""
    if base is None or base.state.chrome != chrome:
        return None
    base_version = base.snapshot.manifest.version
    if not base.state.stamp or version_stamp(base_version) != base.state.stamp:
        return None  # not a render of this database's history
    scope = changes_between(base_version, version)
    if scope.everything:
        return None
    paths = {path_for_url(url) for url in urls}
    fresh = {path for path in paths if path not in base.snapshot.manifest.files}
    fresh |= _every_time()
    if badges is None or base.state.badges is None:
        fresh |= set(badges or ())
    else:
        fresh |= {path for path, shows in badges.items() if base.state.badges.get(path) != shows}
    # Shards that gained a notice since (signing adds without a site change); a new shard
    # is absent from the base and rendered anyway. A minute's slack for the time between
    # signing and the base render's start.
    since = base.snapshot.manifest.generated_at - timedelta(minutes=1)
    fresh |= {
        path_for_url(reverse("public:verify_notices_shard", args=[prefix]))
        for prefix in signing.shards_signed_since(since)
    }
    if notices and notices == base.state.notices:
        # The shards' index: only when a notice was added or removed.
        fresh.discard(path_for_url(reverse("public:verify_notices")))
    recent = _recent_months(now)
    if _month_of(base.snapshot.manifest.generated_at) != _month_of(now):
        # A month began: /history shows another three months, and last month's page
        # now links to a newer one.
        fresh |= {HISTORY, *recent[:2]}
    for kind, view, ids in (
        ("i", "public:incident", scope.incidents),
        ("m", "public:maintenance", scope.maintenance),
    ):
        for public_id in ids:
            key = f"{kind}:{public_id}"
            listed = _listing_pages(key, homes, base.state, paths)
            fresh |= listed
            if {_month_path(page) for page in listed} & set(recent):
                fresh.add(HISTORY)
            try:
                fresh.add(path_for_url(reverse(view, args=[public_id])))
                if kind == "i":  # its follow page names it (absent once it is resolved)
                    fresh.add(path_for_url(reverse("public:incident_follow", args=[public_id])))
            except NoReverseMatch:
                continue  # not an id a page can have: no page to render
    fresh |= _report_pages(
        paths,
        fresh,
        now=now,
        new_month=_month_of(base.snapshot.manifest.generated_at) != _month_of(now),
    )
    # Every page of a month names every other (the pager): when the number of pages of a
    # month changed, each of them is rendered afresh.
    for month in {_month_path(path) for path in fresh if path.startswith(HISTORY + "/")}:
        now_pages = {p for p in paths if p == month or p.startswith(month + "/page/")}
        base_pages = {
            p for p in base.snapshot.manifest.files if p == month or p.startswith(month + "/page/")
        }
        if now_pages != base_pages:
            fresh |= now_pages
    return fresh & paths


def _month_path(page: str) -> str:
    """ "history/2026-11/page/3" -> "history/2026-11"."""
    return page.partition("/page/")[0]


def _page_number(page: str) -> int:
    return int(number) if (number := page.partition("/page/")[2]).isdigit() else 1


def _pages_up_to(page: str, paths: set[str]) -> set[str]:
    """Pages 1 to `page`'s number of its month: an item added or removed there moves
    every newer item by one place (selectors.page_window)."""
    month, last = _month_path(page), _page_number(page)
    return {p for p in paths if _month_path(p) == month and _page_number(p) <= last}


def _listing_pages(key: str, homes: Homes, base: RenderState, paths: set[str]) -> set[str]:
    """The month pages an item's change can have altered: the page listing it (before
    and after); where it was added, removed or moved, every page from there to the
    month's newest too."""
    before, after = base.homes.get(key), homes.pages.get(key)
    before_at = base.positions.get(key) if base.positions is not None else None
    after_at = homes.positions.get(key)
    if base.positions is None:  # an older render state: every page of the months
        return {
            p
            for p in paths
            if p.startswith(HISTORY + "/")
            and _month_path(p) in {_month_path(h) for h in (before, after) if h}
        }
    if (
        before is not None
        and after is not None
        and _month_path(before) == _month_path(after)
        and before_at == after_at
    ):
        return {before, after}
    found: set[str] = set()
    for page in (before, after):
        if page is not None:
            found |= {page} | _pages_up_to(page, paths)
    return found


HISTORY = "history"
REPORT = "report"


def _report_pages(paths: set[str], fresh: set[str], *, now: datetime, new_month: bool) -> set[str]:
    """The reliability report's pages a change can have altered: its index and component
    pages (they include the running month), the running month and quarter, the ones just
    ended when a month began, and those of the months whose history page changed (an
    incident's figures count where it started). A settings change renders everything."""
    periods = {month_of(now), quarter_of(now)}
    if new_month:
        periods |= {month_of(now).previous(), quarter_of(now - timedelta(days=1))}
    for path in fresh:
        if path.startswith(HISTORY + "/") and (month := parse(path.split("/")[1])):
            periods |= {month, quarter_of(month.start)}
    wanted = {REPORT} | {
        f"{REPORT}/{p.slug}{ext}" for p in periods for ext in ("", ".json", ".csv")
    }
    return {p for p in paths if p in wanted or p.startswith(REPORT + "/components/")}


def _every_time() -> set[str]:
    urls = [reverse(f"public:{name}") for name in _RENDERED_EVERY_TIME]
    urls += [reverse("api_v2:" + r.removesuffix(".json").replace("/", "-")) for r in DOCUMENTS]
    urls.append(reverse("public:badge"))  # the overall status, as the front page
    return {path_for_url(url) for url in urls}


def _month_of(at: datetime) -> tuple[int, int]:
    at = at.astimezone(UTC)
    return at.year, at.month


def _recent_months(now: datetime) -> list[str]:
    """The manifest paths of the months /history shows, newest first."""
    month, found = _month_of(now), []
    for _ in range(HISTORY_PAGE_MONTHS):
        found.append(path_for_url(_month_url(*month)))
        month = (month[0] - 1, 12) if month[1] == 1 else (month[0], month[1] - 1)
    return found


# The front page and the uptime bars' details (they move with the clock), the feeds and
# the calendar (short, and they list whatever changed last).
_RENDERED_EVERY_TIME = (
    *("status", "uptime", "history_atom", "history_rss", "maintenance_ics"),
    # Signed notices' index and keys: signing adds to them without a site change.
    *("verify_notices", "signing_keys"),
)


def _month_url(year: int, month: int, page: int = 1) -> str:
    kwargs = {"year": f"{year:04d}", "month": f"{month:02d}"}
    if page == 1:
        return reverse("public:history_month", kwargs=kwargs)
    return reverse("public:history_month_page", kwargs={**kwargs, "page": str(page)})


@dataclass(frozen=True)
class Homes:
    """Where each incident and maintenance window is listed in the history."""

    # "i:<public_id>" / "m:<public_id>" -> the manifest path of its month page.
    pages: dict[str, str]
    # The same keys -> its place in its month, counted from the oldest (0).
    positions: dict[str, int]


def notices_fingerprint() -> str:
    """Which signed notices there are (/verify/notices.json counts them by shard): notices are
    only ever added or removed, never changed, so their number and newest id tell."""
    found = SignedNotice.objects.aggregate(count=Count("pk"), newest=Max("pk"))
    return f"{found['count']}:{found['newest']}"


def item_months() -> Homes:
    """Where each incident and maintenance window is listed in the history: the month of
    its start and the page of it, as selectors.month_history lists them."""
    pages, positions = {}, {}
    # Year and month computed by the database: 10,000 integers load far faster than
    # 10,000 timestamps, and there are only a few months to reverse. The rows come oldest
    # first (the order a month's pages are cut in, selectors.page_window).
    for prefix, field in (("i", "started_at"), ("m", "scheduled_for")):
        query: Any = Incident.objects.all()
        if prefix == "m":  # as selectors lists them: not the ones still only scheduled
            query = Maintenance.objects.exclude(status=MaintenanceStatus.SCHEDULED)
        rows = (
            query.filter(**{f"{field}__isnull": False})
            .annotate(y=ExtractYear(field, tzinfo=UTC), m=ExtractMonth(field, tzinfo=UTC))
            .order_by(field, "pk")
            .values_list("public_id", "y", "m")
        )
        months: dict[tuple[int, int], list[str]] = {}
        for public_id, year, month in rows:
            months.setdefault((year, month), []).append(f"{prefix}:{public_id}")
        for (year, month), keys in months.items():
            urls: dict[int, str] = {}
            for position, key in enumerate(keys):
                page = selectors.page_of(position, len(keys), MONTH_PAGE_SIZE)
                if page not in urls:
                    urls[page] = path_for_url(_month_url(year, month, page))
                pages[key] = urls[page]
                positions[key] = position
    return Homes(pages=pages, positions=positions)


def chrome_fingerprint(request: HttpRequest, *, now: datetime) -> str:
    """A hash of what every page shows besides its own content (see the module docstring)."""
    overall = selectors.overall_indicator()
    parts = {
        "overall": asdict(overall) if is_dataclass(overall) else repr(overall),
        "context": {k: repr(v) for k, v in candor(request).items()},
        "floor": list(history_floor(now)),
        "code": _code_fingerprint(),
        "settings": _settings_fingerprint(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


@functools.cache
def _code_fingerprint() -> str:
    """The templates, code and static files this process renders with (a deploy changes
    it; it cannot change under a running process)."""
    roots = [Path(settings.BASE_DIR) / "templates", Path(settings.BASE_DIR) / "incidents"]
    roots += [Path(d) for d in getattr(settings, "STATICFILES_DIRS", [])]
    digest = hashlib.sha256()
    for root in roots:
        for directory, _, names in sorted(os.walk(root)):
            for name in sorted(names):
                if name.endswith((".pyc", ".pyo")):
                    continue
                stat = os.stat(os.path.join(directory, name))
                digest.update(f"{directory}/{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    static_manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if static_manifest.exists():
        digest.update(static_manifest.read_bytes())
    return digest.hexdigest()


# Settings whose values no page shows: credentials and the like.
_UNSHOWN = ("SECRET", "PASSWORD", "TOKEN", "ACCESS_KEY", "CREDENTIAL")


def _settings_fingerprint() -> dict[str, Any]:
    names = [
        n for n in dir(settings) if n.startswith("CANDOR_") and not any(u in n for u in _UNSHOWN)
    ]
    names += ["STATIC_URL", "TIME_ZONE", "LANGUAGE_CODE", "USE_TZ"]
    return {name: repr(getattr(settings, name, None)) for name in sorted(names)}
