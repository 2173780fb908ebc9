"""Publish targets, and the ones this installation is configured to publish to."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from incidents.publish.targets.base import Target
from incidents.publish.targets.local import LocalTarget


def configured_targets() -> list[Target]:
    """One target per name in CANDOR_PUBLISH_TARGETS, built from its settings.

    A target whose client library is heavy is imported inside its branch: the live views
    import this package (for the snapshot fallback) and should not pay for it.
    """
    targets: list[Target] = []
    for name in settings.CANDOR_PUBLISH_TARGETS:
        if name == "local":
            targets.append(LocalTarget(Path(settings.CANDOR_MIRROR_DIR)))
        elif name == "s3":
            from incidents.publish.targets.s3 import S3Target

            targets.append(S3Target.from_settings())
        else:
            raise ImproperlyConfigured(
                f"CANDOR_PUBLISH_TARGETS names {name!r}; known targets: local, s3"
            )
    return targets
