"""The out-of-band files a snapshot carries, and their signatures: read by the CLI on a
laptop with no database (publish/oob_post.py) and by the app reconciling (oob_reconcile.py).

    oob/bundle.json(.sig)             written by every publish, signed with the site key:
                                      the approved templates, the wording rules, the open
                                      incidents and what filling a template needs
    oob/updates/<oob id>.json(.sig)   one per update posted out of band, signed with the
                                      poster's out-of-band key

Nothing here reads the database: keys are given as {key id: raw public key, base64}.
A signature file is the one `signing.file_sign` writes: canonical JSON of the algorithm,
the key id and the base64 signature of the file's bytes as they are.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from incidents.signing import (
    ALGORITHM,
    SIGNATURE_SUFFIX,
    canonical,
    key_id_of,
    parse_time,
    utc_text,
)

FORMAT = 1
BUNDLE_PATH = "oob/bundle.json"
UPDATES_DIR = "oob/updates/"
# An out-of-band id: "oob-" and 24 hex digits (posted_at's seconds would not be unique).
OOB_ID = re.compile(r"oob-[0-9a-f]{24}")
# More than any real site's: a file this big on a target is not ours.
UPDATE_ID = re.compile(r"[0-9a-z]{12}")  # models/ids.py
MAX_BUNDLE_BYTES = 8 * 1024 * 1024
MAX_RECORD_BYTES = 64 * 1024


class OobRefused(Exception):
    """Refused: the message says why, for the person at the command line or in the log."""


def signature_path(path: str) -> str:
    return path + SIGNATURE_SUFFIX


def update_path(oob_id: str) -> str:
    return f"{UPDATES_DIR}{oob_id}.json"


def sign(private: Ed25519PrivateKey, data: bytes) -> bytes:
    """The signature file of `data` (as signing.file_sign writes one)."""
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return canonical(
        {
            "algorithm": ALGORITHM,
            "key": key_id_of(public),
            "signature": base64.b64encode(private.sign(data)).decode(),
        }
    )


def verify(data: bytes, signature_file: bytes, keys: dict[str, str], *, what: str) -> str:
    """The id of the key in `keys` whose signature `signature_file` is of `data`;
    OobRefused otherwise."""
    try:
        document = json.loads(signature_file)
        key_id = str(document["key"])
        signature = base64.b64decode(str(document["signature"]), validate=True)
        if document.get("algorithm") != ALGORITHM:
            raise ValueError(document.get("algorithm"))
    except (ValueError, KeyError, TypeError) as exc:
        raise OobRefused(f"{what}: its signature file cannot be read") from exc
    public = keys.get(key_id)
    if public is None:
        raise OobRefused(f"{what}: signed by key {key_id[:16]!r}, which is not a trusted key")
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(signature, data)
    except (InvalidSignature, ValueError) as exc:
        raise OobRefused(f"{what}: the signature does not match (altered?)") from exc
    return key_id


def loads_object(data: bytes, *, what: str, limit: int) -> dict[str, Any]:
    if len(data) > limit:
        raise OobRefused(f"{what}: {len(data)} bytes, more than {limit}")
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise OobRefused(f"{what}: not JSON") from exc
    if not isinstance(document, dict) or document.get("v") != FORMAT:
        raise OobRefused(f"{what}: not a version {FORMAT} document")
    return document


# -- the update record --------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateRecord:
    """One update posted out of band, as signed."""

    oob_id: str
    update_id: str  # the public id the IncidentUpdate gets, as the JSON already shows it
    site: str
    incident: str  # the incident's public id
    status: str
    body: str  # the approved template, filled in
    template: str  # "<template public id>/v<number>"
    posted_at: datetime
    key: str  # the out-of-band key's id
    base_version: int  # the snapshot version it was posted over

    def to_bytes(self) -> bytes:
        return canonical(
            {
                "v": FORMAT,
                "oob_id": self.oob_id,
                "update_id": self.update_id,
                "site": self.site,
                "incident": self.incident,
                "status": self.status,
                "body": self.body,
                "template": self.template,
                "posted_at": utc_text(self.posted_at),
                "key": self.key,
                "base_version": self.base_version,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> UpdateRecord:
        what = "out-of-band update"
        document = loads_object(data, what=what, limit=MAX_RECORD_BYTES)
        if canonical(document) != data:
            raise OobRefused(f"{what}: not in canonical form")
        try:
            posted_at = parse_time(document["posted_at"])
            record = cls(
                oob_id=str(document["oob_id"]),
                update_id=str(document["update_id"]),
                site=str(document["site"]),
                incident=str(document["incident"]),
                status=str(document["status"]),
                body=str(document["body"]),
                template=str(document["template"]),
                posted_at=posted_at or datetime.min.replace(tzinfo=UTC),
                key=str(document["key"]),
                base_version=int(document["base_version"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise OobRefused(f"{what}: a field is missing or malformed") from exc
        if (
            posted_at is None
            or not OOB_ID.fullmatch(record.oob_id)
            or not UPDATE_ID.fullmatch(record.update_id)
        ):
            raise OobRefused(f"{what}: malformed id or time")
        return record
