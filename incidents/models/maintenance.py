from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from incidents.models.components import Component
from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id
from incidents.models.incidents import UpdateBase


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    VERIFYING = "verifying", "Verifying"
    COMPLETED = "completed", "Completed"


# A window that is running puts its components under maintenance.
ACTIVE_MAINTENANCE = (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)


class Maintenance(models.Model):
    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=MaintenanceStatus.choices, default=MaintenanceStatus.SCHEDULED
    )
    scheduled_for = models.DateTimeField()
    scheduled_until = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The beat sweep starts and completes the window on time unless staff opted out.
    auto_start = models.BooleanField(default=True)
    auto_complete = models.BooleanField(default=True)
    components = models.ManyToManyField(Component, related_name="maintenances", blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-scheduled_for", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scheduled_until__gt=F("scheduled_for")),
                name="maintenance_window_positive",
            ),
            models.CheckConstraint(
                condition=(Q(status=MaintenanceStatus.COMPLETED) & Q(completed_at__isnull=False))
                | (~Q(status=MaintenanceStatus.COMPLETED) & Q(completed_at__isnull=True)),
                name="maintenance_completed_at_iff_completed",
            ),
        ]
        indexes = [
            # Serves the beat sweep and the public page: windows not yet completed.
            models.Index(
                fields=["scheduled_for"],
                name="maintenance_not_completed",
                condition=~Q(status=MaintenanceStatus.COMPLETED),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_MAINTENANCE


class MaintenanceUpdate(UpdateBase):
    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=MaintenanceStatus.choices)

    class Meta(UpdateBase.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.maintenance_id} {self.status} {self.display_at.isoformat()}"
