"""A "last verified" stamp in every copy of the site, refreshed by a small checker that
reads each target as a reader would, even when nothing changes: a copy that stopped
receiving updates keeps an old stamp, and its page says so.

Every minute (beat: publish-verify-stamp) the checker reads each target's own manifest,
from the target (the mirror's tree, the bucket), not from what the publisher recorded, and
compares its version with the site's. Where they agree it writes `verified.json` into that
copy: {"verified_at", "version"}. Where they do not, it writes nothing: the stamp ages.
Pages show it through a small script (static/candor/verified.js) that reads
/verified.json from wherever the page was served; without script, the page's own
"generated" time is what shows.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from django.core.cache import cache

from incidents.publish.targets import configured_targets
from incidents.publish.targets.base import STAMP_PATH, TargetError
from incidents.publish.versions import site_version

log = logging.getLogger(__name__)

VERIFIED_PATH = STAMP_PATH
LIVE_KEY = "candor:verified"  # the live app's own answer, for /verified.json


def stamp_document(*, version: int, at: datetime) -> bytes:
    text = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"verified_at": text, "version": version}, separators=(",", ":")).encode()


def stamp_targets(*, now: datetime | None = None) -> dict[str, str]:
    """Stamp every copy that serves the current version; what each target got."""
    now = now or datetime.now(UTC)
    version = site_version()
    outcome = {}
    stamped = False
    for target in configured_targets():
        try:
            served = target.current()
            if served is None or served.version < version:
                outcome[target.name] = "behind"
                continue
            target.stamp(VERIFIED_PATH, stamp_document(version=served.version, at=now))
        except (TargetError, OSError) as error:
            log.warning("could not stamp %s: %s", target.name, error)
            outcome[target.name] = "error"
            continue
        outcome[target.name] = "verified"
        stamped = True
    if stamped or not outcome:
        # The live app is current by construction; it answers as of this check.
        cache.set(LIVE_KEY, stamp_document(version=version, at=now), timeout=None)
    return outcome


def live_document() -> bytes:
    """/verified.json as the live app answers it: the last check's, or none yet."""
    stored = cache.get(LIVE_KEY)
    return stored if isinstance(stored, bytes) else b'{"verified_at":null,"version":null}'
