from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents import lifecycle
from incidents.console.forms.components import ComponentForm, GroupForm, ManualStatusForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    posted,
    render_page,
    staff_required,
    submit_once,
)
from incidents.console.views.dashboard import component_groups
from incidents.models import Component


def _status_form(component: Component, data: QueryDict | None = None) -> ManualStatusForm:
    # One form per component on a page: the prefix keeps their ids and names apart.
    return ManualStatusForm(
        data, prefix=f"c-{component.public_id}", initial={"status": component.manual_status}
    )


@dataclass(frozen=True)
class Section:
    title: str
    anchor: str
    rows: list[tuple[Component, ManualStatusForm]]


def _list(
    request: HttpRequest, *, bound: ManualStatusForm | None = None, status: int = 200
) -> HttpResponse:
    def row(component: Component) -> tuple[Component, ManualStatusForm]:
        form = _status_form(component)
        # The form that failed keeps its input and errors; the others show current values.
        return component, bound if bound is not None and bound.prefix == form.prefix else form

    groups, ungrouped = component_groups()
    sections = [
        Section(g.name, f"group-{g.public_id}", [row(c) for c in g.components.all()])
        for g in groups
    ]
    if ungrouped or not groups:
        title = "Not in a group" if groups else "All components"
        sections.append(Section(title, "group-none", [row(c) for c in ungrouped]))
    return render_page(request, "console/components.html", {"sections": sections}, status=status)


@staff_required
def component_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@staff_required
@submit_once
@require_POST
def component_status(request: HttpRequest, public_id: str) -> HttpResponse:
    component = get_object_or_404(Component, public_id=public_id)
    form = _status_form(component, request.POST)
    if form.is_valid():
        try:
            component = lifecycle.component_status_set(
                actor=console_actor(request),
                component=component,
                status=form.cleaned_data["status"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s set to %(manual)s; shown publicly as %(public)s.")
                % {
                    "name": component.name,
                    "manual": component.get_manual_status_display(),
                    "public": component.get_status_display(),
                },
            )
            return redirect("console:components")
    return _list(request, bound=form, status=400)


def _save_component(request: HttpRequest, component: Component | None) -> HttpResponse:
    # The form's fields are named after the component's attributes.
    initial = {n: getattr(component, n) for n in ComponentForm.base_fields} if component else None
    form = ComponentForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = lifecycle.component_save(
                actor=console_actor(request), component=component, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            said = (
                _("Component “%(name)s” saved.")
                if component
                else _("Component “%(name)s” created.")
            )
            messages.success(request, said % {"name": saved.name})
            return redirect("console:components")
    return render_page(
        request,
        "console/component_form.html",
        {"form": form, "component": component},
        status=400 if form.is_bound else 200,
    )


@staff_required
@submit_once
def component_new(request: HttpRequest) -> HttpResponse:
    return _save_component(request, None)


@staff_required
@submit_once
def component_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    return _save_component(request, get_object_or_404(Component, public_id=public_id))


@staff_required
@submit_once
def group_new(request: HttpRequest) -> HttpResponse:
    form = GroupForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            group = lifecycle.group_create(actor=console_actor(request), **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Group “%(name)s” created.") % {"name": group.name})
            return redirect("console:components")
    return render_page(
        request,
        "console/group_form.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )
