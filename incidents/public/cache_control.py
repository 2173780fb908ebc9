"""The Cache-Control every public response carries, so a CDN or caching proxy in front of
the page keeps serving it through a surge and when the origin fails (RFC 9111, RFC 5861).

- `max-age`: how long a browser reuses its copy (short: a status page must not lag).
- `s-maxage`: how long a shared cache (CDN, nginx proxy_cache) serves its copy without
  asking the origin; during an outage's surge, every reader within it costs the origin nothing.
- `stale-while-revalidate`: after that, the cache keeps answering from its copy while it
  fetches the next one in the background, so no reader waits on the origin.
- `stale-if-error`: if the origin answers 5xx or not at all, the cache serves its last copy
  for this long instead of the error (a page that goes down with what it reports on is
  worse than a page a few minutes old, which says its age: "as of ...").

Errors themselves are `no-store`, so no cache keeps an error in place of the page.
"""

from __future__ import annotations

from django.conf import settings

NO_STORE = "no-store"
# A page rendered for one reader of audiences: no cache but the reader's may keep it, and
# theirs not on disk (a shared computer).
PRIVATE_CACHE_CONTROL = "private, no-store"


def public_cache_control(
    *, max_age: int, shared_max_age: int, stale_while_revalidate: int, stale_if_error: int
) -> str:
    parts = [f"public, max-age={max_age}", f"s-maxage={shared_max_age}"]
    if stale_while_revalidate:
        parts.append(f"stale-while-revalidate={stale_while_revalidate}")
    if stale_if_error:
        parts.append(f"stale-if-error={stale_if_error}")
    return ", ".join(parts)


def public_header() -> str:
    """The header for a public page, feed or JSON document, from the settings."""
    return public_cache_control(
        max_age=settings.CANDOR_PUBLIC_MAX_AGE,
        shared_max_age=settings.CANDOR_PUBLIC_SHARED_MAX_AGE,
        stale_while_revalidate=settings.CANDOR_PUBLIC_STALE_WHILE_REVALIDATE,
        stale_if_error=settings.CANDOR_PUBLIC_STALE_IF_ERROR,
    )
