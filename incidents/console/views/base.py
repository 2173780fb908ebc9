"""What every console view shares: the staff check, the acting identity, error mapping."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render, resolve_url

from incidents.audit import Actor
from incidents.models import Component, ComponentStatus, Incident
from incidents.models.incidents import UpdateBase

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Anonymous visitors go to the login page; signed-in non-staff get a plain 403.

    A redirect for non-staff would bounce between the login page and the view, so they
    are told what is wrong instead.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
        if not (user.is_active and user.is_staff):
            return render(request, "console/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def console_actor(request: HttpRequest) -> Actor:
    return Actor.staff(request.user, channel="console", ip=request.META.get("REMOTE_ADDR"))


def apply_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show lifecycle's refusal on the form: known fields in place, the rest on top.

    Django's add_error raises on a key the form has no field for (lifecycle says
    "components" where the form has one field per component), so those go to the top.
    """
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, messages in error.error_dict.items():
        form.add_error(field if field in form.fields else None, messages)


def posted(request: HttpRequest) -> QueryDict | None:
    """The form data of a POST; None otherwise, so a form is bound (and checked) on POST
    even when the body is empty."""
    return request.POST if request.method == "POST" else None


def console_state() -> dict[str, Any]:
    """The one-line state shown on every console page, so nobody acts on a stale picture."""
    not_operational = Component.objects.exclude(status=ComponentStatus.OPERATIONAL).count()
    return {
        "open_incidents": Incident.objects.filter(resolved_at__isnull=True).count(),
        "components_affected": not_operational,
    }


def render_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(request, template, {**(context or {}), "state": console_state()}, status=status)


@dataclass(frozen=True)
class ComponentChange:
    name: str
    old: str
    new: str

    @property
    def old_label(self) -> str:
        return _status_label(self.old)

    @property
    def new_label(self) -> str:
        return _status_label(self.new)


@dataclass(frozen=True)
class TimelineEntry:
    update: UpdateBase
    changes: tuple[ComponentChange, ...]


def _status_label(value: str) -> str:
    # The record is frozen as it was said; a status renamed since still shows, raw.
    return ComponentStatus(value).label if value in ComponentStatus.values else value


def timeline(updates: Iterable[UpdateBase]) -> list[TimelineEntry]:
    """Updates newest first, with the component changes each recorded, ready to show."""
    return [
        TimelineEntry(
            update=u,
            changes=tuple(
                ComponentChange(
                    name=c.get("name", ""), old=c.get("old_status", ""), new=c.get("new_status", "")
                )
                for c in u.affected_components
            ),
        )
        for u in updates
    ]
