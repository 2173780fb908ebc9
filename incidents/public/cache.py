"""Serving public responses from memory, invalidated on every public change.

The shared cache (Redis in production) holds one small number, the public generation,
bumped after every commit that changes what the public sees. Each web process keeps the
rendered bytes (and a gzip copy) of each public path for the generation it rendered them
in, and re-reads the generation at most every GENERATION_RECHECK_SECONDS: a hit costs no
database query and usually no network round trip, a change reaches every process within
that interval (the process that made it, at once), far inside the max-age that public
responses already allow clients. If the cache is unreachable, renderings live for
UNREACHABLE_TTL_SECONDS instead, so readers are still served and the database is not
flooded; Redis is retried after UNREACHABLE_RETRY_SECONDS.

Stale while revalidating: when the rendering a process holds for a path is out of date
(the generation moved, the day turned, the backstop expired), a reader gets it anyway,
and one background thread per process renders the new one (one render per path at a time
however many readers ask); the next reader after it is ready gets the new bytes. Only a
path with no rendering at all, or one older than STALE_MAX_SECONDS, is rendered inside
the request. Readers never queue behind a render after a change. A background render that
fails drops the old rendering, so the next reader renders in its request and meets the
database error handling below. CANDOR_PUBLIC_REVALIDATE_IN_BACKGROUND=false (the tests'
settings) renders inside the request instead, so a read right after a change sees it.

If the database is unreachable while a response is rendered, the response comes from the
last published snapshot in the local mirror instead (marked `X-Candor-Stale: true`): the
page readers get is the one the mirror serves, with its own "Last updated" time.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import translation
from django.utils.http import http_date

from incidents.audiences.viewer import Viewer, viewer_for, viewing
from incidents.public.cache_control import NO_STORE, PRIVATE_CACHE_CONTROL, public_header
from incidents.publish.audience_mirror import read_private_published
from incidents.publish.targets.local import read_published

log = logging.getLogger(__name__)

GENERATION_KEY = "public:generation"
# A backstop for content that moves with the clock alone (a maintenance window becoming
# "upcoming in an hour"); every real change bumps the generation at once.
LOCAL_MAX_AGE_SECONDS = 60.0
LOCAL_MAX_ENTRIES = 512
GENERATION_RECHECK_SECONDS = 0.25
UNREACHABLE_TTL_SECONDS = 2.0
UNREACHABLE_RETRY_SECONDS = 1.0
# Older than this, a rendering is not served even while its successor renders.
STALE_MAX_SECONDS = 300.0


@dataclass(frozen=True)
class Rendered:
    body: bytes
    content_type: str
    status: int = 200


@dataclass(frozen=True)
class Cached:
    """A rendering as served: its ETag, and a gzip copy made once, not once per request."""

    generation: int | None
    day: str
    stored: float
    etag: str
    rendered: Rendered
    gzipped: bytes | None

    @property
    def gzip_etag(self) -> str:
        # A strong ETag names one representation; the compressed bytes are another.
        return self.etag[:-1] + '-gz"'


# Below this, compressing costs more than it saves on the wire.
GZIP_MIN_BYTES = 1024


def _prepare(rendered: Rendered, generation: int | None, day: str, now: float) -> Cached:
    gzipped = None
    if len(rendered.body) >= GZIP_MIN_BYTES:
        gzipped = gzip.compress(rendered.body, compresslevel=6, mtime=0)
    return Cached(generation, day, now, _etag(rendered.body), rendered, gzipped)


_entries: OrderedDict[str, Cached] = OrderedDict()
_lock = threading.Lock()


@dataclass
class _GenerationMemo:
    value: int | None = None
    read_at: float = float("-inf")  # when `value` was read from the shared cache
    failed_at: float = float("-inf")  # when the shared cache last failed to answer


_memo = _GenerationMemo()
_rendering = threading.local()
# After a database error, this process answers from the snapshot without trying the
# database again for DATABASE_RETRY_SECONDS: each try may cost a connect timeout, and a
# crowd of readers must not queue behind them while the database is away.
DATABASE_RETRY_SECONDS = 5.0
_database_down_until = 0.0


@contextmanager
def rendering_fresh() -> Iterator[None]:
    """In this thread, render every public response from the database: no cached copy, no
    snapshot fallback (a database error propagates). The snapshot renderer's mode: a
    publication must never be made of an older rendering, nor of an older publication.
    """
    _rendering.fresh = True
    try:
        yield
    finally:
        _rendering.fresh = False


def reset() -> None:
    """Forget every rendering and the remembered generation (after a change; in tests),
    and that the database was down: a change has just committed to it."""
    global _database_down_until
    _database_down_until = 0.0
    with _lock:
        _entries.clear()
        _memo.value, _memo.read_at, _memo.failed_at = None, float("-inf"), float("-inf")


def public_changed() -> None:
    """Call after a commit that changes anything public (lifecycle does)."""
    global _database_down_until
    _database_down_until = 0.0  # a change has just committed to it
    with _lock:
        # Re-read the generation at once; keep the renderings to serve while revalidating
        # (without that, drop them: the next read renders this change).
        _memo.value, _memo.read_at, _memo.failed_at = None, float("-inf"), float("-inf")
        if not settings.CANDOR_PUBLIC_REVALIDATE_IN_BACKGROUND:
            _entries.clear()
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # missing: first change, or the cache was flushed
        cache.set(GENERATION_KEY, secrets.randbits(48), timeout=None)
    except Exception:  # the cache being down must never fail a write that has committed
        log.warning("public cache unreachable; generation not bumped", exc_info=True)


def current_generation() -> int | None:
    """The public generation, or None while the shared cache is unreachable."""
    now = time.monotonic()
    if now - _memo.read_at < GENERATION_RECHECK_SECONDS:
        return _memo.value
    if now - _memo.failed_at < UNREACHABLE_RETRY_SECONDS:
        return None
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            cache.add(GENERATION_KEY, secrets.randbits(48), timeout=None)
            generation = cache.get(GENERATION_KEY)
    except Exception:
        log.warning("public cache unreachable; serving short-lived renderings", exc_info=True)
        _memo.failed_at = now
        return None
    _memo.value, _memo.read_at = int(generation), now
    return _memo.value


def _fresh(entry: Cached, generation: int | None, day: str, now: float) -> bool:
    age = now - entry.stored
    if generation is None:
        return age < UNREACHABLE_TTL_SECONDS
    return entry.generation == generation and entry.day == day and age < LOCAL_MAX_AGE_SECONDS


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def cached_render(key: str, render: Callable[[], Rendered]) -> Cached:
    """The rendering of `key` in the active language for the current generation.

    Keyed by the language as well as the path, and rendered in it even in the background
    thread (whose own active language is nobody's), so no reader gets another language's
    bytes whatever the path says.
    """
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = f"{language}|{key}"
    render = _in_language(language, render)
    day = datetime.now(UTC).date().isoformat()  # uptime bars move at midnight UTC
    if getattr(_rendering, "fresh", False):
        return _prepare(render(), None, day, time.monotonic())
    generation = current_generation()
    now = time.monotonic()
    with _lock:
        entry = _entries.get(key)
    if entry is not None and _fresh(entry, generation, day, now):
        return entry
    if (
        entry is not None
        and settings.CANDOR_PUBLIC_REVALIDATE_IN_BACKGROUND
        and now - entry.stored < STALE_MAX_SECONDS
    ):
        _revalidate(key, render, generation, day)
        return entry
    return _store(key, _prepare(render(), generation, day, now))


def _in_language(language: str, render: Callable[[], Rendered]) -> Callable[[], Rendered]:
    def rendered_in_language() -> Rendered:
        with translation.override(language):
            return render()

    return rendered_in_language


def _store(key: str, entry: Cached) -> Cached:
    if entry.rendered.status == 200:
        with _lock:
            _entries[key] = entry
            _entries.move_to_end(key)
            while len(_entries) > LOCAL_MAX_ENTRIES:
                _entries.popitem(last=False)
    return entry


_revalidating: set[str] = set()
_revalidator: ThreadPoolExecutor | None = None


def _revalidate(key: str, render: Callable[[], Rendered], generation: int | None, day: str) -> None:
    """Render `key` in the background unless it is already being rendered."""
    global _revalidator
    with _lock:
        if key in _revalidating:
            return
        _revalidating.add(key)
        if _revalidator is None:
            # One thread: renders are CPU-bound, a second would only slow the readers.
            _revalidator = ThreadPoolExecutor(1, thread_name_prefix="candor-revalidate")
    try:
        _revalidator.submit(_render_in_background, key, render, generation, day)
    except RuntimeError:  # shutting down: the next reader renders
        with _lock:
            _revalidating.discard(key)


def _render_in_background(
    key: str, render: Callable[[], Rendered], generation: int | None, day: str
) -> None:
    try:
        entry = _store(key, _prepare(render(), generation, day, time.monotonic()))
        if entry.rendered.status != 200:  # gone (a 404 is not kept): stop serving the old
            with _lock:
                _entries.pop(key, None)
    except Exception:
        log.warning("revalidating %s failed; the next reader renders it", key, exc_info=True)
        with _lock:
            _entries.pop(key, None)
    finally:
        with _lock:
            _revalidating.discard(key)
        connection.close()  # this thread's own connection


def revalidations_settled(timeout: float = 10.0) -> bool:
    """Wait until no background render is under way (tests, benchmarks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with _lock:
            if not _revalidating:
                return True
        time.sleep(0.005)
    return False


def public_response(
    request: HttpRequest, key: str, render: Callable[[], Rendered], *, cors: bool = False
) -> HttpResponse:
    """A cacheable public response: gzip when accepted, ETag revalidation, Cache-Control.

    A reader of audiences (audiences/viewer.py) gets the page rendered for them instead,
    outside this cache and marked private: it never enters a shared cache or a CDN."""
    global _database_down_until
    fresh = getattr(_rendering, "fresh", False)
    if not fresh:
        try:
            viewer = viewer_for(request)
        except (OperationalError, InterfaceError):  # and no remembered audiences: unknown
            viewer = Viewer.PUBLIC
        if not viewer.public:
            return _private_response(request, viewer, render)
    if not fresh and time.monotonic() < _database_down_until:
        return _stale_response(request, cors=cors)
    try:
        entry = cached_render(key, render)
    except (OperationalError, InterfaceError):
        if fresh:
            raise
        log.warning("database unreachable; serving %s from the last snapshot", key, exc_info=True)
        _database_down_until = time.monotonic() + DATABASE_RETRY_SECONDS
        return _stale_response(request, cors=cors)
    rendered = entry.rendered
    compressed = entry.gzipped is not None and _accepts_gzip(request)
    etag = entry.gzip_etag if compressed else entry.etag
    response: HttpResponse
    if rendered.status == 200 and _none_match_hits(request, etag):
        response = HttpResponseNotModified()
    elif compressed:
        response = HttpResponse(
            entry.gzipped, content_type=rendered.content_type, status=rendered.status
        )
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(
            rendered.body, content_type=rendered.content_type, status=rendered.status
        )
    response["ETag"] = etag
    response["Cache-Control"] = public_header()
    if cors:
        response["Access-Control-Allow-Origin"] = "*"
    response["Vary"] = "Accept-Encoding"  # a new response: nothing to merge with yet
    return response


# Cookie: the session says who reads; Authorization: an audience token does.
PRIVATE_VARY = "Cookie, Authorization, Accept-Encoding"


def _private_response(
    request: HttpRequest, viewer: Viewer, render: Callable[[], Rendered]
) -> HttpResponse:
    """The response for one reader of audiences: rendered for them, never stored. With
    the database down, their audience's last private snapshot (publish/audiences.py)."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    try:
        with viewing(viewer):
            rendered = _in_language(language, render)()
    except (OperationalError, InterfaceError):
        log.warning("database unreachable; serving %s from a private snapshot", request.path)
        response = _private_stale_response(request, viewer)
    else:
        response = HttpResponse(
            rendered.body, content_type=rendered.content_type, status=rendered.status
        )
    response["Cache-Control"] = PRIVATE_CACHE_CONTROL
    response["Vary"] = PRIVATE_VARY
    return response


def _private_stale_response(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    published = read_private_published(viewer, request.path)
    if published is None or published.body is None:
        response = HttpResponse(
            b"This page is temporarily unavailable.\n",
            content_type="text/plain; charset=utf-8",
            status=503,
        )
        response["Retry-After"] = "30"
        return response
    body = published.body
    if published.content_type.startswith("text/html"):
        body = _say_as_of(body, published.generated_at)
    response = HttpResponse(body, content_type=published.content_type)
    response["X-Candor-Stale"] = "true"
    return response


def _stale_response(request: HttpRequest, *, cors: bool) -> HttpResponse:
    """The last published copy of this page, for when it cannot be rendered now."""
    response: HttpResponse
    published = read_published(request.path)
    if published is None:
        response = HttpResponse(
            b"This page is temporarily unavailable.\n",
            content_type="text/plain; charset=utf-8",
            status=503,
        )
        response["Retry-After"] = "30"
        # Never cached: a CDN keeps serving its last copy of the page (stale-if-error).
        response["Cache-Control"] = NO_STORE
    elif published.body is None:
        response = HttpResponse(
            b"Not found in the last published copy of this site.\n",
            content_type="text/plain; charset=utf-8",
            status=404,
        )
    else:
        body = published.body
        if published.content_type.startswith("text/html"):
            body = _say_as_of(body, published.generated_at)
        response = HttpResponse(body, content_type=published.content_type)
        response["Last-Modified"] = http_date(published.generated_at.timestamp())
    response["X-Candor-Stale"] = "true"
    response["Warning"] = '110 - "Response is Stale"'
    # Short, so clients come back for the live page as soon as the database does.
    if response.status_code != 503:
        response["Cache-Control"] = public_header()
    if cors:
        response["Access-Control-Allow-Origin"] = "*"
    return response


# Left in every published page (templates/public/base.html) for the notice below.
AS_OF_MARKER = b"<!--candor:as-of-->"


def _say_as_of(body: bytes, generated_at: datetime) -> bytes:
    """Tells readers the page is the last published copy, and from when: the header
    alone would let an old "All systems operational" pass for the present."""
    when = generated_at.astimezone(UTC)
    stamp = (
        when.strftime("%H:%M UTC")
        if when.date() == datetime.now(UTC).date()
        else (when.strftime("%H:%M UTC on %-d %b %Y"))
    )
    notice = (
        '<p class="notice notice--stale" role="status"><strong>Showing the status as of '
        f"{stamp}.</strong> The live page cannot be reached; this is the last published "
        "copy.</p>"
    ).encode()
    return body.replace(AS_OF_MARKER, notice, 1)


def _accepts_gzip(request: HttpRequest) -> bool:
    # META, not request.headers: building the headers mapping walks every META key, a
    # cost paid per request on the cached path (bench/README.md, serving section).
    header = request.META.get("HTTP_ACCEPT_ENCODING", "")
    for coding in header.split(","):
        name, _, params = coding.strip().partition(";")
        if name.strip().lower() == "gzip":
            return params.replace(" ", "") not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}
    return False


def _none_match_hits(request: HttpRequest, etag: str) -> bool:
    """If-None-Match as RFC 9110 13.1.2 has it: weak comparison (W/ ignored), any tag of
    the list, and `*` for any current representation (a 200 here always is one)."""
    header = request.META.get("HTTP_IF_NONE_MATCH", "")
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
    return "*" in tags or etag in tags
