"""Readers: people who sign in to read audience pages (incidents/readers/).

A reader is not a staff account. Readers have no `User` row: the console, the staff API
and Django's own login all look at `User`, and a reader kept there would be one wrong
flag (is_staff, a group) away from the console; a browser signed in as staff and as a
reader would also have one login overwrite the other. Readers who come through the
reader OIDC client are matched by issuer and subject (never by email, which can change
hands); readers invited by email are matched by that address, with an empty issuer.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReaderVia(models.TextChoices):
    OIDC = "oidc", _("Single sign-on")
    LINK = "link", _("Email link")


class Reader(models.Model):
    email = models.CharField(max_length=254, blank=True)
    issuer = models.CharField(max_length=255, blank=True)  # "" for a reader invited by email
    subject = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], condition=~Q(issuer=""), name="reader_oidc_unique"
            ),
            models.UniqueConstraint(
                fields=["email"], condition=Q(issuer=""), name="reader_email_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.email or self.subject


class AudienceMember(models.Model):
    """A reader of an audience: through an accepted invitation, or through their groups at
    their last single sign-on (rewritten at each). A revoked row ends the reader's
    sessions for the audience at their next request; for an invited reader it stays
    revoked until a new invitation is accepted."""

    audience = models.ForeignKey(
        "incidents.Audience", on_delete=models.CASCADE, related_name="members"
    )
    reader = models.ForeignKey(Reader, on_delete=models.CASCADE, related_name="memberships")
    via = models.CharField(max_length=8, choices=ReaderVia.choices)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["audience", "reader"], name="audience_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reader} in {self.audience_id}"


class ReaderInvitation(models.Model):
    """An Admin's invitation of an email address to an audience. While it stands (not
    revoked) the address may ask for a new sign-in link."""

    audience = models.ForeignKey(
        "incidents.Audience", on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.CharField(max_length=254)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["audience", "email"], name="reader_invitation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.audience_id}"


class ReaderLink(models.Model):
    """One sign-in link sent by email: single use (used_at), expiring. Only a hash of its
    secret is kept; the link itself is signed, so a forged one is refused before any
    lookup."""

    email = models.CharField(max_length=254)
    secret_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link for {self.email}"
