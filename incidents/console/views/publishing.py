"""Where the public copies stand: each target's version, last publish and last error, and a
button to publish now (the console's `manage.py publish`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from incidents.console.views.base import render_page, staff_required
from incidents.models import PublishTarget
from incidents.publish import service
from incidents.publish.targets import configured_targets
from incidents.publish.versions import site_version

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TargetState:
    name: str
    version: int | None
    published_at: datetime | None
    attempted_at: datetime | None
    error: str
    behind_since: datetime | None
    current: bool


@staff_required
def publishing(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _publish_now(request)
    version = site_version()
    rows = {row.name: row for row in PublishTarget.objects.all()}
    states = []
    for target in configured_targets():
        row = rows.get(target.name) or PublishTarget(name=target.name)
        states.append(
            TargetState(
                name=target.name,
                version=row.last_version,
                published_at=row.last_published_at,
                attempted_at=row.last_attempt_at,
                error=row.last_error,
                behind_since=row.behind_since,
                current=row.last_version is not None and row.last_version >= version,
            )
        )
    return render_page(
        request, "console/publishing.html", {"site_version": version, "targets": states}
    )


def _publish_now(request: HttpRequest) -> HttpResponse:
    log.info("%s publishes the site from the console", request.user)
    result = service.publish()
    outcomes = ", ".join(f"{t.name}: {t.outcome}" for t in result.targets) or "no targets"
    if result.failed:
        messages.error(
            request,
            _("Version %(version)s did not reach every copy (%(outcomes)s).")
            % {"version": result.version, "outcomes": outcomes},
        )
    else:
        messages.success(
            request,
            _("Version %(version)s published (%(outcomes)s).")
            % {"version": result.version, "outcomes": outcomes},
        )
    return redirect("console:publishing")
