"""Audiences in the console: limiting an incident, a window or a component to audiences,
words for one audience, and the audience tokens of machine readers (an Admin's)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents import lifecycle
from incidents.audiences import tokens
from incidents.console.forms.audience_visibility import AudiencesForm, AudienceWordsForm, TokenForm
from incidents.console.views.base import console_actor, render_page, staff_required, submit_once
from incidents.models import Audience, AudienceToken, Component, Incident, Maintenance
from incidents.wording import WordingRefused


def _refused(request: HttpRequest, error: ValidationError | WordingRefused) -> None:
    if isinstance(error, WordingRefused):
        messages.error(request, _("Not posted: %(error)s") % {"error": error})
        return
    for problems in error.message_dict.values():
        for problem in problems:
            messages.error(request, problem)


def _set(request: HttpRequest, target: Incident | Maintenance | Component) -> None:
    form = AudiencesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose audiences that exist."))
        return
    chosen = list(form.cleaned_data["audiences"])
    changed = lifecycle.audiences_set(actor=console_actor(request), target=target, audiences=chosen)
    if not changed:
        messages.success(request, _("Nothing changed."))
    elif chosen:
        who = ", ".join(a.name for a in chosen)
        messages.success(request, _("Shown to %(who)s.") % {"who": who})
    else:
        messages.success(request, _("Shown to the public."))


@staff_required
@require_POST
@submit_once
def incident_audiences(request: HttpRequest, public_id: str) -> HttpResponse:
    incident = get_object_or_404(Incident, public_id=public_id)
    _set(request, incident)
    return redirect("console:incident_detail", public_id)


@staff_required
@require_POST
@submit_once
def maintenance_audiences(request: HttpRequest, public_id: str) -> HttpResponse:
    maintenance = get_object_or_404(Maintenance, public_id=public_id)
    _set(request, maintenance)
    return redirect("console:maintenance_detail", public_id)


@staff_required
@require_POST
@submit_once
def component_audiences(request: HttpRequest, public_id: str) -> HttpResponse:
    component = get_object_or_404(Component, public_id=public_id)
    _set(request, component)
    return redirect("console:component_edit", public_id)


def _words(request: HttpRequest, target: Incident | Maintenance) -> None:
    form = AudienceWordsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an audience and write the words."))
        return
    try:
        lifecycle.audience_words_post(
            actor=console_actor(request),
            target=target,
            audience=form.cleaned_data["audience"],
            body=form.cleaned_data["body"],
        )
    except (ValidationError, WordingRefused) as error:
        _refused(request, error)
    else:
        name = form.cleaned_data["audience"].name
        messages.success(
            request, _("Words posted for %(name)s; its subscribers are told.") % {"name": name}
        )


@staff_required
@require_POST
@submit_once
def incident_audience_words(request: HttpRequest, public_id: str) -> HttpResponse:
    _words(request, get_object_or_404(Incident, public_id=public_id))
    return redirect("console:incident_detail", public_id)


@staff_required
@require_POST
@submit_once
def maintenance_audience_words(request: HttpRequest, public_id: str) -> HttpResponse:
    _words(request, get_object_or_404(Maintenance, public_id=public_id))
    return redirect("console:maintenance_detail", public_id)


@staff_required
@submit_once
def audience_tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            created = tokens.token_create(
                audience=form.cleaned_data["audience"],
                label=form.cleaned_data["label"],
                actor=console_actor(request),
                now=timezone.now(),
            )
        except ValidationError as error:
            _refused(request, error)
        else:
            # Shown once, in the message after the redirect; only its hash is kept.
            messages.success(
                request,
                _("Token created for %(audience)s: %(token)s")
                % {"audience": created.token.audience.name, "token": created.secret},
            )
            return redirect("console:audience_tokens")
    context = {
        "form": form,
        "audiences": Audience.objects.order_by("name"),
        "tokens": AudienceToken.objects.select_related("audience").order_by(
            "audience__name", "-created_at"
        ),
    }
    return render_page(
        request, "console/audience_tokens.html", context, status=400 if form.is_bound else 200
    )


@staff_required
@require_POST
@submit_once
def audience_token_revoke(request: HttpRequest, pk: str) -> HttpResponse:
    if not pk.isdigit() or len(pk) > 18:  # not an id of ours (and within the column)
        raise Http404("no such token")
    token = get_object_or_404(AudienceToken.objects.select_related("audience"), pk=int(pk))
    if tokens.token_revoke(token=token, actor=console_actor(request), now=timezone.now()):
        messages.success(request, _("Token “%(label)s” revoked.") % {"label": token.label})
    else:
        messages.info(request, _("That token was already revoked."))
    return redirect("console:audience_tokens")
