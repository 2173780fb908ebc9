"""Audience tokens: how a machine reader (a script, a customer's dashboard) reads an
audience's v2 JSON, with `Authorization: Bearer <token>`. Only the token's sha256 is
stored; the token is shown once, when an Admin creates it. A revoked token reads nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from incidents.models.audiences import Audience


class AudienceToken(models.Model):
    audience = models.ForeignKey(Audience, on_delete=models.CASCADE, related_name="tokens")
    label = models.CharField(max_length=200)
    # sha256 (hex) of the token; the lookup of every bearer request.
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters, so staff can tell tokens apart in a list without the secret.
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"
