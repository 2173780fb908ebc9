from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class IdempotencyKey(models.Model):
    """A write that has been done once, under the key its request carried.

    The staff API's Idempotency-Key header and the console's per-form submission_key both
    land here. The row is inserted in the same transaction as the write it guards, so once
    committed it always has its answer: see incidents/idempotency.py.
    """

    # No index of its own: the unique (user, key) index leads with user_id and serves the
    # cascade when a user is deleted.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=100)
    # sha256 of method, path and canonical body: the same key must mean the same request.
    fingerprint = models.CharField(max_length=64)
    # Both null until the write is done, which nobody else sees (it is one transaction).
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    # Serves the hourly prune of keys past their lifetime.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            # Serialises concurrent duplicates: the second insert waits for the first.
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique"),
            models.CheckConstraint(
                condition=Q(response__isnull=True) | Q(status_code__isnull=False),
                name="idempotency_response_has_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key} -> {self.status_code}"
