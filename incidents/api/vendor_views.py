"""/api/staff/vendors/: vendors whose status pages Candor polls, for Admins' scripts.

The same services as the console (vendors/service.py): adding fetches the URL given (or
the Statuspage document under it) before anything is stored; picking links the vendor's
components to local ones in "Third-party services".
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.idempotency import idempotent
from incidents.api.staff_views import READ_ERRORS, WRITE_ERRORS, StaffView, _errors, _one
from incidents.enqueue import Fallback, enqueue_on_commit
from incidents.models import Vendor, VendorKind, VendorState, VendorStatus
from incidents.vendors import service


class VendorIn(serializers.Serializer):
    url = serializers.CharField(
        max_length=service.MAX_URL_LENGTH,
        help_text="A status page (its /api/v2/summary.json is found), a summary.json, or an "
        "RSS/Atom status feed; http(s), on a globally routable address.",
    )
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class VendorSettingsIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    interval = serializers.IntegerField(
        min_value=service.MIN_INTERVAL, max_value=service.MAX_INTERVAL
    )
    show_on_public_page = serializers.BooleanField()


class VendorPickIn(serializers.Serializer):
    components = serializers.ListField(
        child=serializers.CharField(max_length=200),
        max_length=1000,
        help_text="The vendor's component ids that matter; any left out are unpicked.",
    )


class VendorComponentOut(serializers.Serializer):
    id = serializers.CharField(source="external_id")
    name = serializers.CharField()
    group_name = serializers.CharField()
    status = serializers.ChoiceField(choices=VendorStatus.choices)
    picked = serializers.BooleanField(help_text="Whether ours follows it.")
    component_id = serializers.CharField(
        source="component.public_id", allow_null=True, default=None,
        help_text="Our component, once picked (kept when unpicked).",
    )  # fmt: skip


class VendorOut(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    url = serializers.CharField()
    kind = serializers.ChoiceField(choices=VendorKind.choices)
    state = serializers.ChoiceField(choices=VendorState.choices)
    active = serializers.BooleanField(help_text="False once removed: no longer polled.")
    interval = serializers.IntegerField()
    show_on_public_page = serializers.BooleanField()
    last_fetched_at = serializers.DateTimeField(allow_null=True)
    last_changed_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()
    failures = serializers.IntegerField()
    next_poll_at = serializers.DateTimeField()
    components = VendorComponentOut(many=True)


def _vendors() -> QuerySet[Vendor]:
    return Vendor.objects.prefetch_related("components__component")


def _validated(serializer: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    parsed = serializer(data=request.data)
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)


class VendorsView(StaffView):
    pagination_class = None  # tens of vendors

    @extend_schema(
        tags=["vendors"], summary="List vendors",
        responses={200: VendorOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(VendorOut(_vendors(), many=True).data)

    @extend_schema(
        tags=["vendors"], summary="Add a vendor by its status page URL",
        description="The URL is fetched before anything is stored: 400 says why nothing "
        "readable was found there.",
        request=VendorIn, responses={201: VendorOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        vendor = service.vendor_add(actor=self.actor(), **_validated(VendorIn, request))
        return Response(VendorOut(_vendors().get(pk=vendor.pk)).data, status.HTTP_201_CREATED)


class VendorDetailView(StaffView):
    @extend_schema(
        tags=["vendors"], summary="One vendor, with its components and polling state",
        responses={200: VendorOut, **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, public_id: str) -> Response:
        return Response(VendorOut(_one(_vendors(), public_id, "vendor")).data)

    @extend_schema(
        tags=["vendors"], summary="Change a vendor's settings",
        request=VendorSettingsIn, responses={200: VendorOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request, public_id: str) -> Response:
        vendor = _one(_vendors(), public_id, "vendor")
        data = _validated(VendorSettingsIn, request)
        service.vendor_edit(actor=self.actor(), vendor=vendor, **data)
        return Response(VendorOut(_vendors().get(pk=vendor.pk)).data)

    @extend_schema(
        tags=["vendors"], summary="Stop polling a vendor",
        description="It is kept, inactive, with our components and their history; "
        "adding its URL again resumes it.",
        responses={204: None, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def delete(self, request: Request, public_id: str) -> Response:
        service.vendor_remove(actor=self.actor(), vendor=_one(_vendors(), public_id, "vendor"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class VendorComponentsView(StaffView):
    @extend_schema(
        tags=["vendors"], summary="Pick the vendor's components that matter",
        description="Each picked one drives a component of ours in \"Third-party services\" "
        "(created the first time); one left out stops following the vendor, and ours stays.",
        request=VendorPickIn, responses={200: VendorOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request, public_id: str) -> Response:
        vendor = _one(_vendors(), public_id, "vendor")
        picks = _validated(VendorPickIn, request)["components"]
        service.vendor_components_pick(actor=self.actor(), vendor=vendor, external_ids=picks)
        return Response(VendorOut(_vendors().get(pk=vendor.pk)).data)


class VendorPollView(StaffView):
    @extend_schema(
        tags=["vendors"], summary="Poll a vendor now",
        request=None, responses={202: None, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        service.vendor_poll_soon(vendor=_one(_vendors(), public_id, "vendor"))
        enqueue_on_commit("incidents.tasks.vendors_poll", fallback=Fallback.HERE)
        return Response(status=status.HTTP_202_ACCEPTED)
