"""What every console view shares: the staff check, the acting identity, error mapping,
and the guard that makes a form sent twice write once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

import django_otp
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.http.response import HttpResponseBase, HttpResponseRedirectBase
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import idempotency, permissions, sso
from incidents.audit import Actor
from incidents.client_address import client_address
from incidents.models import Component, ComponentStatus, Incident, OverrideReview
from incidents.models.incidents import UpdateBase
from incidents.notify.costs.gate import SmsCostAboveCap, forecast_report
from incidents.publish.freshness import lagging_targets
from incidents.selectors import affected_components
from incidents.two_factor import session_verified
from incidents.wording import WordingRefused
from incidents.worker_heartbeat import worker_alive, worker_last_seen

View = Callable[..., HttpResponse]
# Any response, a streamed CSV export too.
AnyView = TypeVar("AnyView", bound=Callable[..., HttpResponseBase])


def staff_required(view: AnyView) -> AnyView:
    """Anonymous visitors go to the login page; signed-in non-staff get a plain 403.
    Where two-factor login is required (CANDOR_REQUIRE_2FA), staff without it are sent to
    set it up first. Then the permission table (incidents/permissions.py) decides: reading
    takes a staff account, a write the permission listed for the URL; a URL not listed is
    refused. A service's own PermissionError (e.g. an override by a non-Admin) is refused
    the same way.

    A redirect for non-staff would bounce between the login page and the view, so they
    are told what is wrong instead. Goes outside submit_once: a refusal writes nothing.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
        if not (user.is_active and user.is_staff):
            return render(request, "console/forbidden.html", status=403)
        # A session from single sign-on gave the provider's own sign-in instead.
        if (
            settings.CANDOR_REQUIRE_2FA
            and not session_verified(user)
            and not sso.session_from_sso(request)
        ):
            if django_otp.user_has_device(user):
                # Signed in some other way than the login form: sign in again, with a code.
                logout(request)
                return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
            if request.resolver_match and request.resolver_match.url_name != "two_factor":
                return redirect("console:two_factor")
        name = permissions.view_name(request)
        try:
            needed = permissions.needed(name, request.method or "GET")
        except permissions.Unlisted:
            return not_allowed(request)
        if needed == permissions.READ_ONLY:
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if needed is not None and not user.has_perm(needed):
            return not_allowed(request)
        try:
            return view(request, *args, **kwargs)
        except PermissionError:
            return not_allowed(request)

    return cast(AnyView, wrapper)


def not_allowed(request: HttpRequest) -> HttpResponse:
    return render_page(request, "console/not_allowed.html", status=403)


SUBMISSION_KEY = "submission_key"
# What a form sends besides what it asks for; a fresh CSRF token must not make it "new".
_NOT_CONTENT = frozenset({SUBMISSION_KEY, "csrfmiddlewaretoken"})


def submit_once(view: View) -> View:
    """A form sent twice (double click, reload, back and resend) writes once.

    Every write form carries a hidden one-time `submission_key` ({% submission_key %}).
    A POST with one runs the view through idempotency.write_once, keyed by the user and
    that key: the view's redirect, its success, is stored, and a second POST of the same
    form writes nothing and goes where the first went. Any other answer (the form shown
    again with its errors) rolls back and leaves the key unused. A POST without a key, from
    a tab opened before keys existed, is handled as before, unprotected.

    Goes inside staff_required: keys belong to the signed-in user.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.POST.get(SUBMISSION_KEY, "") if request.method == "POST" else ""
        if not key:
            return view(request, *args, **kwargs)
        if idempotency.key_problem(key):
            return _submission_problem(request, "invalid", status=400)
        content = {k: request.POST.getlist(k) for k in request.POST if k not in _NOT_CONTENT}
        try:
            result = idempotency.write_once(
                user_id=request.user.pk,  # type: ignore[arg-type]  # staff_required: signed in
                key=key,
                fingerprint=idempotency.fingerprint(method="POST", path=request.path, body=content),
                write=lambda: view(request, *args, **kwargs),
                keep=_kept_redirect,
            )
        except idempotency.KeyInProgress:
            return _submission_problem(request, "in_progress", status=409)
        except idempotency.KeyReused as reused:
            # Back, edit, send again: the page is stale, and guessing would be worse.
            messages.warning(
                request,
                _(
                    "This form had already been submitted, so the changes made to it since were "
                    "not saved. This is where the first submission went."
                ),
            )
            return redirect(_location(reused.original))
        if isinstance(result, idempotency.Replay):
            messages.info(request, _("Already saved — this form was submitted twice."))
            return redirect(_location(result))
        return result

    return wrapper


def _kept_redirect(response: HttpResponse) -> idempotency.Recorded | None:
    # A console write that succeeds redirects (post/redirect/get); anything else is the
    # form shown again with its errors, and nothing was saved.
    if not isinstance(response, HttpResponseRedirectBase):
        return None
    return idempotency.Recorded(response.status_code, {"location": response["Location"]})


def _location(answer: idempotency.Recorded) -> str:
    body = answer.body
    if isinstance(body, dict) and isinstance(body.get("location"), str):
        return body["location"]
    return resolve_url("console:dashboard")  # a key first used elsewhere (the API)


def _submission_problem(request: HttpRequest, problem: str, *, status: int) -> HttpResponse:
    return render_page(
        request, "console/submission_problem.html", {"problem": problem}, status=status
    )


def console_actor(request: HttpRequest) -> Actor:
    return Actor.staff(request.user, channel="console", ip=client_address(request))


def apply_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show lifecycle's refusal on the form: known fields in place, the rest on top.

    Django's add_error raises on a key the form has no field for (lifecycle says
    "components" where the form has one field per component), so those go to the top.
    Refused words keep their itemised violations on the form, for the wording panel.
    """
    if isinstance(error, WordingRefused):
        form.violations = error.violations  # type: ignore[attr-defined]
    if isinstance(error, SmsCostAboveCap):
        # The figures the responder confirms or declines, shown beside the choice.
        form.forecast = forecast_report(error.forecast)  # type: ignore[attr-defined]
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, reasons in error.error_dict.items():
        form.add_error(field if field in form.fields else None, reasons)


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
        # Public copies staff were alerted about (publish/freshness.py) and still behind.
        "lagging_targets": lagging_targets(),
        # An emergency override stays in sight until an approver has reviewed it.
        "overrides_to_review": OverrideReview.objects.filter(reviewed_at=None).count(),
        "worker": _worker_state(),
        # Shown to Admins: staff may be unable to sign in through the provider.
        "sso_failing": _sso_failing(),
    }


def _sso_failing() -> sso.Health | None:
    if not sso.enabled():
        return None
    health = sso.health()
    return health if health.failing else None


def _worker_state() -> dict[str, Any] | None:
    """None while a worker is alive (or tasks run in-process); else when one was last seen.

    Without a worker the web still serves and publishes, but reminders, escalations,
    maintenance start/end and all sending wait: staff must know, not find out later.
    """
    if settings.CELERY_TASK_ALWAYS_EAGER or worker_alive():
        return None
    last_seen = worker_last_seen()
    today = last_seen is not None and last_seen.date() == timezone.now().date()
    return {"last_seen": last_seen, "today": today}


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
    return str(ComponentStatus(value).label) if value in ComponentStatus.values else value


def timeline(updates: Iterable[UpdateBase]) -> list[TimelineEntry]:
    """Updates newest first, with the component changes each recorded, ready to show."""
    return [
        TimelineEntry(
            update=u,
            changes=tuple(
                ComponentChange(
                    name=c.get("name", ""), old=c.get("old_status", ""), new=c.get("new_status", "")
                )
                for c in affected_components(u.affected_components)
            ),
        )
        for u in updates
    ]
