"""Each audience's private copy of the site: where it lives, and reading it back.

    <CANDOR_AUDIENCE_MIRROR_DIR>/<slug>/   a LocalTarget of its own (trees, current)

Outside the public mirror on purpose: nginx serves the public mirror to anyone, and this
directory to nobody; the app serves it at /a/<slug>/ after checking the reader's session
(public/audience_site.py), and the live views fall back on it when the database is down.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from incidents.audiences.viewer import Viewer
from incidents.publish.targets.local import Published, read_published


def audience_root(slug: str) -> Path:
    # The slug is validated by the model (lower-case letters, digits, hyphens): no "..".
    return Path(settings.CANDOR_AUDIENCE_MIRROR_DIR) / slug


def read_private_published(viewer: Viewer, url_path: str) -> Published | None:
    """The page in the private copy of the first of the viewer's audiences (by slug) that
    has one. A copy is one audience's view: a reader of two audiences falls back on one."""
    for slug in sorted(viewer.slugs):
        published = read_published(url_path, root=audience_root(slug))
        if published is not None and published.body is not None:
            return published
    return None
