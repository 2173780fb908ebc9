"""Audiences: who, besides the public, may read a component, an incident or a maintenance.

A row limited to audiences (its `audiences` not empty) is shown only to readers signed in to
one of them; a row with no audience is public. An update's `audience` set means audience-only
words inside an incident that may itself be public. Subscribers with an `audience` receive
that audience's content as well as the public content. The rules that read these fields live
in `incidents/audiences/`; nothing else decides what a reader may see."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

SLUG = RegexValidator(r"^[a-z0-9][a-z0-9-]{0,62}$", "Lower-case letters, digits and hyphens.")


class Audience(models.Model):
    # In URLs and snapshot paths (/a/<slug>/): never renamed once published.
    slug = models.CharField(max_length=63, unique=True, validators=[SLUG])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Groups (the provider's `groups` claim) whose members read this audience after SSO.
    oidc_groups = models.JSONField(default=list, blank=True)
    # CIDR networks a reader must come from (empty: any address).
    ip_allowlist = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
