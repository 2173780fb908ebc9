"""Vendors: add one by its status page URL, pick its components, see how polling goes."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from incidents.console.forms.vendors import VendorAddForm, VendorPickForm, VendorSettingsForm
from incidents.console.views.base import (
    apply_errors,
    console_actor,
    posted,
    render_page,
    staff_required,
    submit_once,
)
from incidents.enqueue import Fallback, enqueue_on_commit
from incidents.models import Vendor
from incidents.vendors import service
from incidents.vendors.probe import Found


@staff_required
def vendor_list(request: HttpRequest) -> HttpResponse:
    form = VendorAddForm(posted(request))
    if request.method == "POST" and form.is_valid():
        # The vendor's page is fetched here, outside the transaction submit_once opens
        # around the write; a second submission fetches again, then writes nothing.
        now = timezone.now()
        try:
            found = service.vendor_probe(actor=console_actor(request), now=now, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _vendor_record(request, form=form, found=found, now=now)
    return _list(request, form)


@submit_once
def _vendor_record(
    request: HttpRequest, *, form: VendorAddForm, found: Found, now: datetime
) -> HttpResponse:
    try:
        vendor = service.vendor_record(
            actor=console_actor(request), found=found, name=form.cleaned_data["name"], now=now
        )
    except ValidationError as error:
        apply_errors(form, error)
        return _list(request, form)
    messages.success(
        request, _("Added %(name)s: pick the components that matter.") % {"name": vendor.name}
    )
    return redirect("console:vendor_detail", public_id=vendor.public_id)


def _list(request: HttpRequest, form: VendorAddForm) -> HttpResponse:
    vendors = Vendor.objects.annotate(
        listed=Count("components"),
        picked=Count("components", filter=Q(components__picked=True)),
    )
    return render_page(
        request,
        "console/vendors.html",
        {"vendors": vendors, "form": form, "now": timezone.now()},
        status=400 if form.is_bound else 200,
    )


def _settings_initial(vendor: Vendor) -> dict[str, object]:
    return {
        "name": vendor.name,
        "interval": vendor.interval,
        "show_on_public_page": vendor.show_on_public_page,
    }


def _detail(
    request: HttpRequest,
    vendor: Vendor,
    *,
    settings_form: VendorSettingsForm | None = None,
    pick_form: VendorPickForm | None = None,
    status: int = 200,
) -> HttpResponse:
    picked = [vc.external_id for vc in vendor.components.filter(picked=True)]
    return render_page(
        request,
        "console/vendor_detail.html",
        {
            "vendor": vendor,
            "now": timezone.now(),
            "rows": vendor.components.select_related("component"),
            "settings_form": settings_form or VendorSettingsForm(initial=_settings_initial(vendor)),
            "pick_form": pick_form or VendorPickForm(vendor=vendor, initial={"components": picked}),
        },
        status=status,
    )


@staff_required
@submit_once
def vendor_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    vendor = get_object_or_404(Vendor, public_id=public_id)
    if request.method != "POST":
        return _detail(request, vendor)
    if "components" in request.POST or request.POST.get("form") == "pick":
        pick = VendorPickForm(request.POST, vendor=vendor)
        if pick.is_valid():
            try:
                service.vendor_components_pick(
                    actor=console_actor(request),
                    vendor=vendor,
                    external_ids=pick.cleaned_data["components"],
                )
            except ValidationError as error:
                apply_errors(pick, error)
            else:
                messages.success(request, _("Saved which components matter."))
                return redirect("console:vendor_detail", public_id=vendor.public_id)
        return _detail(request, vendor, pick_form=pick, status=400)
    form = VendorSettingsForm(request.POST)
    if form.is_valid():
        try:
            service.vendor_edit(actor=console_actor(request), vendor=vendor, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Saved %(cleaned_data_name)s.")
                % {"cleaned_data_name": form.cleaned_data["name"]},
            )
            return redirect("console:vendor_detail", public_id=vendor.public_id)
    return _detail(request, vendor, settings_form=form, status=400)


@staff_required
@submit_once
@require_POST
def vendor_poll(request: HttpRequest, public_id: str) -> HttpResponse:
    vendor = get_object_or_404(Vendor, public_id=public_id)
    service.vendor_poll_soon(vendor=vendor)
    # Runs here when no worker is alive, so "poll now" never waits for nothing.
    enqueue_on_commit("incidents.tasks.vendors_poll", fallback=Fallback.HERE)
    messages.success(request, _("Polling %(name)s now.") % {"name": vendor.name})
    return redirect("console:vendor_detail", public_id=vendor.public_id)


@staff_required
@submit_once
@require_POST
def vendor_remove(request: HttpRequest, public_id: str) -> HttpResponse:
    vendor = get_object_or_404(Vendor, public_id=public_id)
    service.vendor_remove(actor=console_actor(request), vendor=vendor)
    messages.success(
        request,
        _("Stopped polling %(name)s; our components stay, with their history.")
        % {"name": vendor.name},
    )
    return redirect("console:vendors")
