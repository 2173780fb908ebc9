"""Public identifiers: short, unguessable and stable, like Statuspage's own ids.

Statuspage clients treat ids as opaque strings; sequential integers would also leak how
many incidents a company has had.
"""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
PUBLIC_ID_LENGTH = 12


def new_public_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))
