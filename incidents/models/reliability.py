from __future__ import annotations

from django.db import models
from django.db.models import Q

from incidents.models.components import Component


class ReliabilityReportSettings(models.Model):
    """What the public reliability report shows, set by an Admin: one row, absent (and so
    the report off) by default.

    Components are shown unless listed in `hidden`: the report covers what the status
    page already shows, and an Admin takes out what should not be measured in public.
    """

    SINGLETON = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON)
    enabled = models.BooleanField(default=False)
    show_uptime = models.BooleanField(default=True)
    show_incidents = models.BooleanField(default=True)
    show_first_post = models.BooleanField(default=True)
    show_resolve = models.BooleanField(default=True)
    show_promises = models.BooleanField(default=True)
    hidden = models.ManyToManyField(Component, blank=True, related_name="+")
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="reliability_report_singleton")
        ]

    def __str__(self) -> str:
        return "reliability report settings"
