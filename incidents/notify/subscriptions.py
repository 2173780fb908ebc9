"""Subscribing, confirming (double opt-in on every channel), changing and leaving.

Services in the lifecycle's style: keyword-only, validated, one transaction, side effects
(the confirmation message) after the commit.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from incidents.audit import Actor, audit_record
from incidents.enqueue import Fallback, enqueue_on_commit
from incidents.models import (
    Audience,
    AuditAction,
    Component,
    Incident,
    Subscriber,
    SubscriberComponent,
    SubscriberState,
)
from incidents.notify.channels import channel_names, channels_all, destination_normalise
from incidents.ratelimit import window_hit
from incidents.text import text_problem

log = logging.getLogger(__name__)

MAX_CODE_ATTEMPTS = 5


class RateLimited(Exception):
    def __init__(self, what: str) -> None:
        super().__init__(
            _("Too many subscription requests from this %(what)s; try again later.")
            % {"what": what}
        )


@dataclass(frozen=True)
class SubscribeOutcome:
    subscriber: Subscriber
    sent: bool  # False: a confirmation went to this destination within the cool-down


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _limit(key: str, allowed: int, what: str) -> None:
    """A fixed hourly window per key, counted in the shared cache (Redis)."""
    window = f"notify:subscribe:{key}:{int(timezone.now().timestamp() // 3600)}"
    if window_hit(window, seconds=3600) > allowed:
        raise RateLimited(what)


def _choose_channel() -> str:
    """The refusal of an unknown channel: "Choose email, SMS or webhook." """
    labels = [c.label if c.label.isupper() else c.label.lower() for c in channels_all().values()]
    listed = " or ".join([", ".join(labels[:-1]), labels[-1]] if len(labels) > 1 else labels)
    return f"Choose {listed}."


def subscriber_subscribe(
    *,
    channel: str,
    destination: str,
    component_ids: Iterable[int] | None,
    ip: str,
    incident: Incident | None = None,
    now: datetime | None = None,
    language: str = "en",
    audience: Audience | None = None,
) -> SubscribeOutcome:
    """Ask `destination` to confirm a subscription (all components when ids is None), or
    to follow one open `incident` (follow.py).

    A confirmed subscriber is left as it is: the confirmation would let a stranger change
    someone else's choices. What the caller sees is the same either way, so the form does
    not reveal who subscribes.
    """
    now = now or timezone.now()
    way = channels_all().get(channel)
    if way is None:
        raise ValidationError({"channel": [_choose_channel()]})
    if not way.enabled():
        raise ValidationError({"channel": [_(way.unavailable)]})
    try:
        normalised, prefix = destination_normalise(channel, destination)
    except ValidationError as exc:
        raise ValidationError({"destination": exc.messages}) from None
    ids = sorted(set(component_ids)) if component_ids is not None else None
    if ids is not None:
        known = set(Component.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if not ids or known != set(ids):
            raise ValidationError({"components": [_("Choose at least one component, or all.")]})
    if incident is not None and not incident.is_open:
        raise ValidationError(
            {"incident": [_("This incident is resolved: there is nothing more to follow.")]}
        )
    _limit(f"ip:{ip}", settings.CANDOR_SUBSCRIBE_PER_IP, "address")
    _limit(f"dest:{channel}:{_hash(normalised)}", settings.CANDOR_SUBSCRIBE_PER_DESTINATION,
           "destination")  # fmt: skip
    _limit(f"prefix:{channel}:{prefix}", settings.CANDOR_SUBSCRIBE_PER_PREFIX,
           "country or domain")  # fmt: skip
    for key, allowed, what in way.subscribe_limits(normalised):
        _limit(key, allowed, what)

    with transaction.atomic():
        subscriber, _created = Subscriber.objects.select_for_update().get_or_create(
            channel=channel, destination=normalised, incident=incident, defaults={"created_at": now}
        )
        subscriber.prefix = prefix[:300]
        if subscriber.state == SubscriberState.CONFIRMED:  # keeps the language it chose
            return SubscribeOutcome(subscriber, sent=False)
        subscriber.state = SubscriberState.PENDING
        subscriber.language = language
        # A signed-in reader's choice (public/subscribe.py); confirmed by the destination.
        subscriber.audience = audience
        subscriber.all_components = ids is None
        SubscriberComponent.objects.filter(subscriber=subscriber).delete()
        SubscriberComponent.objects.bulk_create(
            SubscriberComponent(subscriber=subscriber, component_id=pk) for pk in ids or ()
        )
        cooldown = timedelta(seconds=settings.CANDOR_CONFIRMATION_COOLDOWN)
        if subscriber.confirmation_sent_at and now - subscriber.confirmation_sent_at < cooldown:
            subscriber.save()
            return SubscribeOutcome(subscriber, sent=False)
        secret = way.secret_new()
        subscriber.confirmation_hash = _hash(secret)
        subscriber.confirmation_expires_at = now + timedelta(
            seconds=settings.CANDOR_CONFIRMATION_TTL
        )
        subscriber.confirmation_sent_at = now
        subscriber.confirmation_attempts = 0
        subscriber.save()
        # Nobody would send it later: without a broker or a worker, it is sent from here.
        enqueue_on_commit(
            "incidents.tasks.subscriber_confirmation_send",
            subscriber.pk,
            secret,
            fallback=Fallback.HERE,
        )
    return SubscribeOutcome(subscriber, sent=True)


def confirmation_deliver(*, subscriber_id: int, secret: str) -> str:
    """Send the confirmation through the subscriber's channel (a link by email, a code by
    SMS, a challenge to a webhook); a channel whose destination proved itself in the
    same exchange (a webhook echoing the challenge) is confirmed at once."""
    subscriber = Subscriber.objects.get(pk=subscriber_id)
    if subscriber.state != SubscriberState.PENDING:
        return "not pending"
    channel = channels_all().get(subscriber.channel)
    if channel is None:
        return "no such channel"
    with translation.override(subscriber.language or settings.LANGUAGE_CODE):
        sent = channel.confirmation_send(subscriber, secret)
    if sent.proven:
        return "confirmed" if subscriber_confirm(secret=secret) else "expired"
    return sent.outcome


def subscriber_confirm(
    *, secret: str, subscriber: Subscriber | None = None, now: datetime | None = None
) -> Subscriber | None:
    """Confirm with the secret sent; None if it is wrong, expired or already used.

    With `subscriber` (SMS codes, short enough to guess) the code is checked against that
    one subscriber, and five wrong codes void it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        candidates = Subscriber.objects.select_for_update().filter(state=SubscriberState.PENDING)
        if subscriber is not None:
            found = candidates.filter(pk=subscriber.pk).first()
            if found is None or not found.confirmation_hash:
                return None
            if not secrets.compare_digest(found.confirmation_hash, _hash(secret)):
                found.confirmation_attempts += 1
                if found.confirmation_attempts >= MAX_CODE_ATTEMPTS:
                    found.confirmation_hash = ""
                found.save(update_fields=["confirmation_attempts", "confirmation_hash"])
                return None
        else:
            found = candidates.filter(confirmation_hash=_hash(secret)).first()
            if found is None:
                return None
        if found.confirmation_expires_at is None or found.confirmation_expires_at < now:
            return None
        found.state = SubscriberState.CONFIRMED
        found.confirmed_at = now
        found.confirmation_hash = ""  # used once: a replayed link finds nothing
        found.confirmation_expires_at = None
        found.save()
    return found


def subscriber_unsubscribe(*, subscriber: Subscriber) -> Subscriber:
    Subscriber.objects.filter(pk=subscriber.pk).update(
        state=SubscriberState.UNSUBSCRIBED, confirmation_hash=""
    )
    subscriber.refresh_from_db()
    return subscriber


def subscriber_components_set(
    *, subscriber: Subscriber, component_ids: Iterable[int] | None
) -> Subscriber:
    ids = sorted(set(component_ids)) if component_ids is not None else None
    if ids is not None:
        known = set(Component.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if not ids or known != set(ids):
            raise ValidationError({"components": [_("Choose at least one component, or all.")]})
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        subscriber.all_components = ids is None
        subscriber.save(update_fields=["all_components"])
        SubscriberComponent.objects.filter(subscriber=subscriber).delete()
        SubscriberComponent.objects.bulk_create(
            SubscriberComponent(subscriber=subscriber, component_id=pk) for pk in ids or ()
        )
    return subscriber


PHRASE_MAX = 40


def subscriber_phrase_set(*, subscriber: Subscriber, phrase: str) -> Subscriber:
    """The personal phrase shown in every message to them ("" for none): one printable
    line, or refused. It is a secret of theirs: never logged, never audited by value."""
    problem = text_problem(phrase.strip(), max_len=PHRASE_MAX)
    phrase = " ".join(phrase.split())
    if problem:
        raise ValidationError({"phrase": [_("Your phrase: %(problem)s") % {"problem": problem}]})
    Subscriber.objects.filter(pk=subscriber.pk).update(personal_phrase=phrase)
    subscriber.personal_phrase = phrase
    return subscriber


# -- staff: import and export ---------------------------------------------------------------


def subscriber_remove(
    *, actor: Actor, subscriber: Subscriber, now: datetime | None = None
) -> Subscriber:
    """Unsubscribe someone on staff's word (the API's delete), audited: nothing more is
    sent to them; the row stays, so an export or a later import does not bring them back
    unnoticed."""
    now = now or timezone.now()
    with transaction.atomic():
        subscriber = subscriber_unsubscribe(subscriber=subscriber)
        audit_record(
            actor=actor,
            action=AuditAction.SUBSCRIBER_REMOVED,
            target=subscriber,
            summary=f"Unsubscribed a {subscriber.channel} subscriber",
            at=now,
        )
    return subscriber


class SubscriberList:
    """The audit log's target for changes to the list as a whole."""

    public_id = "all"
    pk = None


CSV_FIELDS = ["channel", "destination", "state", "components", "created_at", "confirmed_at"]


@dataclass(frozen=True)
class ImportResult:
    created: int
    skipped: int  # already subscribed on that channel
    errors: list[str]  # "line 4: ..." for every row refused


def subscribers_import(
    *, actor: Actor, rows: Iterable[dict[str, str]], now: datetime | None = None
) -> ImportResult:
    """Add subscribers from a CSV export (ours or another service's), as confirmed.

    Staff importing a list vouch that these people opted in elsewhere; nothing is sent to
    them now. Rows are validated like the public form (without its rate limits); a bad
    row is reported and skipped, the others are kept. `components` lists component ids
    separated by spaces, empty for all.
    """
    now = now or timezone.now()
    by_id = dict(Component.objects.values_list("public_id", "pk"))
    created = skipped = 0
    errors: list[str] = []
    with transaction.atomic():
        for line, row in enumerate(rows, start=2):
            channel = (row.get("channel") or "").strip().lower()
            try:
                if channel not in channels_all():
                    raise ValidationError(f"channel must be one of {', '.join(channel_names())}")
                destination, prefix = destination_normalise(channel, row.get("destination") or "")
                wanted = (row.get("components") or "").split()
                if unknown := [c for c in wanted if c not in by_id]:
                    raise ValidationError(f"unknown components {', '.join(unknown)}")
            except ValidationError as exc:
                errors.append(f"line {line}: {'; '.join(exc.messages)}")
                continue
            made, new = Subscriber.objects.get_or_create(
                channel=channel,
                destination=destination,
                incident=None,
                defaults={
                    "state": SubscriberState.CONFIRMED,
                    "prefix": prefix[:300],
                    "all_components": not wanted,
                    "created_at": now,
                    "confirmed_at": now,
                },
            )
            if not new:
                skipped += 1
                continue
            SubscriberComponent.objects.bulk_create(
                SubscriberComponent(subscriber=made, component_id=by_id[c]) for c in wanted
            )
            created += 1
        audit_record(
            actor=actor,
            action=AuditAction.SUBSCRIBERS_IMPORTED,
            target=SubscriberList(),
            summary=f"Imported {created} subscribers ({skipped} already there, "
            f"{len(errors)} rows refused)",
            at=now,
        )
    return ImportResult(created=created, skipped=skipped, errors=errors)


def subscribers_export_rows() -> Iterable[list[str]]:
    """Every subscriber as a CSV row (CSV_FIELDS), in batches: flat in memory."""
    names = dict(Component.objects.values_list("pk", "public_id"))
    chosen: dict[int, list[str]] = {}
    for subscriber_id, component_id in SubscriberComponent.objects.values_list(
        "subscriber_id", "component_id"
    ).iterator(chunk_size=5000):
        chosen.setdefault(subscriber_id, []).append(names[component_id])
    # Followers of one incident are left out: imported, they would get every update.
    page_wide = Subscriber.objects.filter(incident__isnull=True)
    for s in page_wide.order_by("pk").iterator(chunk_size=2000):
        yield [
            s.channel,
            s.destination,
            s.state,
            " ".join(sorted(chosen.get(s.pk, []))),
            s.created_at.isoformat(),
            s.confirmed_at.isoformat() if s.confirmed_at else "",
        ]
