"""Signing the notices before a render: only those of what changed since this process
last signed them all.

Every published update and postmortem is signed as it reads (incidents/signing.py)
before a snapshot is rendered. Reading every one of them before every publish was 12%
of an update's render at 10,000 incidents in a profile, and reading only what changed
took 12% off an update in an A/B (bench/README.md): a change touches the notices of the
incidents and windows it names, and no others. So a
process remembers the site version up to which it has signed every notice, with that
version's stamp (changes.version_stamp), and next time reads only the updates of what
changed since (changes.changes_between). Anything it cannot tell (no version signed
yet, a stamp that differs: another database, a restored one; a change that did not say,
a pruned record) reads them all, as before.
"""

from __future__ import annotations

import logging
import threading

from incidents import signing
from incidents.publish.changes import changes_between, version_stamp
from incidents.publish.versions import site_version

log = logging.getLogger(__name__)

# More changed incidents and windows than this are read as every notice: one query with
# thousands of ids is no cheaper, and SQLite refuses over 32,766 of them.
MOST_BY_ID = 500

_lock = threading.Lock()
# (version, its stamp): every notice of that version and before is signed.
_signed_up_to: tuple[int, str] | None = None


def notices_sign_changed() -> int:
    """Sign the notices not signed as they read, reading only what changed since the
    last call that signed them all; how many were signed. Never raises for want of a
    key: the notices stay pending (logged) and the next call reads them all again."""
    global _signed_up_to
    # Read first: every change up to this version has committed, so the reads below see
    # it; a change committed meanwhile is counted in the next call's range.
    version = site_version()
    stamp = version_stamp(version)
    with _lock:
        signed = _signed_up_to
    scope = None
    if signed is not None and signed[1] and version_stamp(signed[0]) == signed[1]:
        changed = changes_between(signed[0], version)
        if not changed.everything and len(changed.incidents | changed.maintenance) <= MOST_BY_ID:
            scope = changed
    try:
        if scope is None:
            count = signing.notices_sign_pending()
        else:
            count = signing.notices_sign_pending(
                incidents=scope.incidents, maintenance=scope.maintenance
            )
    except signing.NoticesUnsigned:
        with _lock:
            _signed_up_to = None  # read them all next time
        return 0
    with _lock:
        _signed_up_to = (version, stamp) if stamp else None
    return count


def notices_forget() -> None:
    """Read every notice next time (tests: a database of their own each)."""
    global _signed_up_to
    with _lock:
        _signed_up_to = None
