"""Signed notices (incidents/signing.py, docs/security.md "Signed notices").

Only public keys are stored here: a private key lives in the environment or a key file,
never in the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from incidents.models.ids import PUBLIC_ID_LENGTH


class KeyPurpose(models.TextChoices):
    SITE = "site", "Signs notices and snapshots (the site key)"
    # Issued by an Admin ahead of time to one person, for the out-of-band CLI
    # (publish/oob_post.py): it signs only what that person posts without the app.
    OUT_OF_BAND = "out_of_band", "Signs out-of-band updates"


class SigningKey(models.Model):
    """An Ed25519 public key, listed with the period it signed in. The current key has no
    end; a rotated one keeps its row forever, so what it signed stays verifiable."""

    key_id = models.CharField(max_length=16, unique=True)  # sha256(raw public key)[:16]
    public_key = models.CharField(max_length=64)  # the 32 raw bytes, base64
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    # Only SITE keys take turns as "the current key"; an out-of-band key is one person's,
    # valid until an Admin revokes it (valid_until).
    purpose = models.CharField(max_length=16, choices=KeyPurpose.choices, default=KeyPurpose.SITE)
    issued_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["valid_from", "pk"]

    def __str__(self) -> str:
        return self.key_id


class SignedNotice(models.Model):
    """One published text as it was signed: the canonical bytes and their signature.

    A notice edited after publication is signed again (a new row); the old row stays, so
    the message that went out with it still verifies, as what was said at the time.
    """

    kind = models.CharField(max_length=32)  # incident_update, maintenance_update, ...
    subject_id = models.CharField(max_length=PUBLIC_ID_LENGTH)  # the incident or maintenance
    notice_id = models.CharField(max_length=64)  # the update's public id
    # The short code an SMS carries and the "Verify this notice" link names.
    code = models.CharField(max_length=9, unique=True)
    key_id = models.CharField(max_length=16)
    payload = models.TextField()  # the canonical JSON signed, ASCII only
    signature = models.CharField(max_length=100)  # 64 bytes, base64
    content_sha256 = models.CharField(max_length=64)  # of the payload without its key id
    published_at = models.DateTimeField()
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["published_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "notice_id", "content_sha256"], name="signed_notice_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.notice_id} {self.code}"
