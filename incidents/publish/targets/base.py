"""The one interface every publish target implements."""

from __future__ import annotations

from typing import Protocol

from incidents.publish.manifest import Manifest, Snapshot

# The checker's "last verified" stamp beside each copy (publish/verified.py).
STAMP_PATH = "verified.json"


class TargetError(Exception):
    """A target could not take or report a snapshot; the message is shown to staff."""


class Target(Protocol):
    name: str  # stable, unique among configured targets: "local", "s3:<bucket>"

    def push(self, snapshot: Snapshot, *, repair: bool = False) -> None:
        """Make `snapshot` the target's current site.

        Files the target already serves with the same hash are not sent again, unless
        `repair` (`publish --force`, after `publish --verify` found damage): then every
        file is written anew.

        Readers never see a mix of two versions: new and changed files go up first, the
        manifest and index last (or an atomic switch where the target has one), and files
        no longer in the manifest are removed only after. Pushing a version older than the
        target's current one is refused (TargetError). Raises TargetError on failure.
        """
        ...

    def current(self) -> Manifest | None:
        """The manifest the target serves now, or None if it has none yet."""
        ...

    def warm(self) -> None:
        """Read what the next push compares with (its manifests), so that a worker's
        first push is as quick as its later ones (publish/warm.py). Raises TargetError."""
        ...

    def verify(self) -> list[str]:
        """Problems found checking every file of the current manifest ([] when intact)."""
        ...

    def stamp(self, path: str, body: bytes) -> None:
        """Write a small file beside the site that is not part of any version (the
        checker's verified.json, publish/verified.py); pushes leave it alone."""
        ...
