from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from incidents.models.audiences import Audience
from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id


class ComponentStatus(models.TextChoices):
    OPERATIONAL = "operational", _("Operational")
    UNDER_MAINTENANCE = "under_maintenance", _("Under maintenance")
    DEGRADED_PERFORMANCE = "degraded_performance", _("Degraded performance")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")

    @property
    def severity(self) -> int:
        """Higher is worse: the worst status of everything affecting a component wins."""
        return _SEVERITY[self]


_SEVERITY = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}


def worst_status(statuses: list[ComponentStatus] | list[str]) -> ComponentStatus:
    return max(
        (ComponentStatus(s) for s in statuses),
        key=lambda s: s.severity,
        default=ComponentStatus.OPERATIONAL,
    )


class ComponentGroup(models.Model):
    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Component(models.Model):
    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    group = models.ForeignKey(
        ComponentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    # What staff set by hand; the baseline that incidents and maintenance are laid over.
    manual_status = models.CharField(
        max_length=32, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    # The status the public sees: worst of manual_status, open incidents and maintenance
    # in progress. Derived by lifecycle, stored so reading the page costs one query.
    status = models.CharField(
        max_length=32, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    showcase = models.BooleanField(default=True)
    # Empty: public. Otherwise shown only to readers of these audiences (models/audiences.py).
    audiences: models.ManyToManyField[Audience, Any] = models.ManyToManyField(
        Audience, blank=True, related_name="components"
    )
    only_show_if_degraded = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class ComponentStatusChange(models.Model):
    """Every change of a component's public status: the source of the uptime bars."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="history")
    status = models.CharField(max_length=32, choices=ComponentStatus.choices)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            # Serves the uptime query: one component's changes in a time window.
            models.Index(fields=["component", "at"], name="status_change_component_at"),
        ]

    def __str__(self) -> str:
        return f"{self.component_id} {self.status} at {self.at.isoformat()}"
