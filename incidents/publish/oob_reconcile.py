"""Reconciling out-of-band updates into the database, exactly once.

Every publish does it first (publish/service.py), and again under each target's lock
just before pushing to it, and `manage.py reconcile_out_of_band` does it on demand; the
`publish-reconcile` beat task runs it every minute. It reads the out-of-band records
each target serves (oob/updates/, publish/oob_format.py), checks each one's signature
against the out-of-band keys listed (and not revoked) in the database, and posts it
through lifecycle as the person the key was issued to, at the time it was posted, with
the id the page already shows.

Exactly once: the record's id is unique (OutOfBandUpdate), and the row is written in
the transaction that posts the update, after the incident's row lock that update_post
takes anyway: a second process reconciling the same record at the same moment waits on
that lock, then finds the row and does nothing. A target holding the record twice, or
two targets holding it, is the same id. A replay (the record read again later) finds
the row.

No loss when the app publishes before reconciling: a push replaces what a target serves
and drops files the new render does not have, oob/updates/ among them. So the publisher
reconciles (from the local copies) before it renders, and again under each target's lock
right before its push
(reading that very target): a record that arrived after the render is reconciled there,
that push is skipped (the render predates the update) and the version the update bumps
publishes it. A record that cannot be verified is never posted, and also never blocks
a push: it is logged, for staff to look at, and the page then loses it.

Subscribers: the CLI cannot send. Reconciliation notifies them of an incident's newest
out-of-band update only when it is still the incident's newest word and was posted
within CANDOR_OOB_NOTIFY_WITHIN seconds (an hour by default); older ones go on the
page and in the history only, so nobody gets a burst of stale messages when the app
comes back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents import lifecycle
from incidents.audit import Actor, audit_record
from incidents.models import (
    AuditAction,
    Incident,
    IncidentUpdate,
    KeyPurpose,
    NotifyScope,
    OutOfBandUpdate,
    SigningKey,
)
from incidents.publish.manifest import Manifest
from incidents.publish.oob_format import (
    UPDATES_DIR,
    OobRefused,
    UpdateRecord,
    signature_path,
    verify,
)
from incidents.publish.oob_post import read_file
from incidents.publish.targets import configured_targets
from incidents.publish.targets.base import Target, TargetError
from incidents.publish.versions import site_version
from incidents.signing import utc_text

log = logging.getLogger(__name__)

CHANNEL = "out_of_band"


@dataclass
class Reconciled:
    recorded: list[str] = field(default_factory=list)  # oob ids recorded by this call
    refused: dict[str, str] = field(default_factory=dict)  # oob id -> why
    unreadable: dict[str, str] = field(default_factory=dict)  # target or path -> why


def reconcile(*, targets: list[Target] | None = None) -> Reconciled:
    """Record every out-of-band update any target serves that is not recorded yet."""
    result = Reconciled()
    for target in configured_targets() if targets is None else targets:
        try:
            manifest = target.current()
        except TargetError as exc:
            result.unreadable[target.name] = str(exc)
            continue
        if manifest is not None:
            reconcile_from(target, manifest, result)
    return result


def listed_ids(manifest: Manifest) -> list[str]:
    return [
        path.removeprefix(UPDATES_DIR).removesuffix(".json")
        for path in manifest.files
        if path.startswith(UPDATES_DIR) and path.endswith(".json")
    ]


def pending_ids(manifest: Manifest) -> list[str]:
    """The out-of-band updates `manifest` lists that the database has no record of."""
    ids = listed_ids(manifest)
    known = set(OutOfBandUpdate.objects.filter(oob_id__in=ids).values_list("oob_id", flat=True))
    return [i for i in ids if i not in known]


def shown_since(manifest: Manifest) -> int:
    """The first site version that has every out-of-band update `manifest` shows (0 when
    it shows none the database took): a render older than that would take one off."""
    ids = listed_ids(manifest)
    if not ids:
        return 0
    versions = OutOfBandUpdate.objects.filter(oob_id__in=ids).values_list("version", flat=True)
    return max(versions, default=0)


def reconcile_from(target: Target, manifest: Manifest, result: Reconciled) -> None:
    records = []
    for oob_id in pending_ids(manifest):
        path = f"{UPDATES_DIR}{oob_id}.json"
        try:
            raw = read_file(target, manifest, path)
            signature = read_file(target, manifest, signature_path(path))
            record = UpdateRecord.from_bytes(raw)
        except (TargetError, OobRefused, OSError, KeyError) as exc:
            result.unreadable[f"{target.name}:{path}"] = str(exc)
            log.error("out-of-band update %s on %s cannot be read: %s", path, target.name, exc)
            continue
        records.append((record, raw, signature))
    # In the order they were posted: each one's cadence follows the one before.
    records.sort(key=lambda r: (r[0].posted_at, r[0].oob_id))
    newest = {record.incident: record.oob_id for record, _, _ in records}
    for record, raw, signature in records:
        try:
            if record_once(
                record,
                raw=raw,
                signature=signature,
                source=target.name,
                may_notify=newest[record.incident] == record.oob_id,
            ):
                result.recorded.append(record.oob_id)
        except OobRefused as refusal:
            result.refused[record.oob_id] = str(refusal)
            log.error("out-of-band update %s refused: %s", record.oob_id, refusal)


def _keys_valid_now() -> dict[str, str]:
    return dict(
        SigningKey.objects.filter(
            purpose=KeyPurpose.OUT_OF_BAND, valid_until__isnull=True
        ).values_list("key_id", "public_key")
    )


def record_once(
    record: UpdateRecord, *, raw: bytes, signature: bytes, source: str, may_notify: bool = True
) -> bool:
    """Post `record` as an IncidentUpdate and record it, unless recorded already; True
    when this call recorded it. OobRefused for a record that is not genuine (nothing is
    written: a forgery must not even leave a row that would hide the genuine one)."""
    if raw != record.to_bytes():
        raise OobRefused("the record is not in canonical form")
    # A key revoked since is refused whatever the time the record claims: a stolen key
    # could claim any time.
    key_id = verify(raw, signature, _keys_valid_now(), what=f"out-of-band update {record.oob_id}")
    if key_id != record.key:
        raise OobRefused("signed by another key than the one it names")
    if record.site != settings.CANDOR_CANONICAL_URL:
        raise OobRefused(f"posted for {record.site}, not this site")
    key = SigningKey.objects.select_related("issued_to").get(key_id=key_id)
    incident = Incident.objects.filter(public_id=record.incident).first()
    if incident is None:
        raise OobRefused(f"no incident {record.incident}")
    now = timezone.now()
    try:
        with transaction.atomic():
            # The lock update_post takes anyway, taken first: a second reconciler waits
            # here, then sees the first one's row.
            Incident.objects.select_for_update().get(pk=incident.pk)
            if OutOfBandUpdate.objects.filter(oob_id=record.oob_id).exists():
                return False
            update, refused = _post(record, key, incident, now=now, may_notify=may_notify)
            row = OutOfBandUpdate.objects.create(
                version=site_version() if update else 0,
                oob_id=record.oob_id,
                update=update,
                refused=refused[:300],
                key_id=key_id,
                posted_by=key.issued_to,
                posted_at=record.posted_at,
                reconciled_at=now,
                source=source[:200],
                record=raw.decode(),
            )
            by = key.issued_to.get_username() if key.issued_to else f"key {key_id}"
            audit_record(
                actor=Actor.system("oob-reconcile"),
                action=AuditAction.INCIDENT_OOB_RECONCILED,
                target=incident,
                summary=(
                    f"Posted out of band by {by} at {utc_text(record.posted_at)}, "
                    f"reconciled at {utc_text(now)}"
                    + (f": not taken ({refused})" if refused else f" ({record.status})")
                ),
                data={
                    "oob_id": row.oob_id,
                    "update": update.public_id if update else None,
                    "template": record.template,
                    "key": key_id,
                    "source": source,
                    "refused": refused,
                },
                at=now,
            )
    except IntegrityError:
        # Recorded meanwhile by another process (its row committed between our check and
        # our insert, on a database without the lock's ordering): once is done.
        if OutOfBandUpdate.objects.filter(oob_id=record.oob_id).exists():
            return False
        raise
    return True


def _post(
    record: UpdateRecord, key: SigningKey, incident: Incident, *, now: datetime, may_notify: bool
) -> tuple[IncidentUpdate | None, str]:
    """The update as lifecycle posts it, or why the app cannot take it (the incident was
    resolved in the app meanwhile, the words are no longer approved): recorded either
    way, so it is neither retried for ever nor lost from the audit trail."""
    if key.issued_to is None:
        return None, "the key was issued to nobody"
    newest = incident.updates.order_by("-display_at", "-pk").first()
    # posted_at is kept to the second (oob_post.py): compared at that precision, and an
    # update posted in the second of the app's latest one comes after it, its component
    # changes too (else a resolution posted then would leave the component in outage).
    if newest is not None and newest.display_at.replace(microsecond=0) > record.posted_at:
        # The app moved on while the copy was down: history, not the current state.
        return None, f"the app posted later ({utc_text(newest.display_at)}) than this update"
    at = record.posted_at if newest is None else max(record.posted_at, newest.display_at)
    recent = may_notify and now - record.posted_at <= timedelta(
        seconds=settings.CANDOR_OOB_NOTIFY_WITHIN
    )
    try:
        with transaction.atomic():
            update = lifecycle.update_post(
                actor=Actor.staff(key.issued_to, channel=CHANNEL),
                incident=incident,
                body=record.body,
                status=record.status,
                notify=NotifyScope.ALL if recent else NotifyScope.NONE,
                now=at,
                public_id=record.update_id,
            )
    except (ValidationError, PermissionError, IntegrityError) as error:
        messages = getattr(error, "messages", None) or [str(error)]
        return None, "; ".join(str(m) for m in messages)
    return update, ""
