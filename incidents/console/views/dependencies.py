"""The dependency graph in the console: its picture, and each component's edges."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents.console.forms.dependencies import DependencyEditForm, DependencyForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    posted,
    render_page,
    staff_required,
    submit_once,
)
from incidents.dependencies import graph
from incidents.dependencies.picture import graph_picture
from incidents.models import Component, ComponentDependency


@staff_required
def dependency_graph(request: HttpRequest) -> HttpResponse:
    return render_page(request, "console/dependencies.html", {"picture": graph_picture()})


@staff_required
@submit_once
def component_dependencies(request: HttpRequest, public_id: str) -> HttpResponse:
    component = get_object_or_404(Component, public_id=public_id)
    form = DependencyForm(posted(request), component=component)
    if request.method == "POST" and form.is_valid():
        try:
            graph.dependency_add(
                actor=console_actor(request), downstream=component, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            upstream = form.cleaned_data["upstream"]
            messages.success(
                request,
                _("“%(name)s” now depends on “%(name2)s”.")
                % {"name": component.name, "name2": upstream.name},
            )
            return redirect("console:component_dependencies", public_id=component.public_id)
    edges = ComponentDependency.objects.select_related("upstream", "downstream")
    return render_page(
        request,
        "console/component_dependencies.html",
        {
            "component": component,
            "form": form,
            "upstreams": edges.filter(downstream=component),
            "downstreams": edges.filter(upstream=component),
        },
        status=400 if form.is_bound else 200,
    )


def _back(request: HttpRequest, edge: ComponentDependency) -> HttpResponse:
    # Back to the page the change was made from: either end's.
    about = request.POST.get("from", "")
    public_id = about if about == edge.upstream.public_id else edge.downstream.public_id
    return redirect("console:component_dependencies", public_id=public_id)


@staff_required
@submit_once
@require_POST
def dependency_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    edge = get_object_or_404(
        ComponentDependency.objects.select_related("upstream", "downstream"), public_id=public_id
    )
    form = DependencyEditForm(request.POST)
    if form.is_valid():
        try:
            graph.dependency_edit(
                actor=console_actor(request), dependency=edge, **form.cleaned_data
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Dependency saved."))
    else:
        messages.error(request, _("Choose hard or soft."))
    return _back(request, edge)


@staff_required
@submit_once
@require_POST
def dependency_remove(request: HttpRequest, public_id: str) -> HttpResponse:
    edge = get_object_or_404(
        ComponentDependency.objects.select_related("upstream", "downstream"), public_id=public_id
    )
    graph.dependency_remove(actor=console_actor(request), dependency=edge)
    messages.success(
        request,
        _("“%(name)s” no longer depends on “%(name2)s”.")
        % {"name": edge.downstream.name, "name2": edge.upstream.name},
    )
    return _back(request, edge)
