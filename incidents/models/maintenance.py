from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from incidents.models.audiences import Audience
from incidents.models.components import Component
from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id
from incidents.models.incidents import UpdateBase


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    VERIFYING = "verifying", _("Verifying")
    COMPLETED = "completed", _("Completed")


# A window that is running puts its components under maintenance.
ACTIVE_MAINTENANCE = (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)


class MaintenanceImpact(models.TextChoices):
    """What readers should expect of a component while the window runs (Datadog's
    "expected impact"): it is the component's public status for that time."""

    UNDER_MAINTENANCE = "under_maintenance", _("Under maintenance")
    DEGRADED_PERFORMANCE = "degraded_performance", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    NONE = "operational", _("No visible impact")


# Statuspage offers up to a day ahead; a week covers a weekend's change freeze.
MAX_PRIOR_MINUTES = 7 * 24 * 60


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
    components: models.ManyToManyField[Component, MaintenanceComponent] = models.ManyToManyField(
        Component, related_name="maintenances", blank=True, through="MaintenanceComponent"
    )
    # Empty: public. Otherwise the whole window is shown only to readers of these audiences.
    audiences: models.ManyToManyField[Audience, Any] = models.ManyToManyField(
        Audience, blank=True, related_name="maintenances"
    )
    # Subscribers: a reminder this many minutes before the start (Statuspage's "remind
    # prior"; empty: none), and a notice when the window starts and when it completes.
    notify_prior_minutes = models.PositiveIntegerField(null=True, blank=True)
    notify_start = models.BooleanField(default=True)
    notify_end = models.BooleanField(default=True)
    # When that reminder is due (empty: none, or its moment had passed at scheduling),
    # and its claim: set in the transaction that writes it, so it goes once.
    prior_notice_due = models.DateTimeField(null=True, blank=True)
    prior_notice_at = models.DateTimeField(null=True, blank=True)
    # Once the window runs past scheduled_until: when the next update is promised (the
    # incidents' 15/60/120 cadence, counted from the scheduled end).
    next_update_due = models.DateTimeField(null=True, blank=True)
    # Brought over from another status page (incidents/importer/), as history.
    imported = models.BooleanField(default=False)
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
                condition=Q(notify_prior_minutes__isnull=True)
                | Q(notify_prior_minutes__gte=1, notify_prior_minutes__lte=MAX_PRIOR_MINUTES),
                name="maintenance_prior_notice_in_range",
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


class MaintenanceComponent(models.Model):
    """A component in a window, and the impact expected on it while the window runs.

    With the window's started_at and completed_at, these rows are each component's
    maintenance intervals: what uptime with and without maintenance is computed from.
    """

    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE)
    component = models.ForeignKey(Component, on_delete=models.CASCADE)
    impact = models.CharField(
        max_length=24,
        choices=MaintenanceImpact.choices,
        default=MaintenanceImpact.UNDER_MAINTENANCE,
    )

    class Meta:
        # The table Django made for the plain many-to-many this replaced.
        db_table = "incidents_maintenance_components"
        # As the plain many-to-many had it (its index exists already).
        unique_together = [("maintenance", "component")]

    def __str__(self) -> str:
        return f"{self.maintenance_id}:{self.component_id} {self.impact}"


class MaintenanceUpdate(UpdateBase):
    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=MaintenanceStatus.choices)
    # The "starts soon" reminder to subscribers: sent, but not listed on the page.
    reminder = models.BooleanField(default=False)

    class Meta(UpdateBase.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.maintenance_id} {self.status} {self.display_at.isoformat()}"
