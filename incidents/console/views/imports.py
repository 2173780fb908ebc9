"""Importing a Statuspage page: start (or resume) an import, then watch its progress and
read its report. The import runs in the background (importer/run.py, a Celery task)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from incidents.console.forms.imports import ImportStartForm
from incidents.console.views.base import (
    console_actor,
    posted,
    render_page,
    staff_required,
    submit_once,
)
from incidents.enqueue import Fallback, enqueue_on_commit
from incidents.importer import run
from incidents.models import ImportRun, ImportState


@staff_required
@submit_once
def import_list(request: HttpRequest) -> HttpResponse:
    form = ImportStartForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            started = run.import_start(actor=console_actor(request), **form.cleaned_data)
        except run.ImportBusy as busy:
            form.add_error("page_id", _("%(busy)s: wait for it to end.") % {"busy": busy})
        else:
            # No worker alive: run it in this process (in a thread) rather than never.
            enqueue_on_commit(
                run.IMPORT_TASK,
                started.public_id,
                fallback=Fallback.HERE,
                here=lambda: run.import_in_background(started.public_id),
            )
            said = (
                _("Resuming %(page_id)s in the background.")
                if started.checkpoint
                else _("Importing %(page_id)s in the background.")
            )
            messages.success(request, said % {"page_id": started.page_id})
            return redirect("console:import_detail", public_id=started.public_id)
    return render_page(
        request,
        "console/imports.html",
        {"form": form, "runs": ImportRun.objects.all()[:20]},
        status=400 if form.is_bound else 200,
    )


@staff_required
def import_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    found = get_object_or_404(ImportRun, public_id=public_id)
    counts = sorted(found.counts.items())
    return render_page(
        request,
        "console/import_detail.html",
        {
            "run": found,
            "counts": counts,
            "under_way": found.state in (ImportState.QUEUED, ImportState.RUNNING),
            "stages": run.STAGE_NAMES,
        },
    )
