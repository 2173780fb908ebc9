"""Candor's URLs plus the reference: a bare view returning bytes from the same cache."""

import gzip
import os
from pathlib import Path

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import path

from statuspage import urls as statuspage_urls

REFERENCE_KEY = "bench:reference-bytes"
REFERENCE_GZIP_KEY = "bench:reference-gzip"


def bare_cached(request: HttpRequest) -> HttpResponse:
    body = cache.get(REFERENCE_KEY)
    return HttpResponse(body, content_type="text/html; charset=utf-8")


def bare_cached_gzip(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(cache.get(REFERENCE_GZIP_KEY), content_type="text/html; charset=utf-8")
    response["Content-Encoding"] = "gzip"
    return response


# Candor's own patterns at the root, not under an include(""): `/` resolves as in production.
urlpatterns = [
    path("bench/bare/", bare_cached),
    path("bench/bare-gzip/", bare_cached_gzip),
    *statuspage_urls.urlpatterns,
]
handler404 = statuspage_urls.handler404
handler500 = statuspage_urls.handler500


# The fair reference for a page kept in process memory: the same bytes, no cache round trip.
# In-process benchmarks fill MEMORY themselves; a server's workers read the bytes once, on
# their first request, from the file CANDOR_BENCH_REFERENCE_FILE names
# (bench/serving_fair.py writes it after fetching Candor's `/` from the same server).
MEMORY: dict[str, bytes] = {}


def _reference(name: str) -> bytes:
    if name not in MEMORY and (reference_file := os.environ.get("CANDOR_BENCH_REFERENCE_FILE")):
        page = Path(reference_file).read_bytes()
        MEMORY.update(page=page, gzip=gzip.compress(page, 6, mtime=0))
    return MEMORY.get(name, b"")


def bare_memory(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_reference("page"), content_type="text/html; charset=utf-8")


def bare_memory_gzip(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_reference("gzip"), content_type="text/html; charset=utf-8")
    response["Content-Encoding"] = "gzip"
    return response


urlpatterns.insert(0, path("bench/bare-memory/", bare_memory))
urlpatterns.insert(0, path("bench/bare-memory-gzip/", bare_memory_gzip))
# The same view, routed by bench/wsgi.py through the public read path's middleware.
urlpatterns.insert(0, path("bench/bare-memory-lean/", bare_memory))
