"""Importing a Statuspage page (incidents/importer/, docs/design.md "Importing from
Statuspage"): each run with its checkpoint and report, the map from Statuspage's ids to
ours that makes a second run add nothing, and the postmortems it brought along."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed (run it again to resume)")


class ImportRun(models.Model):
    """One import of one Statuspage page. A failed run is resumed from `checkpoint` by the
    next run of the same page (the console and the command both look for it)."""

    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    page_id = models.CharField(max_length=64)
    base_url = models.CharField(max_length=300)
    # Kept only while the run may still use it: emptied when it ends, done or failed.
    api_key = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=8, choices=ImportState.choices, default=ImportState.QUEUED)
    started_by = models.CharField(max_length=150)
    # {"stage": "incidents", "page": 4}: the next page to fetch; stages before are done.
    checkpoint = models.JSONField(default=dict, blank=True)
    # {"incidents": {"imported": 300, "already": 12, "not_mapped": 1}, ...}
    counts = models.JSONField(default=dict, blank=True)
    # [{"kind": "incident", "id": "...", "reason": "..."}], the first MAX_PROBLEMS only.
    problems = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"import {self.page_id} {self.state}"


class ImportedObject(models.Model):
    """Statuspage's id of something imported, and the row it became here."""

    page_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=24)  # group, component, incident, maintenance, subscriber
    source_id = models.CharField(max_length=64)
    target_id = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page_id", "kind", "source_id"], name="imported_object_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.page_id}/{self.kind}/{self.source_id} -> {self.target_id}"
