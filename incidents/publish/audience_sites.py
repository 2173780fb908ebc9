"""Publishing each audience's private copy of the site (publish/audience_mirror.py).

The same renderer as the public snapshot (publish/snapshot.py), run with the audience's
viewer, so each page is exactly what that audience's reader sees live; pushed to a local
target of its own, outside the public mirror. A full render each time the site version
moves (no incremental base: audience copies are few and small next to the public site);
rendered into a working directory with its own object store, removed after the push, so
no private body ever lands in the public render's store.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from pathlib import Path

from django.conf import settings

from incidents.audiences.viewer import Viewer, viewing
from incidents.models import Audience
from incidents.publish.audience_mirror import audience_root
from incidents.publish.snapshot import RenderError, render_snapshot
from incidents.publish.targets.base import TargetError
from incidents.publish.targets.local import LocalTarget
from incidents.publish.versions import site_version

log = logging.getLogger(__name__)

PUBLISHED = "published"
CURRENT = "current"
FAILED = "failed"


def audience_target(slug: str) -> LocalTarget:
    return LocalTarget(audience_root(slug), name=f"audience:{slug}")


def audience_sites_publish(*, full: bool = False) -> dict[str, str]:
    """Render and push each audience's copy that is behind the site version (all with
    `full`); the outcome per audience slug. One audience failing never stops the others."""
    results: dict[str, str] = {}
    version = site_version()
    for audience_id, slug in Audience.objects.order_by("slug").values_list("pk", "slug"):
        target = audience_target(slug)
        served = target.current()
        if not full and served is not None and served.version >= version:
            results[slug] = CURRENT
            continue
        work = Path(settings.VAR_DIR) / "publish" / "audience-renders" / secrets.token_hex(6)
        try:
            with viewing(Viewer(frozenset({audience_id}))):
                snapshot = render_snapshot(work)
            target.push(snapshot)
            results[slug] = PUBLISHED
        except (RenderError, TargetError, OSError):
            log.exception("publishing the private copy of audience %s failed", slug)
            results[slug] = FAILED
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return results
