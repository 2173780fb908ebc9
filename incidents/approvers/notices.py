"""The approvers' outbox: who is told that words wait, and sending it (email, SMS).

Rows are written in the transaction that submits the words (notices_create), so telling
the approvers cannot be lost between the commit and a task. Sending claims a row first
(pending -> sending, a conditional UPDATE), does the network I/O outside any transaction,
and on any failure keeps the row pending with a backoff: a mail server or Twilio being
down is never the approver's fault, so nothing is dropped; after MAX_ATTEMPTS the row is
parked as failed with its error, visible in the console. A claim whose worker died is
re-queued by the sweep after the lease (the approver may then be told twice, never zero
times).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db.models import prefetch_related_objects
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from incidents import roles
from incidents.approvers.links import Words, decide_url
from incidents.enqueue import Fallback, enqueue_on_commit
from incidents.models import (
    ApproverNotice,
    Contact,
    CustomTextRequest,
    NoticeChannel,
    NoticeState,
    StaffLanguage,
    TemplateTranslation,
)
from incidents.notify.render import gsm7
from incidents.notify.transports.email import email_connection
from incidents.public.language import DEFAULT, supported
from incidents.reminders import sms
from incidents.wording.approved import words_approved
from incidents.wording.translations import translation_approved

log = logging.getLogger(__name__)

SEND_TASK = "incidents.tasks.approver_notice_send"
MAX_ATTEMPTS = 6
RETRY_BASE = timedelta(seconds=30)  # 30 s, 1, 2, 4, 8 min: about a quarter of an hour
LEASE = timedelta(minutes=2)
CLAIM_BATCH = 200


# Besides words, a translation waits for approvers too (wording/translation_approvals.py).
Told = Words | TemplateTranslation


def _approvers(words: Told) -> list[User]:
    """Who may decide: active approvers other than the author (the two-person rule)."""
    return list(
        User.objects.filter(is_active=True, groups__name__in=roles.APPROVER_QUALIFIER)
        .exclude(pk=words.author_id)
        .distinct()
        .order_by("pk")
    )


def _mobile(user: User) -> str:
    """An approver's mobile: the phone of the reminder contact with their email address,
    unless it replied STOP. Staff accounts hold no phone of their own; the contacts list
    is where numbers are kept (and STOP honoured) already."""
    if not user.email:
        return ""
    contact = (
        Contact.objects.filter(email__iexact=user.email, sms_stopped_at=None)
        .exclude(phone="")
        .order_by("pk")
        .first()
    )
    return contact.phone if contact else ""


def notices_create(*, words: Told, now: datetime) -> list[int]:
    """Within the submitting transaction: one notice per approver and channel (email, and
    SMS where Twilio is configured and the approver has a mobile). Kicks the send on commit."""
    rows = []
    about: dict[str, Told] = (
        {"custom_text": words}
        if isinstance(words, CustomTextRequest)
        else {"translation": words}
        if isinstance(words, TemplateTranslation)
        else {"template_version": words}
    )
    for approver in _approvers(words):
        targets = [(NoticeChannel.EMAIL, approver.email)]
        if sms.configured():
            targets.append((NoticeChannel.SMS, _mobile(approver)))
        rows += [
            ApproverNotice(
                approver=approver,
                channel=channel,
                to=to,
                next_attempt_at=now,
                created_at=now,
                **about,
            )
            for channel, to in targets
            if to
        ]
    ids = [n.pk for n in ApproverNotice.objects.bulk_create(rows)]
    for notice_id in ids:
        # Told at once: with no broker or no live worker, the web process sends it itself
        # (the sweep would not run either); a failure there leaves the row to the sweep.
        enqueue_on_commit(SEND_TASK, notice_id, fallback=Fallback.HERE)
    return ids


def notices_due(*, now: datetime) -> list[int]:
    """For the sweep: notices whose (re)try time has come, after putting back those a dead
    worker held past the lease. Each send claims its row itself (notice_send), so two
    sweeps queueing the same id send it once."""
    ApproverNotice.objects.filter(state=NoticeState.SENDING, claimed_at__lt=now - LEASE).update(
        state=NoticeState.PENDING, claimed_at=None
    )
    return list(
        ApproverNotice.objects.filter(state=NoticeState.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:CLAIM_BATCH]
    )


def _decided(words: Told) -> bool:
    if isinstance(words, TemplateTranslation):  # approved or waiting: never rejected
        return translation_approved(words)
    return bool(words.rejections.all()) or words_approved(words)


def _translation_context(notice: ApproverNotice, words: TemplateTranslation) -> dict[str, object]:
    """A translation is decided on the Approvals page (the one-click link is for words)."""
    version = words.version
    return {
        "what": _("the %(language)s translation of template %(name)s v%(number)s")
        % {
            "language": words.language,
            "name": repr(version.template.name),
            "number": version.number,
        },
        "short_what": _("%(language)s translation") % {"language": words.language},
        "author": words.author.get_username(),
        "asked_at": words.created_at,
        "link": settings.CANDOR_APP_URL + reverse("console:approvals"),
        "page_name": settings.CANDOR_PAGE_NAME,
    }


def _context(notice: ApproverNotice, words: Told) -> dict[str, object]:
    if isinstance(words, TemplateTranslation):
        return _translation_context(notice, words)
    # Whole phrases, so that each language can order them its own way.
    if isinstance(words, CustomTextRequest):
        phase = words.get_phase_display()
        if words.incident is not None:
            what = _("custom %(phase)s text for the incident %(name)s") % {
                "phase": phase,
                "name": repr(words.incident.name),
            }
        elif words.maintenance is not None:
            what = _("custom %(phase)s text for the maintenance %(name)s") % {
                "phase": phase,
                "name": repr(words.maintenance.name),
            }
        else:
            what = _("custom %(phase)s text to open an incident") % {"phase": phase}
        short = _("custom %(phase)s text") % {"phase": phase}
    else:
        what = _("template %(name)s v%(number)s") % {
            "name": repr(words.template.name),
            "number": words.number,
        }
        short = _("template v%(number)s") % {"number": words.number}
    return {
        "what": what,
        "short_what": short,
        "author": words.author.get_username(),
        "asked_at": words.created_at,
        "link": decide_url(approver_id=notice.approver_id, words=words),
        "hours": settings.CANDOR_APPROVAL_LINK_HOURS,
        "page_name": settings.CANDOR_PAGE_NAME,
    }


def _language(user_id: int) -> str:
    """The approver's chosen console language, else English (the worker has no browser)."""
    code = StaffLanguage.objects.filter(user_id=user_id).values_list("language", flat=True).first()
    return (supported(code) if code else None) or DEFAULT


def notice_send(notice_id: int, *, now: datetime | None = None) -> str:
    """Send one notice; what happened, for the task's result."""
    now = now or timezone.now()
    taken = ApproverNotice.objects.filter(pk=notice_id, state=NoticeState.PENDING).update(
        state=NoticeState.SENDING, claimed_at=now
    )
    if not taken:
        return "not pending"  # sent, or being sent, by another task
    notice = ApproverNotice.objects.select_related(
        "custom_text__author", "custom_text__incident", "custom_text__maintenance",
        "template_version__template", "template_version__author",
        "translation__version__template", "translation__author",
    ).get(pk=notice_id)  # fmt: skip
    words: Told | None = notice.custom_text or notice.template_version or notice.translation
    assert words is not None
    # Read after the claim.
    if isinstance(words, TemplateTranslation):
        prefetch_related_objects([words], "approvals")
    else:
        prefetch_related_objects([words], "approvals", "rejections")
    if _decided(words):
        _finish(notice_id, state=NoticeState.CANCELLED, last_error="Decided before it was sent.")
        return "cancelled"
    name = "translation_approval_request" if notice.translation_id else "approval_request"
    try:
        if notice.channel == NoticeChannel.EMAIL:
            # In the approver's console language; a text message stays English, which
            # GSM-7 (one segment's price) can carry.
            with translation.override(_language(notice.approver_id)):
                context = _context(notice, words)
                subject, _nl, body = render_to_string(f"email/{name}.txt", context).partition("\n")
            EmailMessage(
                subject.strip(), body.lstrip("\n"), None, [notice.to], connection=email_connection()
            ).send()
        else:
            with translation.override(DEFAULT):
                text = render_to_string(f"sms/{name}.txt", _context(notice, words)).strip()
            sms.send_one(notice.to, gsm7(text))  # a username may hold any letter
    except Exception as error:  # SMTP, socket, Twilio: ours or the provider's, never theirs
        return _failed(notice, error, now=now)
    _finish(notice_id, state=NoticeState.SENT, sent_at=now, last_error="")
    return "sent"


def _failed(notice: ApproverNotice, error: Exception, *, now: datetime) -> str:
    attempts = notice.attempts + 1
    message = f"{type(error).__name__}: {error}"[:300]
    log.warning("approver notice %s failed (try %d): %s", notice.pk, attempts, message)
    if attempts >= MAX_ATTEMPTS:
        _finish(notice.pk, state=NoticeState.FAILED, attempts=attempts, last_error=message)
        return "failed"
    _finish(
        notice.pk,
        state=NoticeState.PENDING,
        attempts=attempts,
        claimed_at=None,
        next_attempt_at=now + RETRY_BASE * 2 ** (attempts - 1),
        last_error=message,
    )
    return "retrying"


def _finish(notice_id: int, **fields: object) -> None:
    ApproverNotice.objects.filter(pk=notice_id).update(**fields)
