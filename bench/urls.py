"""Candor's URLs plus the reference: a bare view returning bytes from the same cache."""

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

REFERENCE_KEY = "bench:reference-bytes"
REFERENCE_GZIP_KEY = "bench:reference-gzip"


def bare_cached(request: HttpRequest) -> HttpResponse:
    body = cache.get(REFERENCE_KEY)
    return HttpResponse(body, content_type="text/html; charset=utf-8")


def bare_cached_gzip(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(cache.get(REFERENCE_GZIP_KEY), content_type="text/html; charset=utf-8")
    response["Content-Encoding"] = "gzip"
    return response


urlpatterns = [
    path("bench/bare/", bare_cached),
    path("bench/bare-gzip/", bare_cached_gzip),
    path("", include("statuspage.urls")),
]


# The fair reference for a page kept in process memory: the same bytes, no cache round trip.
MEMORY: dict[str, bytes] = {}


def bare_memory(request: HttpRequest) -> HttpResponse:
    return HttpResponse(MEMORY.get("page", b""), content_type="text/html; charset=utf-8")


urlpatterns.insert(0, path("bench/bare-memory/", bare_memory))
