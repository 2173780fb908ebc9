from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse

from incidents.console.forms.audit import AuditFilterForm
from incidents.console.views.base import render_page, staff_required
from incidents.models import AuditEvent

PER_PAGE = 50


@staff_required
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    action = form.cleaned_data["action"] if form.is_valid() else ""
    events = AuditEvent.objects.order_by("-at", "-pk")
    if action:
        events = events.filter(action=action)
    page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
    return render_page(
        request, "console/audit.html", {"form": form, "page": page, "action": action}
    )
