"""Rendering the whole public site into a snapshot directory.

Every page is rendered by calling the live view in-process, as a request to the canonical
host would, so the published bytes are the live bytes: same templates, same selectors,
same headers' content type. The public cache is bypassed (cache.rendering_fresh), so a
snapshot is never assembled from renderings older than its version.

On PostgreSQL the whole render runs in one REPEATABLE READ, READ ONLY transaction: the
site version and every page are read from the same database snapshot, so a snapshot
labelled version N shows exactly the site as of N, whatever commits meanwhile.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
import re
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.core.handlers.wsgi import WSGIRequest
from django.db import connection, transaction
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import timezone, translation

from incidents import selectors, signing
from incidents.api.public_views import DOCUMENTS
from incidents.audiences.viewer import Viewer, current_viewer
from incidents.audiences.visibility import (
    hidden_notice_ids,
    hidden_notices_fixed,
    incidents_visible,
    maintenance_visible,
)
from incidents.branding.brand import brand_fixed, current_brand
from incidents.context_processors import STATIC_COPY
from incidents.models import Incident, IncidentStatus, Maintenance
from incidents.public.badges import badge_urls, component_badge_states
from incidents.public.cache import rendering_fresh
from incidents.public.language import DEFAULT, language_from_path, shipped, translated_pages
from incidents.public.report import report_urls
from incidents.public.views import history_floor, month_page_urls
from incidents.publish.changes import version_stamp
from incidents.publish.dependencies import (
    RENDER_STATE,
    Base,
    RenderState,
    chrome_fingerprint,
    item_months,
    notices_fingerprint,
    pages_to_render,
)
from incidents.publish.manifest import (
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    Snapshot,
    file_entry,
    path_for_url,
    url_for_path,
)
from incidents.publish.notices import notices_sign_changed
from incidents.publish.objects import OBJECTS, ObjectStore
from incidents.publish.oob_bundle import bundle_bytes
from incidents.publish.oob_format import BUNDLE_PATH, signature_path
from incidents.publish.versions import site_version
from incidents.reliability.visibility import visibility_fixed
from incidents.wording.translations import page_words_reused

log = logging.getLogger(__name__)


class RenderError(Exception):
    """A page of the site did not render; the snapshot is incomplete and must not be used."""


def site_urls(*, now: datetime) -> list[str]:
    """Every URL of the public site: pages, feeds, calendar, the v2 API and the
    branding's assets."""
    urls = [reverse("public:status"), reverse("public:uptime"), reverse("public:history")]
    now = now.astimezone(UTC)
    month, last = history_floor(now), (now.year, now.month)
    while month <= last:
        urls += month_page_urls(*month)
        month = (month[0] + 1, 1) if month[1] == 12 else (month[0], month[1] + 1)
    urls += [reverse("public:history_atom"), reverse("public:history_rss")]
    urls += report_urls()  # none while the report is off
    urls.append(reverse("public:maintenance_ics"))
    # Without its form in the static copy (a mirror cannot take the POST): it sends the
    # visitor to the live app's (CANDOR_APP_URL), which a link or bookmark may still reach.
    urls.append(reverse("public:subscribe"))
    # Signed notices: the Verify page checks in the browser against these: the index, the
    # shards that hold notices, the keys.
    urls += [reverse("public:verify"), reverse("public:verify_notices")]
    # Only what the snapshot's viewer may read (the public, for the public mirror): an
    # incident limited to audiences has no page there, not even a "not found" one.
    viewer = current_viewer()
    hidden = hidden_notice_ids(Viewer.PUBLIC)  # the notices views answer for the public
    urls += [
        reverse("public:verify_notices_shard", args=[p])
        for p in signing.shard_counts(hidden=hidden)
    ]
    urls.append(reverse("public:signing_keys"))
    incidents = incidents_visible(Incident.objects.all(), viewer)
    urls += _item_urls("public:incident", incidents.order_by("pk"))
    # An open incident's page links to its follow page, rendered like /subscribe: no
    # form, a link to the live app's.
    urls += _item_urls(
        "public:incident_follow",
        incidents.exclude(status=IncidentStatus.RESOLVED).order_by("pk"),
    )
    urls += _item_urls(
        "public:maintenance",
        maintenance_visible(Maintenance.objects.all(), viewer).order_by("pk"),
    )
    urls += [reverse("api_v2:" + r.removesuffix(".json").replace("/", "-")) for r in DOCUMENTS]
    # The branding's stylesheet, logo and favicon, at the paths the pages link to, so a
    # mirror or bucket looks like the live page.
    urls += current_brand().asset_paths()
    # The status badges and the embeddable widget (which reads summary.json beside it).
    urls += [*badge_urls(), reverse("public:widget")]
    # Every page again in each other language (/de/, /ja/history ...): the mirror serves
    # them all; feeds, the API and the assets stay as they are.
    urls += translated_pages(urls)
    return urls


_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_PLACEHOLDER = "0placeholder0"


def _item_urls(view: str, items: Any) -> list[str]:
    """Each item's page URL: reversed once and filled in (10,000 reverse() calls cost a
    second); an id the URL pattern would not take goes through reverse() as before."""
    pattern = reverse(view, args=[_PLACEHOLDER])
    head, _, tail = pattern.partition(_PLACEHOLDER)
    return [
        head + public_id + tail if _SLUG.fullmatch(public_id) else reverse(view, args=[public_id])
        for public_id in items.values_list("public_id", flat=True)
    ]


class _CanonicalRequestFactory(RequestFactory):
    """Requests as if to the canonical host, which this app need not serve itself (a mirror
    or a bucket may answer there), so the host check of ALLOWED_HOSTS is not applied.
    They are marked as rendering the static copy (context_processors.STATIC_COPY)."""

    def __init__(self) -> None:
        canonical = urlsplit(settings.CANDOR_CANONICAL_URL)
        self.host = canonical.netloc or "localhost"
        super().__init__(HTTP_HOST=self.host, secure=canonical.scheme == "https")

    def request(self, **request: Any) -> WSGIRequest:
        made = super().request(**request)
        made.META[STATIC_COPY] = True
        host = self.host
        made.get_host = lambda: host  # type: ignore[method-assign]
        return made


@dataclass
class _Writer:
    objects: ObjectStore
    files: dict[str, FileEntry]

    def add(self, path: str, body: bytes, content_type: str) -> None:
        self.files[path] = file_entry(self.objects.put(body), len(body), content_type)

    def reuse(self, path: str, base: Snapshot) -> None:
        """The base render's body, unchanged: the same object, no file touched (this
        runs for every unchanged page, 10,000 of them on a big site)."""
        self.files[path] = base.manifest.files[path]


class FullRenderNeeded(Exception):
    """render_snapshot(full_allowed=False) found it would render every page."""


def render_snapshot(
    root: Path,
    *,
    base: Base | None = None,
    objects: ObjectStore | None = None,
    full_allowed: bool = True,
) -> Snapshot:
    """Render the site as of the current site version into `root` (empty or absent):
    its manifest and render state there, the bodies in `objects` (by default a store of
    its own, root/objects).

    With a `base` (the previous render, publish/renders.py, whose bodies are in the same
    store), only the pages the changes since its version can have altered are rendered
    (publish/dependencies.py); the rest keep the base's objects. Without one, or when the
    changes are unknown or reach every page, everything is rendered; unless
    `full_allowed` is False (a worker's warm-up, publish/warm.py): then FullRenderNeeded
    is raised before any page is.
    """
    root.mkdir(parents=True, exist_ok=True)
    # Signing writes, the render below only reads: every published update signed first
    # (read: those of what changed since this process last signed them all).
    notices_sign_changed()
    objects = objects or ObjectStore(root / OBJECTS)
    writer = _Writer(objects, {})
    references: dict[str, frozenset[str]] = {}
    # One moment read, nothing written: the answers every page asks for are read once.
    with _consistent_read(), selectors.answers_shared():
        version = site_version()
        generated_at = timezone.now()
        factory = _CanonicalRequestFactory()
        urls = site_urls(now=generated_at)
        homes = item_months()
        stamp = version_stamp(version)
        chrome = chrome_fingerprint(_probe_request(factory), now=generated_at)
        notices = notices_fingerprint()
        badges = {path_for_url(url): shows for url, shows in component_badge_states().items()}
        fresh = pages_to_render(
            urls,
            base=base,
            version=version,
            chrome=chrome,
            homes=homes,
            now=generated_at,
            notices=notices,
            badges=badges,
        )
        if fresh is None and not full_allowed:
            raise FullRenderNeeded
        paths = [path_for_url(url) for url in urls]
        if fresh is not None:
            fresh |= language_variants(fresh, frozenset(paths))
        # Preloading reads every incident and maintenance window: worth it for a full
        # render, wasted on the few pages of an incremental one.
        preload = selectors.details_preloaded() if fresh is None else nullcontext()
        every_notice = signing.notices_preloaded() if fresh is None else nullcontext()
        with (
            rendering_fresh(),
            preload,
            every_notice,
            brand_fixed(),
            visibility_fixed(),
            hidden_notices_fixed(),
            selectors.status_shared(),
            selectors.history_shared(),
            page_words_reused(),  # each language's translations looked at once
        ):
            for url, path in zip(urls, paths, strict=True):
                if fresh is not None and base is not None and path not in fresh:
                    writer.reuse(path, base.snapshot)
                    references[path] = base.state.references.get(path, frozenset())
                    continue
                response = _render(factory, url)
                writer.add(path, response.content, response["Content-Type"])
                if response["Content-Type"].startswith("text/html"):
                    references[path] = _static_references(response.content)
        _add_bundle(writer, version=version, generated_at=generated_at)
    _copy_static(writer, set().union(*references.values()))
    manifest = Manifest(version=version, generated_at=generated_at, files=writer.files)
    state = RenderState(
        chrome=chrome,
        stamp=stamp,
        homes=homes.pages,
        references=references,
        positions=homes.positions,
        notices=notices,
        badges=badges,
    )
    (root / RENDER_STATE).write_bytes(state.to_json())
    # Written last: a directory with a manifest is complete.
    (root / MANIFEST_NAME).write_bytes(manifest.to_json())
    signing.file_sign(root / MANIFEST_NAME)  # beside it: manifest.json.sig
    return Snapshot(root=root, manifest=manifest, objects=objects.root)


def language_variants(fresh: set[str], paths: frozenset[str]) -> set[str]:
    """The other languages' copies, among `paths`, of the unprefixed pages in `fresh`: a
    page's other languages change with it. Built from the few fresh pages, not by looking
    at every one of the site's 62,000 paths (0.28 s an update at 10,000 incidents)."""
    codes = [code for code in shipped() if code != DEFAULT]
    return {
        variant
        for path in fresh
        if language_from_path(url := url_for_path(path)) is None
        for code in codes
        if (variant := path_for_url(f"/{code}{url}")) in paths
    }


def _add_bundle(writer: _Writer, *, version: int, generated_at: datetime) -> None:
    """The out-of-band bundle (publish/oob_bundle.py), signed with the site key; none
    when no key can sign (the CLI would refuse an unsigned one anyway)."""
    bundle = bundle_bytes(
        version=version,
        generated_at=generated_at,
        # What the page shows, as the page reads it (so the CLI's recomputed statuses
        # cover exactly the page's components and its indicator).
        components=selectors.public_components(),
        maintenance_active=selectors.maintenance_in_progress(),
    )
    try:
        signature = signing.bytes_sign(bundle)
    except signing.SigningUnavailable:
        log.error("no key signs: the snapshot carries no out-of-band bundle", exc_info=True)
        return
    writer.add(BUNDLE_PATH, bundle, "application/json")
    writer.add(signature_path(BUNDLE_PATH), signature, "application/json")


def _probe_request(factory: _CanonicalRequestFactory) -> WSGIRequest:
    return factory.get(reverse("public:status"))


class _consistent_read:
    """One REPEATABLE READ, READ ONLY transaction on PostgreSQL; a plain one elsewhere.

    Inside an outer transaction (a test's) isolation cannot change; the outer one is as
    consistent as it gets there.
    """

    def __enter__(self) -> None:
        outer = connection.in_atomic_block
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        if connection.vendor == "postgresql" and not outer:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def __exit__(self, *exc: object) -> None:
        self._atomic.__exit__(*exc)  # type: ignore[arg-type]


def _render(factory: _CanonicalRequestFactory, url: str) -> Any:
    # No middleware here: the URL's language is activated as LanguageMiddleware would.
    with translation.override(language_from_path(url) or DEFAULT):
        match = resolve(url)
        response = match.func(factory.get(url), *match.args, **match.kwargs)
    if response.status_code != 200:
        raise RenderError(f"{url} answered {response.status_code}")
    if response.has_header("Content-Encoding"):
        raise RenderError(f"{url} came back encoded ({response['Content-Encoding']})")
    return response


# -- static assets ------------------------------------------------------------------------

_HTML_REFERENCE = re.compile(r"""(?:href|src)\s*=\s*["']([^"'#?]+)""")
_CSS_REFERENCE = re.compile(r"""url\(\s*["']?([^"')#?]+)""")


def _static_references(body: bytes) -> frozenset[str]:
    """Static paths ("candor/public.3f2a9c1b7d4e.css") a rendered page refers to."""
    html = body.decode("utf-8", "replace")
    return frozenset(name for url in _HTML_REFERENCE.findall(html) if (name := _static_name(url)))


def _static_name(url: str) -> str | None:
    prefix = settings.STATIC_URL
    if not prefix.startswith("/") or not url.startswith(prefix):
        return None  # a static URL on another host is not ours to publish
    return unquote(url.removeprefix(prefix))


def _copy_static(writer: _Writer, names: Iterable[str]) -> None:
    """Copy each referenced file into static/, and whatever a stylesheet refers to.

    With ManifestStaticFilesStorage (production) the names already carry the content's
    hash and the files are read from STATIC_ROOT, as collectstatic left them; with the
    plain storage (development) they are found where the app keeps them.
    """
    pending, done = list(names), set()
    while pending:
        name = pending.pop()
        if name in done:
            continue
        done.add(name)
        body = _read_static(name)
        content_type = _static_content_type(name)
        writer.add(posixpath.join(settings.STATIC_URL.strip("/"), name), body, content_type)
        if content_type.startswith("text/css"):
            for ref in _CSS_REFERENCE.findall(body.decode("utf-8", "replace")):
                if ref.startswith("data:") or "//" in ref:
                    continue
                if ref.startswith("/"):
                    if (absolute := _static_name(ref)) is not None:
                        pending.append(absolute)
                else:
                    pending.append(posixpath.normpath(posixpath.join(posixpath.dirname(name), ref)))


def _read_static(name: str) -> bytes:
    hashed = isinstance(staticfiles_storage, ManifestFilesMixin)
    # A hashed name exists only where collectstatic wrote it; an unhashed one is read
    # from the app's own files, which a STATIC_ROOT left from an older run may not match.
    found = None if hashed else finders.find(name)
    if found:
        return Path(found if isinstance(found, str) else found[0]).read_bytes()
    if staticfiles_storage.exists(name):
        with staticfiles_storage.open(name) as f:
            return bytes(f.read())
    raise RenderError(f"static file {name!r} is referenced but not found")


def _static_content_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed
