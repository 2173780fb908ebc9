"""Serving public responses from memory, invalidated on every public change.

The shared cache (Redis in production) holds one small number, the public generation,
bumped after every commit that changes what the public sees. Each web process keeps the
rendered bytes of each public path for the generation it rendered them in. A request costs
one small cache read and no database query; a change costs each process one render per path.
If the cache itself is unreachable, every request renders from the database: slower, still right.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers

log = logging.getLogger(__name__)

GENERATION_KEY = "public:generation"
# A backstop for content that moves with the clock alone (a maintenance window becoming
# "upcoming in an hour"); every real change bumps the generation at once.
LOCAL_MAX_AGE_SECONDS = 60.0
LOCAL_MAX_ENTRIES = 512


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


def public_changed() -> None:
    """Call after a commit that changes anything public (lifecycle does)."""
    with _lock:
        _entries.clear()
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # missing: first change, or the cache was flushed
        cache.set(GENERATION_KEY, secrets.randbits(48), timeout=None)
    except Exception:  # the cache being down must never fail a write that has committed
        log.warning("public cache unreachable; generation not bumped", exc_info=True)


def current_generation() -> int | None:
    try:
        generation = cache.get(GENERATION_KEY)
        if generation is None:
            cache.add(GENERATION_KEY, secrets.randbits(48), timeout=None)
            generation = cache.get(GENERATION_KEY)
    except Exception:
        log.warning("public cache unreachable; rendering without it", exc_info=True)
        return None
    return int(generation) if generation is not None else None


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def cached_render(key: str, render: Callable[[], Rendered]) -> Cached:
    """The rendering of `key` for the current generation."""
    generation = current_generation()
    day = datetime.now(UTC).date().isoformat()  # uptime bars move at midnight UTC
    now = time.monotonic()
    if generation is not None:
        with _lock:
            entry = _entries.get(key)
        if (
            entry is not None
            and entry.generation == generation
            and entry.day == day
            and now - entry.stored < LOCAL_MAX_AGE_SECONDS
        ):
            return entry
    entry = _prepare(render(), generation, day, now)
    if generation is not None and entry.rendered.status == 200:
        with _lock:
            _entries[key] = entry
            _entries.move_to_end(key)
            while len(_entries) > LOCAL_MAX_ENTRIES:
                _entries.popitem(last=False)
    return entry


def public_response(
    request: HttpRequest, key: str, render: Callable[[], Rendered], *, cors: bool = False
) -> HttpResponse:
    """A cacheable public response: gzip when accepted, ETag revalidation, Cache-Control."""
    entry = cached_render(key, render)
    rendered = entry.rendered
    compressed = entry.gzipped is not None and _accepts_gzip(request)
    etag = entry.gzip_etag if compressed else entry.etag
    response: HttpResponse
    if rendered.status == 200 and etag in _if_none_match(request):
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
    response["Cache-Control"] = f"public, max-age={settings.CANDOR_PUBLIC_MAX_AGE}"
    if cors:
        response["Access-Control-Allow-Origin"] = "*"
    patch_vary_headers(response, ["Accept-Encoding"])
    return response


def _accepts_gzip(request: HttpRequest) -> bool:
    header = request.headers.get("Accept-Encoding", "")
    for coding in header.split(","):
        name, _, params = coding.strip().partition(";")
        if name.strip().lower() == "gzip":
            return params.replace(" ", "") not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}
    return False


def _if_none_match(request: HttpRequest) -> set[str]:
    header = request.headers.get("If-None-Match", "")
    tags = {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
    return tags
