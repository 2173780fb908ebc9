"""One polite, bounded GET of a vendor's status document.

Polite: the validators of the last answer go back as If-None-Match / If-Modified-Since,
so an unchanged document costs the vendor a 304 and us no parsing. Bounded: a connect
and read timeout, a deadline for the whole body (a server trickling one byte a second
passes every read timeout), and a size cap. Safe: the same pinned, SSRF-checked
connection as webhooks (notify/transports/webhook.py), no proxy from the environment, no
redirects followed (one could lead inside our network).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import requests
from django.conf import settings
from django.core.exceptions import ValidationError

from incidents.notify.transports.webhook import PinnedAdapter

USER_AGENT = "Candor-VendorPoller/1 (+https://github.com/candor-status/candor)"
ACCEPT = (
    "application/json, application/atom+xml, application/rss+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.1"
)


class FetchError(Exception):
    """The vendor's page could not be read; `message` says why, for the console."""


@dataclass(frozen=True)
class Fetched:
    not_modified: bool
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""


def vendor_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    adapter = PinnedAdapter(allow_private=settings.CANDOR_VENDOR_ALLOW_PRIVATE)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def fetch(
    session: requests.Session, url: str, *, etag: str = "", last_modified: str = ""
) -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    timeout = settings.CANDOR_VENDOR_TIMEOUT
    deadline = time.monotonic() + timeout
    try:
        response = session.get(
            url, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        )
    except ValidationError as exc:  # the host resolves inside our network
        raise FetchError(exc.messages[0]) from None
    except requests.Timeout:
        raise FetchError(f"no answer within {timeout} s") from None
    except requests.RequestException as exc:
        raise FetchError(f"unreachable ({type(exc).__name__})") from None
    except (UnicodeError, ValueError) as exc:  # a host name IDNA or urllib3 cannot take
        raise FetchError(f"not a usable address ({type(exc).__name__})") from None
    with response:
        if response.status_code == 304:
            return Fetched(not_modified=True)
        if 300 <= response.status_code < 400:
            where = response.headers.get("Location", "")[:200]
            raise FetchError(f"redirected ({response.status_code}) to {where!r}: use that URL")
        if response.status_code != 200:
            raise FetchError(f"answered HTTP {response.status_code}")
        body = _read_bounded(response, deadline=deadline, timeout=timeout)
        return Fetched(
            not_modified=False,
            body=body,
            etag=response.headers.get("ETag", "")[:300],
            last_modified=response.headers.get("Last-Modified", "")[:100],
            content_type=response.headers.get("Content-Type", "")[:100],
        )


def _read_bounded(response: requests.Response, *, deadline: float, timeout: float) -> bytes:
    limit = settings.CANDOR_VENDOR_MAX_BYTES
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FetchError(f"the document is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(chunk_size=64 * 1024):
            size += len(chunk)
            if size > limit:
                raise FetchError(f"the document is larger than {limit} bytes")
            if time.monotonic() > deadline:
                raise FetchError(f"the document took longer than {timeout} s to arrive")
            chunks.append(chunk)
    except requests.RequestException as exc:
        raise FetchError(f"the answer broke off ({type(exc).__name__})") from None
    return b"".join(chunks)
