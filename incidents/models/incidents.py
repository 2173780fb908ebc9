from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models.audiences import Audience
from incidents.models.components import Component, ComponentStatus
from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id
from incidents.models.notify_costs import NotifyScope


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("Investigating")
    IDENTIFIED = "identified", _("Identified")
    MONITORING = "monitoring", _("Monitoring")
    RESOLVED = "resolved", _("Resolved")


class IncidentImpact(models.TextChoices):
    NONE = "none", _("None")
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


class Incident(models.Model):
    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING
    )
    impact = models.CharField(
        max_length=16, choices=IncidentImpact.choices, default=IncidentImpact.MINOR
    )
    started_at = models.DateTimeField()
    identified_at = models.DateTimeField(null=True, blank=True)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    # When the next public update is promised; empty once resolved (incidents/cadence/due.py).
    next_update_due = models.DateTimeField(null=True, blank=True)
    # This incident's own schedule, in minutes, instead of its impact's; all three or none.
    cadence_first_minutes = models.PositiveIntegerField(null=True, blank=True)
    cadence_then_minutes = models.PositiveIntegerField(null=True, blank=True)
    cadence_every_minutes = models.PositiveIntegerField(null=True, blank=True)
    components: models.ManyToManyField[Component, IncidentComponent] = models.ManyToManyField(
        Component, through="IncidentComponent", related_name="incidents"
    )
    # Brought over from another status page (incidents/importer/): its words are history,
    # never approved, sent or promised here.
    imported = models.BooleanField(default=False)
    # Empty: public. Otherwise the whole incident is shown only to readers of these audiences.
    audiences: models.ManyToManyField[Audience, Any] = models.ManyToManyField(
        Audience, blank=True, related_name="incidents"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status=IncidentStatus.RESOLVED) & Q(resolved_at__isnull=False))
                | (~Q(status=IncidentStatus.RESOLVED) & Q(resolved_at__isnull=True)),
                name="incident_resolved_at_iff_resolved",
            ),
            models.CheckConstraint(
                condition=Q(
                    cadence_first_minutes__isnull=True,
                    cadence_then_minutes__isnull=True,
                    cadence_every_minutes__isnull=True,
                )
                | Q(
                    cadence_first_minutes__isnull=False,
                    cadence_then_minutes__isnull=False,
                    cadence_every_minutes__isnull=False,
                ),
                name="incident_cadence_override_whole",
            ),
        ]
        indexes = [
            # Serves the public page: unresolved incidents, newest first.
            models.Index(
                fields=["-started_at"],
                name="incident_unresolved",
                condition=~Q(status=IncidentStatus.RESOLVED),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.status != IncidentStatus.RESOLVED


class IncidentComponent(models.Model):
    """How an incident affects one component while it is open."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=32, choices=ComponentStatus.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "component"], name="incident_component_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.component_id}: {self.status}"


class UpdateBase(models.Model):
    """One public update in a timeline: the Markdown as written and its sanitised HTML."""

    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    body = models.TextField()
    # Rendered and sanitised once, when written: every page, feed and API reuses it.
    body_html = models.TextField()
    # Statuspage's affected_components: [{code, name, old_status, new_status}], a record of
    # what this update changed, frozen as it was said.
    affected_components = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField()
    display_at = models.DateTimeField()
    # Who was told (models/notify_costs.py): everyone, email/chat only, or nobody.
    notify = models.CharField(max_length=16, choices=NotifyScope.choices, default=NotifyScope.ALL)
    # Empty: public words. Set: words for that audience's readers only, inside a timeline
    # that may itself be public (models/audiences.py).
    audience = models.ForeignKey(
        Audience, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True
        ordering = ["-display_at", "-pk"]


class IncidentUpdate(UpdateBase):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=IncidentStatus.choices)
    # The update that was due when this one was posted (empty for the opening one): the
    # record cadence compliance is computed from.
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta(UpdateBase.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.incident_id} {self.status} {self.display_at.isoformat()}"
