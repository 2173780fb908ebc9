"""Finding a vendor's status document from the URL an Admin typed.

Most people paste the status page itself (https://status.example.com), not its API: when
the URL given is not a status document, the Statuspage v2 path under it is tried
(`/api/v2/summary.json`, which Candor serves too). Feeds must be given by their own URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from incidents.vendors.document import DocumentError, Reading, read
from incidents.vendors.fetch import Fetched, FetchError, fetch, vendor_session

SUMMARY_PATH = "/api/v2/summary.json"


class ProbeError(Exception):
    """Nothing readable was found; the message says what was tried and why it failed."""


@dataclass(frozen=True)
class Found:
    url: str
    fetched: Fetched
    reading: Reading


def _try(url: str, *, now: datetime) -> Found:
    with vendor_session() as session:
        fetched = fetch(session, url)
    return Found(url, fetched, read(fetched.body, now=now))


def candidates(url: str) -> list[str]:
    parts = urlsplit(url)
    if parts.path.endswith(SUMMARY_PATH) or parts.query:
        return [url]
    base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
    return [url, base + SUMMARY_PATH]


def probe(url: str, *, now: datetime) -> Found:
    problems = []
    for candidate in candidates(url):
        try:
            return _try(candidate, now=now)
        except (FetchError, DocumentError) as exc:
            problems.append(f"{candidate}: {exc}")
    raise ProbeError("; ".join(problems))
