"""Watching the targets: staff hear when a public copy falls behind, and when it is back.

The freshness check (a beat task, every minute) compares each target's last published
version with the site version. A target behind for more than CANDOR_PUBLISH_STALE_AFTER
seconds starts a lag episode: staff get one email, and the console shows a banner until
the target catches up; its catching up ends the episode with one more email. The alert is
claimed with a conditional UPDATE before it is sent, so two checks running at once send it
once. A target that is behind also gets a publish requested, which is how a publish lost
with its task (or a broker outage) is made good.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from incidents.models import PublishTarget
from incidents.publish.targets import configured_targets
from incidents.publish.trigger import request_publish
from incidents.publish.versions import site_version

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lag:
    """A target in a lag episode, as the console banner and the emails describe it."""

    name: str
    last_version: int | None
    site_version: int
    behind_since: datetime
    last_error: str

    @property
    def minutes(self) -> int:
        return int((timezone.now() - self.behind_since).total_seconds() // 60)


def lagging_targets() -> list[Lag]:
    """Targets staff have been alerted about that are still behind (the console banner)."""
    version = site_version()
    rows = PublishTarget.objects.filter(stale_alerted_at__isnull=False).filter(
        Q(last_version__isnull=True) | Q(last_version__lt=version)
    )
    return [_lag(row, version) for row in rows]


def _lag(row: PublishTarget, version: int) -> Lag:
    behind_since = row.behind_since or row.stale_alerted_at or timezone.now()
    return Lag(row.name, row.last_version, version, behind_since, row.last_error)


def freshness_check(*, now: datetime | None = None) -> dict[str, str]:
    """Compare every target with the site; alert and request a publish where one lags."""
    now = now or timezone.now()
    version = site_version()
    stale_after = timedelta(seconds=settings.CANDOR_PUBLISH_STALE_AFTER)
    names = {t.name for t in configured_targets()}
    for name in names:
        PublishTarget.objects.get_or_create(name=name)
    states = {}
    for row in PublishTarget.objects.all():
        watched = PublishTarget.objects.filter(pk=row.pk)
        if row.name not in names:  # no longer configured: nothing to watch
            watched.update(behind_since=None, stale_alerted_at=None)
            continue
        if row.last_version is not None and row.last_version >= version:
            states[row.name] = "current"
            watched.filter(behind_since__isnull=False).update(behind_since=None)
            ended = watched.filter(stale_alerted_at__isnull=False).update(stale_alerted_at=None)
            if ended and not _alert(row, version, recovered=True):
                watched.update(stale_alerted_at=row.stale_alerted_at)  # retried next time
            continue
        watched.filter(behind_since__isnull=True).update(behind_since=now)
        behind_since = row.behind_since or now
        states[row.name] = "behind"
        if now - behind_since > stale_after:
            states[row.name] = "stale"
            if watched.filter(stale_alerted_at__isnull=True).update(stale_alerted_at=now):
                row.behind_since = behind_since
                if not _alert(row, version, recovered=False):
                    watched.update(stale_alerted_at=None)  # unsent: the next check retries
    if any(state != "current" for state in states.values()):
        request_publish()
    return states


def _alert(row: PublishTarget, version: int, *, recovered: bool) -> bool:
    """Email every active staff member with an address; False if it could not be sent."""
    recipients = list(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return True
    context = {
        "lag": _lag(row, version),
        "page_name": settings.CANDOR_PAGE_NAME,
        "stale_after": settings.CANDOR_PUBLISH_STALE_AFTER,
    }
    event = "recovered" if recovered else "stale"
    # The template's first line is the subject, the rest the body.
    subject, _, body = render_to_string(f"email/publish_{event}.txt", context).partition("\n")
    messages = [(subject.strip(), body.lstrip("\n"), None, [address]) for address in recipients]
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:
        log.exception("could not email staff that %s is %s", row.name, event)
        return False
    return True
