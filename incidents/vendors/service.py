"""Vendor writes: adding a vendor, its settings, picking its components, and recording
what a poll found. Beside lifecycle (the same layer): each write is validated, done in
one transaction and audited; a linked component's status moves only through
`lifecycle.component_status_set`, so everything that follows a component's status
(uptime history, the public page, dependency propagation) follows vendor components too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from incidents import lifecycle, roles
from incidents.audit import Actor, audit_record
from incidents.models import (
    AuditAction,
    Component,
    ComponentGroup,
    ComponentStatus,
    Vendor,
    VendorComponent,
    VendorState,
    VendorStatus,
)
from incidents.publish.changes import SITE_WIDE_ONLY
from incidents.text import text_problem
from incidents.vendors.backoff import next_poll
from incidents.vendors.document import Reading
from incidents.vendors.fetch import Fetched
from incidents.vendors.probe import Found, ProbeError, probe

THIRD_PARTY_GROUP = "Third-party services"
POLLER = Actor.system("vendor-poll")
MIN_INTERVAL = 30
MAX_INTERVAL = 3600
MAX_URL_LENGTH = 500
# How old the public page's "checked" time of a shown vendor may grow before the page is
# refreshed for it alone: each refresh re-renders the site-wide pages (publish/changes.py).
PUBLIC_REFRESH = timedelta(minutes=10)

_url_valid = URLValidator(schemes=["http", "https"], message="Enter a valid http(s) URL.")


def _check_name(errors: dict[str, list[str]], name: str) -> None:
    if not name.strip():
        errors["name"].append("This field is required.")
    elif len(name) > lifecycle.MAX_NAME_LENGTH:
        errors["name"].append(f"At most {lifecycle.MAX_NAME_LENGTH} characters.")
    elif problem := text_problem(name, multiline=False):
        errors["name"].append(f"This text {problem}")


def _raise_if(errors: dict[str, list[str]]) -> None:
    if any(errors.values()):
        raise ValidationError({k: v for k, v in errors.items() if v})


def vendor_url_check(url: str) -> str:
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError({"url": [f"At most {MAX_URL_LENGTH} characters."]})
    if problem := text_problem(url, multiline=False):
        raise ValidationError({"url": [f"This text {problem}"]})
    try:
        _url_valid(url)
    except ValidationError as exc:
        raise ValidationError({"url": exc.messages}) from None
    return url


def vendor_add(*, actor: Actor, url: str, name: str = "", now: datetime | None = None) -> Vendor:
    """Fetch `url` (or the Statuspage document under it), and record the vendor with the
    components it lists, none picked yet. The fetch happens before any transaction."""
    now = now or timezone.now()
    found = vendor_probe(actor=actor, url=url, name=name, now=now)
    return vendor_record(actor=actor, found=found, name=name, now=now)


def vendor_probe(*, actor: Actor, url: str, name: str = "", now: datetime) -> Found:
    """vendor_add's first half: check the input and fetch the vendor's document. Writes
    nothing, so a caller may run it outside the transaction that records the vendor."""
    roles.require_permission(actor, roles.MANAGE_VENDORS)
    url = vendor_url_check(url)
    if name:
        errors: dict[str, list[str]] = defaultdict(list)
        _check_name(errors, name)
        _raise_if(errors)
    try:
        return probe(url, now=now)
    except ProbeError as exc:
        raise ValidationError({"url": [f"No status document could be read: {exc}"]}) from None


def vendor_record(*, actor: Actor, found: Found, name: str = "", now: datetime) -> Vendor:
    """vendor_add's second half: record what vendor_probe found (no network)."""
    roles.require_permission(actor, roles.MANAGE_VENDORS)
    if Vendor.objects.filter(url=found.url, active=True).exists():
        raise ValidationError({"url": [f"{found.url} is already a vendor."]})
    reading = found.reading
    with transaction.atomic():
        # A removed vendor added again resumes, with the components of ours it had.
        vendor = Vendor.objects.select_for_update().filter(url=found.url).first() or Vendor(
            url=found.url
        )
        vendor.name = (name.strip() or reading.page_name or found.url)[: lifecycle.MAX_NAME_LENGTH]
        vendor.kind = reading.kind
        vendor.active = True
        vendor.state = VendorState.OK
        vendor.failures = 0
        vendor.last_error = ""
        vendor.etag = found.fetched.etag
        vendor.last_modified = found.fetched.last_modified
        vendor.last_fetched_at = vendor.last_attempt_at = now
        vendor.next_poll_at = now  # polled at once, so the console shows a full first poll
        vendor.save()
        _components_store(vendor, reading)
        audit_record(
            actor=actor,
            action=AuditAction.VENDOR_ADDED,
            target=vendor,
            summary=f"Added vendor {vendor.name!r} ({vendor.url})",
            at=now,
            data={"url": vendor.url, "kind": vendor.kind, "components": len(reading.components)},
        )
    return vendor


def vendor_edit(
    *,
    actor: Actor,
    vendor: Vendor,
    name: str,
    interval: int,
    show_on_public_page: bool,
    now: datetime | None = None,
) -> Vendor:
    roles.require_permission(actor, roles.MANAGE_VENDORS)
    now = now or timezone.now()
    errors: dict[str, list[str]] = defaultdict(list)
    _check_name(errors, name)
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        errors["interval"].append(
            f"Between {MIN_INTERVAL} and {MAX_INTERVAL} seconds: vendors ask to be polled "
            "politely, and a status older than an hour is no status."
        )
    _raise_if(errors)
    with transaction.atomic():
        locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
        old = {
            "name": locked.name,
            "interval": locked.interval,
            "public": locked.show_on_public_page,
        }
        locked.name = name.strip()
        locked.interval = interval
        locked.show_on_public_page = show_on_public_page
        locked.next_poll_at = min(locked.next_poll_at, now + timedelta(seconds=interval))
        locked.save()
        new = {"name": locked.name, "interval": interval, "public": show_on_public_page}
        audit_record(
            actor=actor,
            action=AuditAction.VENDOR_EDITED,
            target=locked,
            summary=f"Changed vendor {locked.name!r}",
            at=now,
            data={"old": old, "new": new},
        )
        if (
            old["public"] != show_on_public_page
            and locked.components.exclude(component=None).exists()
        ):
            # Vendor writes are public ones: one definition of "the public page changed".
            lifecycle.public_change()
    return locked


def _third_party_group(actor: Actor, now: datetime) -> ComponentGroup:
    group = ComponentGroup.objects.filter(name=THIRD_PARTY_GROUP).order_by("pk").first()
    if group is None:
        group = lifecycle.group_create(actor=actor, name=THIRD_PARTY_GROUP, position=1000, now=now)
    return group


def local_status(vendor_component: VendorComponent) -> ComponentStatus:
    """What a linked component shows: the vendor's last reported status. Unknown keeps the
    last one reported (docs/design.md, "Vendors"): our failure to read the vendor's page
    is no evidence of an outage, and must not move what depends on it."""
    reported = vendor_component.reported_status or VendorStatus.OPERATIONAL
    return ComponentStatus(reported)


def vendor_components_pick(
    *, actor: Actor, vendor: Vendor, external_ids: list[str], now: datetime | None = None
) -> list[Component]:
    """Each picked vendor component drives a component of ours in "Third-party services"
    (created the first time); one no longer picked stops following the vendor, and ours
    stays, with its history, still shown or hidden as the vendor's setting says."""
    roles.require_permission(actor, roles.MANAGE_VENDORS)
    now = now or timezone.now()
    wanted = set(external_ids)
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().get(pk=vendor.pk)
        listed = {vc.external_id: vc for vc in vendor.components.select_related("component")}
        unknown = sorted(wanted - listed.keys())
        if unknown:
            raise ValidationError(
                {"components": [f"Not a component of {vendor.name}: {unknown[0]!r}."]}
            )
        linked = []
        added, removed = [], []
        for external_id, vc in listed.items():
            if external_id in wanted and not vc.picked and vc.component is not None:
                vc.picked = True  # picked again: ours follows the vendor again
                vc.save(update_fields=["picked"])
                if local_status(vc) != vc.component.manual_status:
                    lifecycle.component_status_set(
                        actor=POLLER, component=vc.component, status=local_status(vc), now=now
                    )
                added.append(vc.name)
            elif external_id in wanted and vc.component is None:
                group = _third_party_group(actor, now)
                name = f"{vendor.name}: {vc.name}"[: lifecycle.MAX_NAME_LENGTH]
                component = lifecycle.component_save(
                    actor=actor,
                    name=name,
                    group=group,
                    position=vc.position,
                    showcase=False,
                    description=f"Reported by {vendor.name}'s status page.",
                    now=now,
                )
                vc.component = component
                vc.picked = True
                vc.save(update_fields=["component", "picked"])
                status = local_status(vc)
                if status != component.manual_status:
                    component = lifecycle.component_status_set(
                        actor=POLLER, component=component, status=status, now=now
                    )
                added.append(vc.name)
            elif external_id not in wanted and vc.picked:
                vc.picked = False
                vc.save(update_fields=["picked"])
                removed.append(vc.name)
            if vc.picked and vc.component is not None:
                linked.append(vc.component)
        audit_record(
            actor=actor,
            action=AuditAction.VENDOR_COMPONENTS_PICKED,
            target=vendor,
            summary=f"Picked {len(linked)} of {vendor.name}'s components",
            at=now,
            data={"added": added, "removed": removed},
        )
    return linked


def vendor_remove(*, actor: Actor, vendor: Vendor, now: datetime | None = None) -> None:
    """Stop polling the vendor. It is kept, inactive: our components stay, with their
    history, shown or hidden as before; adding its URL again resumes it."""
    roles.require_permission(actor, roles.MANAGE_VENDORS)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
        audit_record(
            actor=actor,
            action=AuditAction.VENDOR_REMOVED,
            target=locked,
            summary=f"Removed vendor {locked.name!r} ({locked.url})",
            at=now,
        )
        locked.active = False
        locked.state = VendorState.OK
        locked.last_error = ""
        locked.save()
        locked.components.update(picked=False)


# -- polling ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one fetch gave: an answer (`fetched`, with `reading` when it had a body), or
    an `error` (unreachable, a bad answer, a document we cannot read)."""

    fetched: Fetched | None = None
    reading: Reading | None = None
    error: str = ""


def _components_store(vendor: Vendor, reading: Reading) -> list[VendorComponent]:
    """Upsert the components the vendor reports; one it no longer lists becomes unknown.
    Returns those whose status changed."""
    existing = {vc.external_id: vc for vc in vendor.components.select_related("component")}
    changed = []
    for position, reported in enumerate(reading.components):
        vc = existing.pop(reported.external_id, None)
        if vc is None:
            vc = VendorComponent(vendor=vendor, external_id=reported.external_id)
        # A change is the vendor's word changing; coming back from unknown is not one.
        moved = vc.reported_status != reported.status
        fields = {
            "name": reported.name,
            "group_name": reported.group_name,
            "status": reported.status,
            "reported_status": reported.status,
            "position": position,
        }
        stale = [key for key, value in fields.items() if getattr(vc, key) != value]
        for key in stale:
            setattr(vc, key, fields[key])
        if vc.pk is None:
            vc.save()
        elif stale:  # most of a changed document is unchanged: write only what moved
            vc.save(update_fields=stale)
        if moved:
            changed.append(vc)
    for vc in existing.values():
        if vc.status != VendorStatus.UNKNOWN:
            vc.status = VendorStatus.UNKNOWN
            vc.save(update_fields=["status"])
            changed.append(vc)
    return changed


def vendor_poll_record(
    *, vendor_id: int, outcome: Outcome, now: datetime | None = None, interval: int | None = None
) -> str:
    """Record one poll: the vendor's state and next poll, its components' statuses, and
    the linked components' statuses (audited, as the system actor). Returns a word for
    the task's result: changed, unchanged, not_modified or failed (gone if removed).

    `interval`, the vendor's as the poller read it, allows the common case (a 304 from a
    vendor that was fine, not shown publicly) to be one UPDATE."""
    now = now or timezone.now()
    fetched = outcome.fetched
    if interval is not None and fetched is not None and fetched.not_modified:
        quiet = Vendor.objects.filter(
            pk=vendor_id, state=VendorState.OK, show_on_public_page=False
        ).update(
            last_attempt_at=now,
            last_fetched_at=now,
            next_poll_at=next_poll(now=now, interval=interval, failures=0),
        )
        if quiet:
            return "not_modified"
    with transaction.atomic():
        vendor = Vendor.objects.select_for_update().filter(pk=vendor_id).first()
        if vendor is None:
            return "gone"  # removed while it was being fetched
        was = vendor.state
        vendor.last_attempt_at = now
        changed: list[VendorComponent] = []
        if outcome.error or outcome.fetched is None:
            vendor.failures += 1
            vendor.state = VendorState.UNKNOWN
            vendor.last_error = (outcome.error or "no answer")[:500]
            vendor.components.exclude(status=VendorStatus.UNKNOWN).update(
                status=VendorStatus.UNKNOWN
            )
            result = "failed"
        else:
            vendor.failures = 0
            vendor.state = VendorState.OK
            vendor.last_error = ""
            vendor.last_fetched_at = now
            if outcome.fetched.not_modified:
                if was == VendorState.UNKNOWN:  # the document we hold is current again
                    for vc in vendor.components.exclude(reported_status=""):
                        vc.status = vc.reported_status
                        vc.save(update_fields=["status"])
                result = "not_modified"
            else:
                assert outcome.reading is not None
                vendor.etag = outcome.fetched.etag
                vendor.last_modified = outcome.fetched.last_modified
                changed = _components_store(vendor, outcome.reading)
                result = "changed" if changed else "unchanged"
        if changed:
            vendor.last_changed_at = now
        vendor.next_poll_at = next_poll(now=now, interval=vendor.interval, failures=vendor.failures)
        vendor.save()
        for vc in changed:
            component = vc.component
            if component is None or not vc.picked or vc.status == VendorStatus.UNKNOWN:
                continue
            if component.manual_status != local_status(vc):
                lifecycle.component_status_set(
                    actor=POLLER, component=component, status=local_status(vc), now=now
                )
        if vendor.show_on_public_page and _public_refresh_due(vendor, was=was, now=now):
            vendor.public_refreshed_at = now
            vendor.save(update_fields=["public_refreshed_at"])
            # Unknown shows or goes, or the "checked" time has grown old: status changes
            # went through component_status_set, which refreshes the page itself.
            lifecycle.public_change(SITE_WIDE_ONLY)
    return result


def _public_refresh_due(vendor: Vendor, *, was: str, now: datetime) -> bool:
    if not vendor.components.filter(picked=True).exists():
        return False
    if was != vendor.state:
        return True
    last = vendor.public_refreshed_at
    return last is None or now - last >= PUBLIC_REFRESH


def vendor_poll_soon(*, vendor: Vendor, now: datetime | None = None) -> None:
    """Make the vendor due now ("poll now" in the console); a failing one keeps its
    failure count, so its backoff resumes if it fails again."""
    Vendor.objects.filter(pk=vendor.pk).update(next_poll_at=now or timezone.now())
