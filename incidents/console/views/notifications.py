"""Subscribers (their state, CSV import and export) and how each update's messages fared,
with a retry for the ones given up on."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django import forms
from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from incidents.console.views.base import console_actor, render_page, staff_required, submit_once
from incidents.csv_cells import cell_neutralise, rows_restore
from incidents.models import IncidentUpdate, MaintenanceUpdate, Subscriber, SubscriberState
from incidents.notify import outbox, subscriptions

MAX_IMPORT_BYTES = 20 * 1024 * 1024
LIST_LIMIT = 200


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("CSV file"))


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines() -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(subscriptions.CSV_FIELDS)
    for row in subscriptions.subscribers_export_rows():
        yield writer.writerow([cell_neutralise(cell) for cell in row])


@staff_required
def subscriber_list(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    if request.GET.get("format") == "csv":
        response = StreamingHttpResponse(_csv_lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subscribers.csv"'
        return response
    state = request.GET.get("state", "")
    subscribers = Subscriber.objects.order_by("-created_at", "-pk")
    if state in SubscriberState.values:
        subscribers = subscribers.filter(state=state)
    totals = {
        (row["channel"], row["state"]): row["n"]
        for row in Subscriber.objects.values("channel", "state").annotate(n=Count("pk")).order_by()
    }
    return render_page(
        request,
        "console/subscribers.html",
        {
            "subscribers": subscribers[:LIST_LIMIT],
            "limit": LIST_LIMIT,
            "state": state,
            "states": SubscriberState.choices,
            "totals": sorted(totals.items()),
            "import_form": ImportForm(),
        },
    )


@staff_required
@submit_once
@require_POST
def subscriber_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV file to import."))
        return redirect("console:subscribers")
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        messages.error(
            request,
            _("The file is larger than %(MAX_IMPORT_BYTES_2_20)s MB.")
            % {"MAX_IMPORT_BYTES_2_20": MAX_IMPORT_BYTES // 2**20},
        )
        return redirect("console:subscribers")
    text = io.TextIOWrapper(upload.file, encoding="utf-8-sig", errors="replace")
    result = subscriptions.subscribers_import(
        actor=console_actor(request), rows=rows_restore(csv.DictReader(text))
    )
    messages.success(
        request,
        _("Imported %(created)s subscribers; %(skipped)s were already there.")
        % {"created": result.created, "skipped": result.skipped},
    )
    for error in result.errors[:20]:
        messages.error(request, error)
    if len(result.errors) > 20:
        messages.error(
            request, _("… and %(len)s more rows refused.") % {"len": len(result.errors) - 20}
        )
    return redirect("console:subscribers")


@staff_required
def notifications(request: HttpRequest) -> HttpResponse:
    return render_page(
        request, "console/notifications.html", {"updates": outbox.deliveries_by_update()}
    )


@staff_required
@submit_once
@require_POST
def notifications_retry(request: HttpRequest, kind: str, public_id: str) -> HttpResponse:
    if kind == "incident":
        update = get_object_or_404(IncidentUpdate, public_id=public_id)
        count = outbox.deliveries_retry(actor=console_actor(request), incident_update=update)
    else:
        maintenance_update = get_object_or_404(MaintenanceUpdate, public_id=public_id)
        count = outbox.deliveries_retry(
            actor=console_actor(request), maintenance_update=maintenance_update
        )
    messages.success(request, _("%(count)s failed messages will be sent again.") % {"count": count})
    return redirect("console:notifications")
