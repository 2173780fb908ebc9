"""Reading a page through Statuspage's management API v1, politely and within bounds.

Statuspage paginates with `page` and `per_page` (components, groups), `page` and `limit`
(incidents), and, on the subscribers list, `page` counted from 0 with `limit`. It answers
too many requests with 429 (formerly 420) and a Retry-After: the request is retried after
that many seconds, a bounded number of times, and never waits longer than
CANDOR_IMPORT_MAX_WAIT (the sleeper is injected, so tests never sleep). 401 and 404 are
final. The connection is the webhooks' pinned, SSRF-checked one (PinnedAdapter): a base URL
inside our network is refused unless CANDOR_IMPORT_ALLOW_PRIVATE (tests only).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ValidationError

from incidents.notify.transports.webhook import PinnedAdapter

DEFAULT_BASE_URL = "https://api.statuspage.io/v1"
USER_AGENT = "Candor-Importer/1 (+https://github.com/candor-status/candor)"
PER_PAGE = 100
RATE_LIMITED = (420, 429)


class ImportFailure(Exception):
    """The source cannot be read any further; the message says why, for the report."""


@dataclass(frozen=True)
class Listing:
    """How one resource is listed: its path under the page and its paging parameters."""

    path: str
    size_param: str = "per_page"
    first_page: int = 1


COMPONENT_GROUPS = Listing("component-groups")
COMPONENTS = Listing("components")
INCIDENTS = Listing("incidents", size_param="limit")
SUBSCRIBERS = Listing("subscribers", size_param="limit", first_page=0)


def import_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    adapter = PinnedAdapter(allow_private=settings.CANDOR_IMPORT_ALLOW_PRIVATE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass
class StatuspageClient:
    page_id: str
    api_key: str
    base_url: str = DEFAULT_BASE_URL
    session: requests.Session = field(default_factory=import_session)
    sleep: Callable[[float], None] = time.sleep
    requests_made: int = 0
    waited_seconds: float = 0.0

    def url(self, path: str) -> str:
        return f"{self.base_url.rstrip('/')}/pages/{self.page_id}/{path}"

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """The decoded JSON at `path`, after retrying rate limits and passing failures."""
        retries = settings.CANDOR_IMPORT_RETRIES
        for attempt in range(retries + 1):
            status, headers, body = self._get_once(path, params)
            if status == 200:
                try:
                    return json.loads(body)
                except ValueError:
                    raise ImportFailure(f"{path}: the answer is not JSON") from None
            if status == 401:
                raise ImportFailure("Statuspage refused the API key (401): check it")
            if status == 403:
                raise ImportFailure("the API key may not read this page (403)")
            if status == 404:
                raise ImportFailure(f"{path}: not found (404): check the page id")
            retryable = status in RATE_LIMITED or status >= 500 or status == 0
            if not retryable or attempt == retries:
                reason = "rate limited" if status in RATE_LIMITED else f"HTTP {status}"
                raise ImportFailure(f"{path}: {reason} after {attempt + 1} attempts")
            self._wait(attempt, headers.get("Retry-After", ""))
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(
        self, listing: Listing, *, start: int | None = None
    ) -> Iterator[tuple[int, list[Any]]]:
        """(page number, items) from `start` on, until a short page."""
        number = listing.first_page if start is None else start
        previous: list[Any] | None = None
        while True:
            params: dict[str, Any] = {"page": number, listing.size_param: PER_PAGE}
            if listing is SUBSCRIBERS:
                params |= {"state": "active", "sort_field": "created_at"}
            items = self.get(listing.path, params)
            if not isinstance(items, list):
                raise ImportFailure(f"{listing.path}: expected a list, got {type(items).__name__}")
            if items and items == previous:  # a source that ignores `page` would loop forever
                raise ImportFailure(f"{listing.path}: page {number} repeats the page before it")
            yield number, items
            if len(items) < PER_PAGE:
                return
            previous = items
            number += 1

    def unconfirmed_subscribers(self) -> int | None:
        """How many subscribers never confirmed (not imported), by Statuspage's count;
        None if it cannot say (the count is for the report only)."""
        try:
            counts = self.get("subscribers/count", {"state": "unconfirmed"})
        except ImportFailure:
            return None
        if not isinstance(counts, dict):
            return None
        return sum(n for n in counts.values() if isinstance(n, int) and n >= 0)

    def _wait(self, attempt: int, retry_after: str) -> None:
        wait = float(min(2**attempt, 60))  # without Retry-After: 1, 2, 4 ... seconds
        if retry_after.strip().isdigit():
            wait = float(retry_after.strip())
        wait = min(wait, float(settings.CANDOR_IMPORT_MAX_WAIT))
        self.waited_seconds += wait
        self.sleep(wait)

    def _get_once(
        self, path: str, params: dict[str, Any] | None
    ) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body); status 0 when the request did not get an answer."""
        self.requests_made += 1
        timeout = settings.CANDOR_IMPORT_TIMEOUT
        headers = {
            "Authorization": f"OAuth {self.api_key}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        try:
            response = self.session.get(
                self.url(path),
                params=params,
                headers=headers,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
        except ValidationError as exc:  # the host resolves inside our network
            raise ImportFailure(exc.messages[0]) from None
        except (UnicodeError, ValueError) as exc:
            raise ImportFailure(f"not a usable address ({type(exc).__name__})") from None
        except requests.RequestException:
            return 0, {}, b""
        with response:
            if response.status_code != 200:
                return response.status_code, dict(response.headers), b""
            return 200, dict(response.headers), _read_bounded(response)


def _read_bounded(response: requests.Response) -> bytes:
    limit = settings.CANDOR_IMPORT_MAX_BYTES
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(chunk_size=256 * 1024):
            size += len(chunk)
            if size > limit:
                raise ImportFailure(f"an answer is larger than {limit} bytes")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise ImportFailure(f"the answer broke off ({type(exc).__name__})") from None
    return b"".join(chunks)
