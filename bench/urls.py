"""Candor's URLs plus the reference: a bare view returning bytes from the same cache."""

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

REFERENCE_KEY = "bench:reference-bytes"


def bare_cached(request: HttpRequest) -> HttpResponse:
    body = cache.get(REFERENCE_KEY)
    return HttpResponse(body, content_type="text/html; charset=utf-8")


urlpatterns = [
    path("bench/bare/", bare_cached),
    path("", include("statuspage.urls")),
]
