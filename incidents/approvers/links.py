"""The signed one-click link an approver is sent: approve or reject exactly these words.

The token names the approver, the words (a custom text's public id or a template
version's id) and a digest of their text, signed with SECRET_KEY and timed, so it cannot
be forged, moved to other words or another approver, or used after it expires. Words are
write-once, but the digest makes the binding explicit: if the text behind the id were ever
different from what the link was sent for, the link is refused.

Single use follows from the decision itself: once the approver approved or rejected, the
same link finds "you already decided" and changes nothing. The page still requires the
approver to be signed in (docs/design.md, "One-click approval"): the link is a pointer and
a guard, never a credential, so a forwarded mail or SMS cannot decide anything.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from incidents.models import CustomTextRequest, TemplateVersion

SALT = "candor.approvers.decide"
Words = CustomTextRequest | TemplateVersion


class LinkRefused(Exception):
    """Why a link cannot be used; the page shows the message, nothing changes."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


def _digest(words: Words) -> str:
    return hashlib.sha256(words.body.encode()).hexdigest()[:12]


def _ref(words: Words) -> tuple[str, str]:
    if isinstance(words, CustomTextRequest):
        return "c", words.public_id
    return "t", str(words.pk)


def token_for(*, approver_id: int, words: Words) -> str:
    kind, ref = _ref(words)
    # A short list, compressed: the link goes into an SMS.
    return signing.dumps([approver_id, kind, ref, _digest(words)], salt=SALT, compress=True)


def decide_url(*, approver_id: int, words: Words) -> str:
    token = token_for(approver_id=approver_id, words=words)
    return settings.CANDOR_APP_URL + reverse("console:decide", args=[token])


@dataclass(frozen=True)
class Opened:
    approver_id: int
    words: Words


def link_open(token: str, *, user_id: int) -> Opened:
    """The words a link is for, for the signed-in user; LinkRefused says why not."""
    max_age = settings.CANDOR_APPROVAL_LINK_HOURS * 3600
    try:
        approver_id, kind, ref, digest = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkRefused(
            _("This link has expired. Open the Approvals page to decide."), status=410
        ) from None
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkRefused(
            _("This link is not valid (it may have been cut short)."), status=400
        ) from None
    if approver_id != user_id:
        raise LinkRefused(
            _("This link was sent to another approver. Open the Approvals page to decide."),
            status=403,
        )
    words: Words | None
    if kind == "c":
        words = CustomTextRequest.objects.filter(public_id=str(ref)).first()
    else:
        words = TemplateVersion.objects.filter(pk=int(ref) if str(ref).isdigit() else 0).first()
    if words is None:
        raise LinkRefused(_("The words this link was sent for no longer exist."), status=404)
    if _digest(words) != digest:
        raise LinkRefused(
            _("The words changed after this link was sent. Open the Approvals page to decide."),
            status=409,
        )
    return Opened(approver_id, words)
