from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from incidents.console.views.base import render_page, staff_required
from incidents.models import Component, ComponentGroup, Incident, Maintenance, MaintenanceStatus


def component_groups() -> tuple[list[ComponentGroup], list[Component]]:
    """Groups with their components, and the components in no group."""
    groups = list(
        ComponentGroup.objects.prefetch_related(
            Prefetch("components", queryset=Component.objects.order_by("position", "name"))
        )
    )
    ungrouped = list(Component.objects.filter(group__isnull=True))
    return groups, ungrouped


@staff_required
def dashboard(request: HttpRequest) -> HttpResponse:
    groups, ungrouped = component_groups()
    return render_page(
        request,
        "console/dashboard.html",
        {
            "incidents": Incident.objects.filter(resolved_at__isnull=True).order_by("-started_at"),
            "now": timezone.now(),
            "groups": groups,
            "ungrouped": ungrouped,
            "maintenances": Maintenance.objects.exclude(
                status=MaintenanceStatus.COMPLETED
            ).order_by("scheduled_for"),
        },
    )
