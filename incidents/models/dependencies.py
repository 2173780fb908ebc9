"""What depends on what: edges between components, and what caused an impact."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from incidents.models.components import Component
from incidents.models.ids import PUBLIC_ID_LENGTH, new_public_id
from incidents.models.incidents import Incident
from incidents.models.ingest import Proposal


class DependencyKind(models.TextChoices):
    HARD = "hard", _("Hard: down when it is down")
    SOFT = "soft", _("Soft: degraded when it is down")


class ComponentDependency(models.Model):
    """`downstream` depends on `upstream`. The graph has no cycle (dependencies/graph.py
    checks every new edge under a lock)."""

    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=new_public_id)
    upstream = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="dependents")
    downstream = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="dependencies")
    kind = models.CharField(max_length=8, choices=DependencyKind.choices)
    # An Admin's choice: the impact through this edge is applied without a responder.
    auto_apply = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["upstream__name", "downstream__name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["upstream", "downstream"], name="dependency_once"),
            models.CheckConstraint(
                condition=~Q(upstream=F("downstream")), name="dependency_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.downstream_id} depends on {self.upstream_id} ({self.kind})"


class ImpactCause(models.Model):
    """An upstream component a proposal, or the incident it opened, was caused by.

    Internal only: the console and the staff API show it, the public pages never do.
    """

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="causes"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="causes"
    )
    # The cause's status when it was recorded.
    status = models.CharField(max_length=32)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(proposal__isnull=False) | Q(incident__isnull=False),
                name="impact_cause_of_something",
            ),
            models.UniqueConstraint(
                fields=["proposal", "component"],
                condition=Q(proposal__isnull=False),
                name="impact_cause_once_per_proposal",
            ),
            models.UniqueConstraint(
                fields=["incident", "component"],
                condition=Q(incident__isnull=False),
                name="impact_cause_once_per_incident",
            ),
        ]

    def __str__(self) -> str:
        return f"caused by {self.component_id}"
