"""Posting without the app: the out-of-band CLI's work (`manage.py post_out_of_band`).

It runs on a laptop with credentials for the publish targets and an out-of-band key, and
never touches a database (the command refuses any query). From the newest snapshot a
target serves it reads the bundle (oob_bundle.py), checks its signature against the site
keys pinned in the key file, fills in an approved template as the console's draft would,
applies the wording rules the bundle carries, and pushes a new copy of the site to every
target.

How it renders without the database: the published files *are* the site as of the last
publish, and an update changes a known, small part of them. The CLI rewrites exactly
those parts, with the app's own templates for the markup (the timeline item, a fact, a
label: templates/public/_timeline.html and the filters and tags the pages use, in each
language the snapshot has), and the app's own shapes for the JSON documents and feeds.
Everything else stays byte for byte what the app rendered. A full re-render would need
the whole database (uptime history, every incident, branding), which must never be
published, and an in-memory copy loaded from a partial dump would render a different
site (wrong uptime bars, missing history) with the confidence of a real one. The app's
next publish after reconciliation (oob_reconcile.py) renders every page again from the
database, which by then holds the update.

Components' statuses and the page's indicator: resolving frees the components the
incident held (a monitoring incident still holds them, as in the app). The bundle says
what each component of the page is held at, by which open incident, and its floor
(baseline and whatever else holds it), so the CLI derives the new statuses and the
indicator with the app's own rule (models/derived.py) and rewrites them in the JSON
documents, the front page's rows and banner and every page's header. The record carries
no component status: reconciliation posts it through lifecycle, which derives them again
from the database.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.template import engines
from django.test import override_settings
from django.utils import translation
from django.utils.safestring import SafeString

from incidents import wording
from incidents.models import (
    ComponentStatus,
    IncidentImpact,
    IncidentStatus,
    PageIndicator,
    WordingRule,
    component_status,
    page_indicator,
    worst_status,
)
from incidents.models.ids import new_public_id
from incidents.public.language import DEFAULT
from incidents.publish.manifest import (
    MANIFEST_NAME,
    FileEntry,
    Manifest,
    Snapshot,
    disk_path,
    sha256_of,
)
from incidents.publish.oob_format import (
    BUNDLE_PATH,
    FORMAT,
    MAX_BUNDLE_BYTES,
    UPDATES_DIR,
    OobRefused,
    UpdateRecord,
    loads_object,
    sign,
    signature_path,
    update_path,
    verify,
)
from incidents.publish.targets.base import Target, TargetError
from incidents.publish.targets.local import LocalTarget
from incidents.rendering import plain_text, render_markdown
from incidents.signing import SIGNATURE_SUFFIX, key_id_of, parse_time, private_from_pem
from incidents.text import text_errors

STATUSES = tuple(IncidentStatus.values)


# -- the key file an Admin issues ------------------------------------------------------------


@dataclass(frozen=True)
class KeyFile:
    """`manage.py signing_key oob-issue` writes it, once, for one person: their private
    out-of-band key, and the site's public keys pinned (a bundle signed by any other key
    is refused, whatever the target's keys document says)."""

    site: str
    key_id: str
    private_pem: bytes
    site_keys: dict[str, str]  # key id -> raw public key, base64
    issued_to: str

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "candor_out_of_band_key": FORMAT,
                "site": self.site,
                "key_id": self.key_id,
                "private_key_pem": self.private_pem.decode(),
                "site_keys": self.site_keys,
                "issued_to": self.issued_to,
            },
            indent=1,
        ).encode()

    @classmethod
    def load(cls, path: Path) -> KeyFile:
        try:
            data = json.loads(path.read_bytes())
            key_file = cls(
                site=str(data["site"]),
                key_id=str(data["key_id"]),
                private_pem=str(data["private_key_pem"]).encode(),
                site_keys={str(k): str(v) for k, v in dict(data["site_keys"]).items()},
                issued_to=str(data["issued_to"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise OobRefused(f"the key file {path} cannot be read: {exc}") from exc
        if data.get("candor_out_of_band_key") != FORMAT or not key_file.site_keys:
            raise OobRefused(f"{path} is not a Candor out-of-band key file")
        return key_file


# -- the bundle, as read ---------------------------------------------------------------------


@dataclass(frozen=True)
class OpenIncident:
    public_id: str
    name: str
    status: str
    impact: str
    components: tuple[str, ...]
    started_at: datetime
    next_update_due: datetime | None
    next_interval: timedelta


@dataclass(frozen=True)
class PageComponent:
    """A component the page shows, as the bundle says it is held."""

    public_id: str
    group: str | None
    status: str  # as published
    floor: str  # with none of the bundle's incidents open
    incidents: dict[str, str]  # open incident's public id -> the status it holds it at
    only_show_if_degraded: bool


@dataclass(frozen=True)
class ApprovedTemplate:
    phase: str
    template: str
    name: str
    number: int
    body: str

    @property
    def ref(self) -> str:
        return f"{self.template}/v{self.number}"


@dataclass(frozen=True)
class Bundle:
    site: str
    version: int
    languages: tuple[str, ...]
    rules: tuple[WordingRule, ...]  # unsaved: wording.check reads their fields only
    templates: tuple[ApprovedTemplate, ...]
    incidents: tuple[OpenIncident, ...]
    oob_keys: dict[str, str]
    # None in a bundle published before it carried them: statuses then wait for the app.
    components: tuple[PageComponent, ...] | None
    maintenance_active: bool

    @classmethod
    def parse(cls, data: bytes) -> Bundle:
        document = loads_object(data, what="the bundle", limit=MAX_BUNDLE_BYTES)
        try:
            return cls(
                site=str(document["site"]),
                version=int(document["version"]),
                languages=tuple(str(code) for code in document["languages"]),
                rules=tuple(WordingRule(**rule) for rule in document["rules"]),
                templates=tuple(
                    ApprovedTemplate(
                        str(t["phase"]),
                        str(t["template"]),
                        str(t["name"]),
                        int(t["number"]),
                        str(t["body"]),
                    )
                    for t in document["templates"]
                ),
                incidents=tuple(_open_incident(i) for i in document["incidents"]),
                oob_keys={str(k["id"]): str(k["public_key"]) for k in document["oob_keys"]},
                components=(
                    None
                    if document.get("components") is None
                    else tuple(_page_component(c) for c in document["components"])
                ),
                maintenance_active=bool(document.get("maintenance_active", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise OobRefused(f"the bundle: a field is missing or malformed ({exc!r})") from exc


def _page_component(data: dict[str, Any]) -> PageComponent:
    group = data["group"]
    return PageComponent(
        public_id=str(data["id"]),
        group=None if group is None else str(group),
        status=ComponentStatus(data["status"]).value,  # ValueError: refused
        floor=ComponentStatus(data["floor"]).value,
        incidents={str(i): ComponentStatus(s).value for i, s in dict(data["incidents"]).items()},
        only_show_if_degraded=bool(data["only_show_if_degraded"]),
    )


def _open_incident(data: dict[str, Any]) -> OpenIncident:
    started = parse_time(data["started_at"])
    if started is None:
        raise ValueError("started_at")
    return OpenIncident(
        public_id=str(data["id"]),
        name=str(data["name"]),
        status=str(data["status"]),
        impact=IncidentImpact(data["impact"]).value,
        components=tuple(str(c) for c in data["components"]),
        started_at=started,
        next_update_due=parse_time(data["next_update_due"]),
        next_interval=timedelta(seconds=int(data["next_interval_seconds"])),
    )


# -- reading a target ------------------------------------------------------------------------


def _reader(target: Target) -> Callable[[str, str], bytes]:
    """A function reading one file (manifest path, content type) of what `target` serves."""
    if isinstance(target, LocalTarget):
        directory = target.current_dir()
        if directory is None:
            raise TargetError(f"{target.name} has nothing published")
        return lambda path, content_type: (directory / disk_path(path, content_type)).read_bytes()
    from incidents.publish.targets.s3 import S3Target

    if isinstance(target, S3Target):
        s3 = target

        def read(path: str, content_type: str) -> bytes:
            with s3._errors("read", path):
                response = s3.client.get_object(Bucket=s3.bucket, Key=s3._key(path))
                return bytes(response["Body"].read())

        return read
    raise TargetError(f"{target.name}: the out-of-band CLI cannot read this kind of target")


def read_file(target: Target, manifest: Manifest, path: str) -> bytes:
    """One file of what `target` serves, checked against `manifest`'s hash."""
    entry = manifest.files[path]
    body = _reader(target)(path, entry.content_type)
    if sha256_of(body) != entry.sha256:
        raise OobRefused(f"{target.name}: {path} differs from its manifest: damaged or altered")
    return body


def _fetch(target: Target, manifest: Manifest, into: Path) -> None:
    """Every file of `manifest` from `target` into `into` (at its disk path), each checked
    against the manifest's hash."""
    read = _reader(target)

    def one(item: tuple[str, FileEntry]) -> None:
        path, entry = item
        body = read(path, entry.content_type)
        if sha256_of(body) != entry.sha256:
            raise OobRefused(f"{target.name}: {path} differs from its manifest: damaged or altered")
        destination = into / disk_path(path, entry.content_type)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, manifest.files.items()))


# -- the post --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    incident: str  # a public id, or its start when one open incident starts so
    status: str
    template: str  # "<template id>" or "<template id>/v<n>"


@dataclass
class Outcome:
    record: UpdateRecord
    source: str
    pushed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class Prepared:
    """Read and verified: the snapshot, its bundle, and what each incident is now."""

    source: Target
    manifest: Manifest
    root: Path
    bundle: Bundle
    incidents: dict[str, OpenIncident]
    follow_ups: dict[str, int]  # out-of-band updates already posted over this bundle


@contextmanager
def prepared(targets: list[Target], key_file: KeyFile) -> Iterator[Prepared]:
    """The newest snapshot any target serves, fetched into a temporary directory and
    verified: the bundle's signature against the pinned site keys, every file against the
    manifest, and any earlier out-of-band update against the keys the bundle lists."""
    served: list[tuple[int, int, Target, Manifest]] = []
    problems = []
    for order, target in enumerate(targets):
        try:
            manifest = target.current()
        except TargetError as exc:
            problems.append(str(exc))
            continue
        if manifest is not None:
            served.append((manifest.version, -order, target, manifest))
    if not served:
        raise OobRefused("no target serves a snapshot to post over" + _listed(problems))
    _, _, source, manifest = max(served, key=lambda s: (s[0], s[1]))
    if BUNDLE_PATH not in manifest.files or signature_path(BUNDLE_PATH) not in manifest.files:
        raise OobRefused(f"{source.name}: the snapshot carries no out-of-band bundle")
    with tempfile.TemporaryDirectory(prefix="candor-oob-") as temporary:
        root = Path(temporary)
        _fetch(source, manifest, root)
        data = (root / BUNDLE_PATH).read_bytes()
        verify(
            data, (root / signature_path(BUNDLE_PATH)).read_bytes(), key_file.site_keys,
            what=f"{source.name}: the bundle",
        )  # fmt: skip
        bundle = Bundle.parse(data)
        if bundle.site != key_file.site:
            raise OobRefused(f"the bundle is {bundle.site}'s; this key is for {key_file.site}")
        incidents = {i.public_id: i for i in bundle.incidents}
        follow_ups: dict[str, int] = {}
        for record in _earlier_records(root, manifest, bundle):
            incident = incidents.get(record.incident)
            if incident is None:
                continue
            follow_ups[incident.public_id] = follow_ups.get(incident.public_id, 0) + 1
            nxt = _next_due(incident, record.posted_at)
            if record.status == IncidentStatus.RESOLVED:
                del incidents[incident.public_id]
            else:
                incidents[incident.public_id] = _with(incident, record.status, nxt)
        yield Prepared(source, manifest, root, bundle, incidents, follow_ups)


def _with(incident: OpenIncident, status: str, next_due: datetime | None) -> OpenIncident:
    return OpenIncident(
        incident.public_id, incident.name, status, incident.impact, incident.components,
        incident.started_at, next_due, incident.next_interval,
    )  # fmt: skip


def _earlier_records(root: Path, manifest: Manifest, bundle: Bundle) -> list[UpdateRecord]:
    records = []
    for path in sorted(manifest.files):
        if path.startswith(UPDATES_DIR) and path.endswith(".json"):
            data = (root / path).read_bytes()
            verify(
                data, (root / signature_path(path)).read_bytes(), bundle.oob_keys,
                what=f"earlier out-of-band update {path}",
            )  # fmt: skip
            records.append(UpdateRecord.from_bytes(data))
    return sorted(records, key=lambda r: (r.posted_at, r.oob_id))


def _next_due(incident: OpenIncident, posted_at: datetime) -> datetime:
    """drafts.next_update_at without the database: the cadence's next interval (as of
    the bundle) after `posted_at`, never earlier than what was already promised."""
    candidate = posted_at + incident.next_interval
    due = incident.next_update_due
    return max(candidate, due) if due is not None else candidate


def incident_for(ready: Prepared, reference: str) -> OpenIncident:
    if (found := ready.incidents.get(reference)) is not None:
        return found
    candidates = [i for i in ready.incidents.values() if i.public_id.startswith(reference)]
    if reference and len(candidates) == 1:
        return candidates[0]
    raise OobRefused(f"no open incident has the id {reference[:40]!r} in the last snapshot")


def templates_for(ready: Prepared, status: str) -> list[ApprovedTemplate]:
    return [t for t in ready.bundle.templates if t.phase == status]


def words_for(
    ready: Prepared, *, incident: OpenIncident, status: str, template: str, now: datetime
) -> tuple[ApprovedTemplate, str]:
    """The approved template named, filled in as the console's draft would be, and
    checked against the bundle's wording rules; OobRefused with the reasons otherwise."""
    if status not in STATUSES:
        raise OobRefused(f"{status!r} is not a status; choose one of {', '.join(STATUSES)}")
    offered = templates_for(ready, status)
    chosen = [t for t in offered if template in (t.template, t.ref)]
    if not chosen:
        names = "; ".join(f"{t.ref} ({t.name})" for t in offered) or "none"
        raise OobRefused(
            f"{template!r} is not an approved template for {status}: the approved ones are "
            f"{names}. Free text cannot be posted out of band."
        )
    version = chosen[0]
    next_at = None if status == IncidentStatus.RESOLVED else _next_due(incident, now)
    values = wording.values_for(
        title=incident.name,
        component_names=list(incident.components),
        started_at=incident.started_at,
        next_update_at=next_at,
    )
    values["status_url"] = ready.bundle.site
    words = wording.render(version.body, values)
    problems = text_errors(multi_line={"body": words})
    violations = wording.check(
        words, channel="web", phase=str(wording.incident_phase(status)), rules=ready.bundle.rules
    )
    if problems or violations:
        reasons = [str(m) for messages in problems.values() for m in messages]
        reasons += [v.reason for v in violations]
        raise OobRefused("the filled-in template breaks the wording policy: " + "; ".join(reasons))
    return version, words


def post(
    *,
    targets: list[Target],
    key_file: KeyFile,
    choice: Choice,
    now: datetime,
    confirm: Callable[[OpenIncident, str, str], bool] = lambda *_: True,
    ask: Callable[[Prepared, Choice], Choice] = lambda _, given: given,
) -> Outcome:
    """Post one approved-template update over the newest snapshot and push the result
    to every target. `ask` completes the choice from what the snapshot offers, and
    `confirm` sees the incident, status and words before anything is written (the
    command asks the person both)."""
    private = private_from_pem(key_file.private_pem)
    if key_id_of(_public_raw(private)) != key_file.key_id:
        raise OobRefused("the key file's private key is not the key it names")
    with (
        prepared(targets, key_file) as ready,
        override_settings(CANDOR_CANONICAL_URL=ready.bundle.site),
    ):
        if key_file.key_id not in ready.bundle.oob_keys:
            raise OobRefused(
                f"key {key_file.key_id} is not listed as a valid out-of-band key in the last "
                "snapshot (revoked, or issued after it): the app would refuse the update"
            )
        choice = ask(ready, choice)
        incident = incident_for(ready, choice.incident)
        template, words = words_for(
            ready, incident=incident, status=choice.status, template=choice.template, now=now
        )
        if not confirm(incident, choice.status, words):
            raise OobRefused("not confirmed: nothing was posted")
        record = UpdateRecord(
            oob_id=f"oob-{secrets.token_hex(12)}",
            update_id=new_public_id(),
            site=ready.bundle.site,
            incident=incident.public_id,
            status=choice.status,
            body=words,
            template=template.ref,
            posted_at=now.replace(microsecond=0),
            key=key_file.key_id,
            base_version=ready.manifest.version,
        )
        next_due = None if choice.status == IncidentStatus.RESOLVED else _next_due(incident, now)
        still_open = set(ready.incidents) - (
            {incident.public_id} if choice.status == IncidentStatus.RESOLVED else set()
        )
        page = page_change(ready.bundle, still_open)
        snapshot = _rewrite(ready, record, incident, next_due, private, page)
        outcome = Outcome(record=record, source=ready.source.name)
        # Local copies first, as publish does: a store that hangs must not delay them.
        for target in sorted(targets, key=lambda t: not isinstance(t, LocalTarget)):
            try:
                target.push(snapshot)
            except TargetError as exc:
                outcome.failed[target.name] = str(exc)
            else:
                outcome.pushed.append(target.name)
        return outcome


def _public_raw(private: Any) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return bytes(
        private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    )


def _listed(problems: list[str]) -> str:
    return (": " + "; ".join(problems)) if problems else ""


# -- the page's status ----------------------------------------------------------------------


@dataclass(frozen=True)
class PageChange:
    """What the page's statuses become once some of the bundle's incidents are resolved."""

    statuses: dict[str, str]  # component public id -> new status, where it changes
    groups: dict[str, str]  # group public id -> its new status (the worst of its own)
    hidden: frozenset[str]  # rows that leave the page (shown only when degraded)
    indicator: PageIndicator
    maintenance_active: bool


def page_change(bundle: Bundle, still_open: set[str]) -> PageChange | None:
    """The statuses and indicator with only `still_open` of the bundle's incidents open,
    by the app's rule; None when nothing the bundle published is resolved (the page as
    published is right) or the bundle does not say how components are held."""
    components = bundle.components
    if components is None or {i.public_id for i in bundle.incidents} <= still_open:
        return None
    new = {
        c.public_id: component_status(
            c.floor, [s for i, s in c.incidents.items() if i in still_open], []
        ).value
        for c in components
    }
    changed = {c.public_id: new[c.public_id] for c in components if new[c.public_id] != c.status}
    members: dict[str, list[str]] = {}
    for c in components:
        if c.group is not None:
            members.setdefault(c.group, []).append(new[c.public_id])
    touched = {c.group for c in components if c.public_id in changed and c.group is not None}
    return PageChange(
        statuses=changed,
        groups={g: worst_status(members[g]).value for g in touched},
        hidden=frozenset(
            c.public_id
            for c in components
            if c.only_show_if_degraded
            and c.public_id in changed
            and new[c.public_id] == ComponentStatus.OPERATIONAL
        ),
        indicator=page_indicator(
            list(new.values()),
            [i.impact for i in bundle.incidents if i.public_id in still_open],
            bundle.maintenance_active,
        ),
        maintenance_active=bundle.maintenance_active,
    )


# -- rewriting the affected files ------------------------------------------------------------


def _rewrite(
    ready: Prepared,
    record: UpdateRecord,
    incident: OpenIncident,
    next_due: datetime | None,
    private: Any,
    page: PageChange | None,
) -> Snapshot:
    files = dict(ready.manifest.files)

    def write(path: str, body: bytes, content_type: str) -> None:
        destination = ready.root / disk_path(path, content_type)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(body)
        files[path] = FileEntry(sha256_of(body), len(body), content_type)

    record_bytes = record.to_bytes()
    write(update_path(record.oob_id), record_bytes, "application/json")
    write(
        signature_path(update_path(record.oob_id)), sign(private, record_bytes), "application/json"
    )
    update = _UpdateShape(record, incident)
    for path, entry in ready.manifest.files.items():
        old = (ready.root / disk_path(path, entry.content_type)).read_bytes()
        new = _rewritten(path, entry.content_type, old, ready.bundle, update, next_due, page)
        if new is not None and new != old:
            write(path, new, entry.content_type)
    manifest = Manifest(version=ready.manifest.version, generated_at=record.posted_at, files=files)
    body = manifest.to_json()
    (ready.root / MANIFEST_NAME).write_bytes(body)
    # Signed by the poster's key, not the site's: the manifest says who made this copy.
    (ready.root / (MANIFEST_NAME + SIGNATURE_SUFFIX)).write_bytes(sign(private, body))
    return Snapshot(root=ready.root, manifest=manifest)


@dataclass(frozen=True)
class _UpdateShape:
    record: UpdateRecord
    incident: OpenIncident

    @property
    def body_html(self) -> str:
        return render_markdown(self.record.body)

    @property
    def resolved(self) -> bool:
        return self.record.status == IncidentStatus.RESOLVED


def _rewritten(
    path: str,
    content_type: str,
    body: bytes,
    bundle: Bundle,
    update: _UpdateShape,
    next_due: datetime | None,
    change: PageChange | None,
) -> bytes | None:
    """The file with the update in it; None when the update does not change it."""
    language, page = _language_of(path, bundle.languages)
    incident_id = update.record.incident
    if content_type.startswith("text/html"):
        front = page in ("", "index.html")
        if not (front or page == f"incidents/{incident_id}" or change):
            return None
        with translation.override(language):
            text = body.decode()
            if front or page == f"incidents/{incident_id}":
                text = _html_rewritten(text, update, next_due, front=front)
            if change is not None:
                text = _status_rewritten(text, change, front=front)
            return text.encode()
    if path in _JSON_DOCUMENTS:
        return _json_rewritten(path, body, update, next_due, change)
    if path in _FEEDS:
        with translation.override(DEFAULT):
            return _feed_rewritten(body, update)
    return None


def _language_of(path: str, languages: tuple[str, ...]) -> tuple[str, str]:
    first, slash, rest = path.partition("/")
    if slash and first in languages and first != DEFAULT:
        return first, rest
    return DEFAULT, path


# -- HTML ----------------------------------------------------------------------------------

_ENGINE = "django"


def _fragment(source: str, context: dict[str, Any]) -> str:
    return str(engines[_ENGINE].from_string(source).render(context))


def _timeline_item(update: _UpdateShape) -> str:
    """The new update's <li>, from the app's own timeline template."""
    rendered = _fragment(
        '{% include "public/_timeline.html" with updates=updates %}',
        {
            "updates": [
                {
                    "status": update.record.status,
                    "display_at": update.record.posted_at,
                    "body_html": SafeString(update.body_html),
                }
            ]
        },
    )
    start, end = rendered.find('<li class="timeline__item'), rendered.rfind("</li>")
    if start < 0 or end < 0:  # the template changed shape: better no post than a broken page
        raise OobRefused("the timeline template has no item the CLI can place")
    return rendered[start : end + len("</li>")]


def _html_rewritten(
    text: str, update: _UpdateShape, next_due: datetime | None, *, front: bool
) -> str:
    incident_id = re.escape(update.record.incident)
    timeline = re.compile(rf'(<ol class="timeline" data-timeline="{incident_id}">\n)')
    if not timeline.search(text):
        return text  # the page does not show this incident
    if front and update.resolved:
        return _card_removed(text, update.record.incident)
    text = timeline.sub(lambda m: m.group(1) + "  " + _timeline_item(update) + "\n", text, count=1)
    if front:
        return _card_next(text, update.record.incident, next_due)
    status = update.record.status
    text = re.sub(
        r'<span class="badge badge--(?:open|resolved)" data-incident-status>[^<]*</span>',
        _fragment(
            '{% load candor_public %}<span class="badge badge--{{ state }}" '
            "data-incident-status>{{ status|status_label }}</span>",
            {"state": "resolved" if update.resolved else "open", "status": status},
        ),
        text,
        count=1,
    )
    next_update = re.compile(
        r'<div><dt>[^<]*</dt><dd class="next-update">.*?</dd></div>', re.DOTALL
    )
    if next_due is None:
        text = next_update.sub("", text, count=1)
    else:
        text = next_update.sub(
            _fragment(
                '{% load candor_public i18n %}<div><dt>{% translate "Next update" %}</dt>'
                '<dd class="next-update">{% translate "Next update by" %} '
                "{% utc_clock due %}</dd></div>",
                {"due": next_due},
            ),
            text,
            count=1,
        )
    if update.resolved:
        text = re.sub(
            r'<dd data-fact="resolved">.*?</dd>',
            _fragment(
                '{% load candor_public %}<dd data-fact="resolved">{% utc_time at %}</dd>',
                {"at": update.record.posted_at},
            ),
            text,
            count=1,
            flags=re.DOTALL,
        )
        text = re.sub(
            r'<dd data-fact="duration">.*?</dd>',
            _fragment(
                '{% load candor_public %}<dd data-fact="duration">'
                "{{ started|time_between:at|duration }}</dd>",
                {"started": update.incident.started_at, "at": update.record.posted_at},
            ),
            text,
            count=1,
            flags=re.DOTALL,
        )
    return text


_BRAND_MARK = re.compile(
    r'<span class="brand__mark[^"]*" aria-hidden="true" data-brand-mark>.*?</span>', re.DOTALL
)
_BRAND_STATUS = re.compile(r'<span class="visually-hidden" data-brand-status>[^<]*</span>')
_BANNER = re.compile(
    r'<section class="banner[^"]*" aria-labelledby="banner-title" data-banner>.*?</section>',
    re.DOTALL,
)
_STATUS_SPAN = re.compile(
    r'<span class="status status--(?:{})">[^<]*</span>'.format("|".join(ComponentStatus.values))
)


def _status_replaced(text: str, status: str) -> str:
    """The first status label in `text` (a row's or a group's head) saying `status`."""
    span = _fragment('{% include "public/_status.html" with value=value %}', {"value": status})
    return _STATUS_SPAN.sub(lambda _: span, text, count=1)


def _status_rewritten(text: str, change: PageChange, *, front: bool) -> str:
    """The page's statuses as `change` says: every page's header, and on the front page
    the banner, the component rows and their groups (the app's own templates)."""
    context = {"overall": change.indicator}
    text = _BRAND_MARK.sub(
        lambda _: _fragment('{% include "public/_brand_mark.html" %}', context), text, count=1
    )
    text = _BRAND_STATUS.sub(
        lambda _: _fragment(
            '{% load candor_public %}<span class="visually-hidden" data-brand-status>: '
            "{{ overall.description|page_words }}</span>",
            context,
        ),
        text,
        count=1,
    )
    if not front:
        return text
    text = _BANNER.sub(
        lambda _: _fragment(
            '{% include "public/_banner.html" %}',
            {"indicator": change.indicator, "maintenance": change.maintenance_active},
        ),
        text,
        count=1,
    )
    for component_id, status in change.statuses.items():
        start = text.find(f'<li class="component" data-component="{component_id}">')
        if start < 0:
            continue  # not shown (a vendor's hidden, or only when degraded)
        if component_id in change.hidden:
            end = text.find("</li>", start)
            if end >= 0:
                end += len("</li>")
                end += text.startswith("\n", end)
                text = text[:start].rstrip(" ") + text[end:]
            continue
        head_end = text.find("</div>", start)
        head = _status_replaced(text[start:head_end], status)
        text = text[:start] + head + text[head_end:]
    for group_id, status in change.groups.items():
        start = text.find(f'<li class="group" data-group="{group_id}">')
        summary_end = text.find("</summary>", start)
        if start < 0 or summary_end < 0:
            continue
        head = re.sub(
            r"<details(?: open)?>",
            "<details>" if status == ComponentStatus.OPERATIONAL else "<details open>",
            text[start:summary_end],
            count=1,
        )
        head = _status_replaced(head, status)
        text = text[:start] + head + text[summary_end:]
    return text


def _card_span(text: str, incident_id: str) -> tuple[int, int] | None:
    start = text.find(f'aria-labelledby="incident-{incident_id}"')
    if start < 0:
        return None
    start = text.rfind("<article", 0, start)
    end = text.find("</article>", start)
    return (start, end + len("</article>")) if start >= 0 and end >= 0 else None


def _card_next(text: str, incident_id: str, next_due: datetime | None) -> str:
    span = _card_span(text, incident_id)
    if span is None:
        return text
    card = text[span[0] : span[1]]
    line = re.compile(r'<p class="card__next">.*?</p>', re.DOTALL)
    replacement = (
        ""
        if next_due is None
        else _fragment(
            '{% load candor_public i18n %}<p class="card__next">{% translate "Next update by" %} '
            "{% utc_clock due %}</p>",
            {"due": next_due},
        )
    )
    return text[: span[0]] + line.sub(replacement, card, count=1) + text[span[1] :]


def _card_removed(text: str, incident_id: str) -> str:
    """A resolved incident leaves the front page's active incidents (and the section goes
    when it was the last)."""
    span = _card_span(text, incident_id)
    if span is None:
        return text
    text = text[: span[0]] + text[span[1] :]
    section = re.compile(
        r'<section class="section" aria-labelledby="active-incidents">\s*<h2[^>]*>[^<]*</h2>\s*'
        r"</section>\n?"
    )
    return section.sub("", text, count=1)


# -- JSON: the v2 documents, in the app's shapes (api/statuspage.py) ---------------------------

_JSON_DOCUMENTS = (
    "api/v2/summary.json",
    "api/v2/status.json",
    "api/v2/incidents.json",
    "api/v2/incidents/unresolved.json",
    "api/v2/components.json",
)
_ACTIVE_ONLY = ("api/v2/summary.json", "api/v2/incidents/unresolved.json")


def _timestamp(value: datetime | None) -> str | None:
    """statuspage.timestamp: ISO 8601 with milliseconds."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _update_json(update: _UpdateShape) -> dict[str, Any]:
    at = _timestamp(update.record.posted_at)
    return {
        "id": update.record.update_id,
        "status": update.record.status,
        "body": plain_text(update.body_html),
        "incident_id": update.record.incident,
        "created_at": at,
        "updated_at": at,
        "display_at": at,
        "affected_components": None,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def _json_rewritten(
    path: str,
    body: bytes,
    update: _UpdateShape,
    next_due: datetime | None,
    change: PageChange | None,
) -> bytes | None:
    document = json.loads(body)
    at = _timestamp(update.record.posted_at)
    if change is not None:
        status = document.get("status")
        if isinstance(status, dict) and "indicator" in status:
            document["status"] = {
                "indicator": change.indicator.indicator,
                "description": change.indicator.description,
            }
        _components_rewritten(document, change, at)
    elif "incidents" not in document and "status" not in document:
        return None  # components.json: nothing of it changes
    if isinstance(document.get("page"), dict):
        document["page"]["updated_at"] = at
    incidents = document.get("incidents")
    if isinstance(incidents, list):
        kept = []
        for item in incidents:
            if isinstance(item, dict) and item.get("id") == update.record.incident:
                if update.resolved and path in _ACTIVE_ONLY:
                    continue
                item["status"] = update.record.status
                item["updated_at"] = at
                if update.record.status == IncidentStatus.MONITORING and not item.get(
                    "monitoring_at"
                ):
                    item["monitoring_at"] = at
                if update.resolved:
                    item["resolved_at"] = at
                item["incident_updates"] = [_update_json(update), *item["incident_updates"]]
                item["next_update_at"] = _timestamp(next_due)
            kept.append(item)
        document["incidents"] = kept
    return json.dumps(document).encode()


def _components_rewritten(node: Any, change: PageChange, at: str | None) -> None:
    """Every component and group object in the document (api/statuspage.py's shapes:
    the components lists and each incident's components) with its new status."""
    if isinstance(node, list):
        for item in node:
            _components_rewritten(item, change, at)
        return
    if not isinstance(node, dict):
        return
    if "group_id" in node and "status" in node:
        identity = node.get("id")
        table = change.groups if node.get("group") is True else change.statuses
        if isinstance(identity, str) and identity in table:
            node["status"] = table[identity]
            node["updated_at"] = at
    for value in node.values():
        if isinstance(value, (dict, list)):
            _components_rewritten(value, change, at)


# -- feeds: one entry per incident, its updates newest first ---------------------------------

_FEEDS = ("history.atom", "history.rss")


def _feed_rewritten(body: bytes, update: _UpdateShape) -> bytes:
    text = body.decode()
    link = f"{update.record.site}/incidents/{update.record.incident}"
    anchor = text.find(f'href="{link}"')
    if anchor < 0:
        anchor = text.find(f"<link>{link}</link>")
    if anchor < 0:
        return body
    start = max(text.rfind("<entry>", 0, anchor), text.rfind("<item>", 0, anchor))
    end_tag = "</entry>" if text.startswith("<entry>", start) else "</item>"
    end = text.find(end_tag, anchor)
    if start < 0 or end < 0:
        return body
    entry = text[start:end]
    fragment = _fragment(
        "{% load candor_public %}<p><small>{{ at|utc_datetime }}</small><br><strong>"
        "{{ status|status_label }}</strong></p>\n{{ body|safe }}\n",
        {"at": update.record.posted_at, "status": update.record.status, "body": update.body_html},
    )
    escaped = html.escape(fragment, quote=False)
    for opening in ('<summary type="html">', '<content type="html">', "<description>"):
        entry = entry.replace(opening, opening + escaped, 1)
    updated = update.record.posted_at.isoformat()
    entry = re.sub(r"<updated>[^<]*</updated>", f"<updated>{updated}</updated>", entry, count=1)
    return (text[:start] + entry + text[end:]).encode()
