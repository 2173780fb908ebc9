"""Two-factor login's writes: turning it on, and replacing the recovery codes.

The codes are django-otp's static tokens, single-use and stored as django-otp stores them;
each user has one StaticDevice holding their current set, so replacing the set is
deleting that device and writing a new one.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents.audit import Actor, audit_record
from incidents.models import AuditAction

RECOVERY_CODES = 10


def session_verified(user: object) -> bool:
    """Whether this request's user gave their second factor: django-otp's middleware adds
    `is_verified` to the request's user (a user it did not wrap never did)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


NOT_VALID = "That code is not valid. Check the time on your phone."


def totp_confirm(*, device: TOTPDevice) -> list[str]:
    """Turn two-factor login on with a device its user has just proved they hold; the
    first recovery codes, which the caller shows once."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        return _codes_replace(device.user)


def recovery_codes_regenerate(
    *, actor: Actor, token: str, now: datetime | None = None
) -> list[str]:
    """Ten new recovery codes for the acting user; the old ones stop working at once.

    Only with a current code from their authenticator app: a session left open is not
    enough to get codes that sign in without the phone. (A recovery code does not count:
    someone who lost the phone turns two-factor login on again with a new one.) The
    caller shows the codes once.
    """
    user = actor.user
    if user is None:
        raise PermissionError("recovery codes belong to a person")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        raise ValidationError({"token": ["Two-factor login is not on for this account."]})
    # verify_token refuses a code already used, and counts failures for django-otp's
    # throttle: writes that must commit with a refusal too (the console redirects after
    # one, so its transaction is kept), or wrong codes could be tried without limit.
    if not device.verify_token(token.replace(" ", "")):
        raise ValidationError({"token": [NOT_VALID]})
    now = now or timezone.now()
    with transaction.atomic():
        codes = _codes_replace(user)
        audit_record(
            actor=actor,
            action=AuditAction.RECOVERY_CODES_REGENERATED,
            target=user,
            summary=f"{user.get_username()} replaced their recovery codes",
            at=now,
        )
    return codes


def _codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=c) for c in codes)
    return codes
