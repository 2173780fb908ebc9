"""Monitor sources, their signals and what they propose."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents.console.forms.ingest import RuleForm, SourceForm, SourceSettingsForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    posted,
    render_page,
    staff_required,
    submit_once,
)
from incidents.ingest import admission, automation, sources
from incidents.models import (
    Component,
    ComponentStatus,
    Proposal,
    ProposalState,
    RoutingRule,
    Signal,
    Source,
    WindowSignals,
)

_SECRETS = "ingest_new_secrets"  # session key: shown once on the next page, then dropped


def _settings_initial(source: Source) -> dict[str, object]:
    return {name: getattr(source, name) for name in sources.SETTINGS}


@staff_required
def source_list(request: HttpRequest) -> HttpResponse:
    rows = list(Source.objects.all())
    stats = admission.stats(rows, now=timezone.now())
    return render_page(
        request,
        "console/sources.html",
        {
            "sources": [(s, stats[s.pk]) for s in rows],
            "minutes": admission.STATS_MINUTES,
            "unmatched": Signal.objects.filter(
                routed_at__isnull=False, component__isnull=True
            ).count(),
            "pending": Proposal.objects.filter(state=ProposalState.PENDING).count(),
        },
    )


@staff_required
@submit_once
def source_new(request: HttpRequest) -> HttpResponse:
    form = SourceForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            source, token = sources.source_create(actor=console_actor(request), **data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            request.session[_SECRETS] = {"token": token, "signing_secret": source.signing_secret}
            return redirect("console:source_detail", name=source.name)
    return render_page(
        request, "console/source_new.html", {"form": form}, status=400 if form.is_bound else 200
    )


def _detail(
    request: HttpRequest,
    source: Source,
    *,
    settings_form: SourceSettingsForm | None = None,
    rule_form: RuleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    return render_page(
        request,
        "console/source_detail.html",
        {
            "source": source,
            "secrets": request.session.pop(_SECRETS, None),
            "endpoint": request.build_absolute_uri(f"/api/ingest/{source.name}/"),
            "stats": admission.stats([source], now=timezone.now())[source.pk],
            "minutes": admission.STATS_MINUTES,
            "settings_form": settings_form or SourceSettingsForm(initial=_settings_initial(source)),
            "rule_form": rule_form or RuleForm(),
            "rules": source.rules.select_related("component"),
            "signals": source.signals.select_related("component")[:50],
        },
        status=status,
    )


@staff_required
@submit_once
def source_detail(request: HttpRequest, name: str) -> HttpResponse:
    source = get_object_or_404(Source, name=name)
    if request.method != "POST":
        return _detail(request, source)
    form = SourceSettingsForm(request.POST)
    if form.is_valid():
        sources.source_update(actor=console_actor(request), source=source, **form.cleaned_data)
        messages.success(request, _("Source “%(name)s” saved.") % {"name": source.name})
        return redirect("console:source_detail", name=source.name)
    return _detail(request, source, settings_form=form, status=400)


@staff_required
@submit_once
@require_POST
def source_rotate(request: HttpRequest, name: str) -> HttpResponse:
    source = get_object_or_404(Source, name=name)
    source, token = sources.source_rotate_token(actor=console_actor(request), source=source)
    request.session[_SECRETS] = {"token": token, "signing_secret": source.signing_secret}
    messages.success(request, _("New token issued; the old one no longer works."))
    return redirect("console:source_detail", name=source.name)


@staff_required
@submit_once
def source_delete(request: HttpRequest, name: str) -> HttpResponse:
    """Confirm, then delete (Admins); the page says what goes and what stays."""
    source = get_object_or_404(Source, name=name)
    if request.method == "POST":
        sources.source_delete(actor=console_actor(request), source=source)
        messages.success(
            request, _("Source “%(name)s” deleted; its token no longer works.") % {"name": name}
        )
        return redirect("console:sources")
    context = {"source": source, "footprint": sources.source_footprint(source)}
    return render_page(request, "console/source_delete.html", context)


@staff_required
@submit_once
@require_POST
def rule_add(request: HttpRequest, name: str) -> HttpResponse:
    source = get_object_or_404(Source, name=name)
    form = RuleForm(request.POST)
    if form.is_valid():
        try:
            sources.rule_add(actor=console_actor(request), source=source, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Routing rule added."))
            return redirect("console:source_detail", name=source.name)
    return _detail(request, source, rule_form=form, status=400)


@staff_required
@submit_once
@require_POST
def rule_remove(request: HttpRequest, name: str, rule_id: str) -> HttpResponse:
    if not rule_id.isdigit():
        raise Http404("No such rule.")
    rule = get_object_or_404(
        RoutingRule.objects.select_related("source"), pk=rule_id, source__name=name
    )
    sources.rule_remove(actor=console_actor(request), rule=rule)
    messages.success(request, _("Routing rule removed."))
    return redirect("console:source_detail", name=name)


@staff_required
def signal_list(request: HttpRequest) -> HttpResponse:
    unmatched = request.GET.get("unmatched") == "1"
    # Muted: received on a component inside a running window from a source that mutes them.
    signals = Signal.objects.select_related("source", "component").exclude(
        during_maintenance=WindowSignals.MUTE
    )
    if unmatched:
        signals = signals.filter(routed_at__isnull=False, component__isnull=True)
    page = Paginator(signals, 50).get_page(request.GET.get("page"))
    return render_page(
        request,
        "console/signals.html",
        {"page": page, "unmatched": unmatched, "query": "unmatched=1" if unmatched else ""},
    )


def _affected(proposal: Proposal) -> list[tuple[str, str]]:
    """The proposal's components as (name, status label), for people to read."""
    names = dict(
        Component.objects.filter(public_id__in=proposal.components).values_list("public_id", "name")
    )
    return sorted(
        (names[k], str(ComponentStatus(v).label))
        for k, v in proposal.components.items()
        if k in names
    )


@staff_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    pending = (
        Proposal.objects.filter(state=ProposalState.PENDING)
        .select_related("source", "incident")
        .prefetch_related("causes__component")
    )
    return render_page(
        request,
        "console/proposals.html",
        {
            "pending": [(p, _affected(p)) for p in pending],
            "decided": Proposal.objects.exclude(state=ProposalState.PENDING).select_related(
                "source", "incident"
            )[:20],
        },
    )


@staff_required
@submit_once
@require_POST
def proposal_decide(request: HttpRequest, public_id: str) -> HttpResponse:
    proposal = get_object_or_404(Proposal, public_id=public_id)
    actor = console_actor(request)
    try:
        if request.POST.get("decision") == "publish":
            proposal = automation.proposal_accept(actor=actor, proposal=proposal)
            messages.success(request, _("Published “%(name)s”.") % {"name": proposal.name})
            if proposal.incident is not None:
                return redirect("console:incident_detail", public_id=proposal.incident.public_id)
        else:
            automation.proposal_dismiss(actor=actor, proposal=proposal)
            messages.success(request, _("Dismissed “%(name)s”.") % {"name": proposal.name})
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("console:proposals")
