"""The staff REST API: the console's actions for scripts and automation.

Each view parses input with an input serializer, calls exactly one lifecycle service as
the requesting staff member (channel "api", so the audit log says where an action came
from), and formats the result with an output serializer. Authentication and the staff-only
permission come from REST_FRAMEWORK settings; errors take the shape of api/errors.py.
Every write handler is @idempotent: an Idempotency-Key header makes a repeat harmless.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.metadata import SimpleMetadata
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from incidents import lifecycle, permissions, sso
from incidents.api import staff_serializers as s
from incidents.api.idempotency import idempotent
from incidents.audit import Actor
from incidents.client_address import client_address
from incidents.dependencies import graph
from incidents.ingest import automation
from incidents.models import (
    AuditEvent,
    Channel,
    Component,
    ComponentDependency,
    ComponentGroup,
    Contact,
    CustomTextRequest,
    ImpactCause,
    Incident,
    IncidentComponent,
    IncidentImpact,
    IncidentUpdate,
    Maintenance,
    MaintenanceComponent,
    MaintenanceUpdate,
    Phase,
    Proposal,
    ProposalKind,
    ProposalState,
)
from incidents.notify.costs import drafts
from incidents.notify.costs.forecast import Forecast
from incidents.notify.costs.gate import forecast_report, sms_cost_cap, sms_cost_cap_set
from incidents.reminders import plan, services
from incidents.two_factor import session_verified
from incidents.wording import approvals, decisions

# -- plumbing ---------------------------------------------------------------------------


class StaffPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class HasRolePermission(BasePermission):
    """Reading takes a staff account; writing, the permission incidents/permissions.py
    lists for the operation, as in the console. Where two-factor login is required, a
    console session must have given its code."""

    message = "Your role does not allow this."

    def has_permission(self, request: Request, view: Any) -> bool:
        if (
            settings.CANDOR_REQUIRE_2FA
            and isinstance(request.successful_authenticator, SessionAuthentication)
            and not session_verified(request.user)
            and not sso.session_from_sso(request)
        ):
            # A console session that has not given its second factor does not get in
            # through the back door; a token is its own credential (README).
            return False
        return permissions.allowed(
            request.user, permissions.view_name(request), request.method or "GET"
        )


class StaffMetadata(SimpleMetadata):
    """OPTIONS answers name, description, methods and formats. The input of each write is
    in the OpenAPI document (/api/schema/); the views have no single serializer to
    describe, which DRF's default metadata insists on."""

    def determine_metadata(self, request: Request, view: Any) -> dict[str, Any]:
        metadata = super().determine_metadata(request, view)
        metadata["schema"] = reverse("api-schema", request=request)
        return metadata

    def determine_actions(self, request: Request, view: Any) -> dict[str, Any]:
        return {}


class StaffView(GenericAPIView):
    # DRF instantiates the class it is given; its stubs expect an instance or a path.
    metadata_class = StaffMetadata  # type: ignore[assignment]
    pagination_class: type[BasePagination] | None = StaffPagination
    permission_classes = [IsAdminUser, HasRolePermission]

    def actor(self) -> Actor:
        # X-Forwarded-For only as far as trusted proxies wrote it (client_address.py):
        # the audit log must not record an address the client invented.
        return Actor.staff(self.request.user, channel="api", ip=client_address(self.request))

    def paginated(
        self, queryset: QuerySet[Any], serializer: type[serializers.Serializer]
    ) -> Response:
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer(page, many=True).data)


def _validated(
    serializer: type[serializers.Serializer], request: Request, *, partial: bool = False
) -> dict[str, Any]:
    parsed = serializer(data=request.data, partial=partial)
    parsed.is_valid(raise_exception=True)
    return dict(parsed.validated_data)


def _one(queryset: QuerySet[Any], public_id: str, noun: str) -> Any:
    # PostgreSQL refuses to even compare text with NUL in it; no id has one.
    found = None if "\x00" in public_id else queryset.filter(public_id=public_id).first()
    if found is None:
        raise NotFound(f"No {noun} with id {public_id!r}.")
    return found


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    reasons = {
        400: "Invalid input: per-field reasons under `errors`.",
        401: "No or invalid credentials.",
        403: "Not a staff member, or a role without this permission.",
        404: "No such resource.",
        409: "A request with this Idempotency-Key is in progress; or (approving, rejecting) "
        "the words, or (publishing, dismissing) the proposal, were already decided.",
        413: "Request body too large.",
        415: "Not JSON.",
        422: "The words are not approved or break the wording policy (`violations` lists "
        "why), or this Idempotency-Key was used for a different request.",
    }
    return {code: OpenApiResponse(s.ErrorOut, description=reasons[code]) for code in codes}


READ_ERRORS = (401, 403)
WRITE_ERRORS = (400, 401, 403, 409, 413, 415, 422)


# -- queries: each prefetches exactly what its output serializer reads ------------------------


def _incidents() -> QuerySet[Incident]:
    return Incident.objects.prefetch_related(
        Prefetch(
            "affected",
            queryset=IncidentComponent.objects.select_related("component").order_by(
                "component__position", "component__name"
            ),
        ),
        Prefetch(
            "updates",
            queryset=IncidentUpdate.objects.select_related("audience").order_by(
                "-display_at", "-pk"
            ),
        ),
        "owners",
        "audiences",
        Prefetch("causes", queryset=ImpactCause.objects.select_related("component")),
    ).order_by("-started_at", "-pk")


def _maintenances() -> QuerySet[Maintenance]:
    return Maintenance.objects.prefetch_related(
        Prefetch(
            "maintenancecomponent_set",
            queryset=MaintenanceComponent.objects.select_related("component").order_by(
                "component__position", "component__name"
            ),
        ),
        Prefetch(
            "updates",
            queryset=MaintenanceUpdate.objects.select_related("audience").order_by(
                "-display_at", "-pk"
            ),
        ),
        "audiences",
    ).order_by("-scheduled_for", "-pk")


def _components() -> QuerySet[Component]:
    return (
        Component.objects.select_related("group")
        .prefetch_related("audiences")
        .order_by("position", "name")
    )


def _groups() -> QuerySet[ComponentGroup]:
    return ComponentGroup.objects.prefetch_related(
        Prefetch(
            "components",
            queryset=Component.objects.prefetch_related("audiences").order_by("position", "name"),
        )
    ).order_by("position", "name")


# -- incidents --------------------------------------------------------------------------


class IncidentsView(StaffView):
    @extend_schema(
        tags=["incidents"], summary="List incidents, newest first",
        responses={200: s.IncidentOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return self.paginated(_incidents(), s.IncidentOut)

    @extend_schema(
        tags=["incidents"], summary="Open an incident",
        request=s.IncidentOpenIn, responses={201: s.IncidentOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        data = _validated(s.IncidentOpenIn, request)
        incident = lifecycle.incident_open(actor=self.actor(), **data)
        return Response(
            s.IncidentOut(_incidents().get(pk=incident.pk)).data, status.HTTP_201_CREATED
        )


class IncidentDetailView(StaffView):
    @extend_schema(
        tags=["incidents"], summary="One incident with its updates",
        responses={200: s.IncidentOut, **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, public_id: str) -> Response:
        return Response(s.IncidentOut(_one(_incidents(), public_id, "incident")).data)


class IncidentUpdatesView(StaffView):
    @extend_schema(
        tags=["incidents"], summary="Post an update",
        description="Returns the incident, with the new update first.",
        request=s.IncidentUpdateIn,
        responses={201: s.IncidentOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        incident = _one(Incident.objects.all(), public_id, "incident")
        data = _validated(s.IncidentUpdateIn, request)
        lifecycle.update_post(actor=self.actor(), incident=incident, **data)
        return Response(
            s.IncidentOut(_incidents().get(pk=incident.pk)).data, status.HTTP_201_CREATED
        )


class IncidentResolveView(StaffView):
    @extend_schema(
        tags=["incidents"], summary="Resolve an incident",
        request=s.IncidentResolveIn,
        responses={200: s.IncidentOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        incident = _one(Incident.objects.all(), public_id, "incident")
        data = _validated(s.IncidentResolveIn, request)
        lifecycle.incident_resolve(actor=self.actor(), incident=incident, **data)
        return Response(s.IncidentOut(_incidents().get(pk=incident.pk)).data)


class IncidentOwnersView(StaffView):
    @extend_schema(
        tags=["cadence"], summary="Set who owns an incident",
        description="Owners are reminded of each update due; with none, the on-call list is.",
        request=s.OwnersIn,
        responses={200: s.IncidentOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request, public_id: str) -> Response:
        incident = _one(Incident.objects.all(), public_id, "incident")
        data = _validated(s.OwnersIn, request)
        services.incident_owners_set(actor=self.actor(), incident=incident, owners=data["owners"])
        return Response(s.IncidentOut(_incidents().get(pk=incident.pk)).data)


class IncidentCadenceView(StaffView):
    @extend_schema(
        tags=["cadence"], summary="Give an incident its own update schedule",
        request=s.ScheduleIn,
        responses={200: s.IncidentOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request, public_id: str) -> Response:
        incident = _one(Incident.objects.all(), public_id, "incident")
        parsed = s.ScheduleIn(data=request.data)
        parsed.is_valid(raise_exception=True)
        lifecycle.cadence_override_set(
            actor=self.actor(), incident=incident, schedule=parsed.schedule()
        )
        return Response(s.IncidentOut(_incidents().get(pk=incident.pk)).data)

    @extend_schema(
        tags=["cadence"], summary="Return an incident to its impact's schedule",
        responses={200: s.IncidentOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def delete(self, request: Request, public_id: str) -> Response:
        incident = _one(Incident.objects.all(), public_id, "incident")
        lifecycle.cadence_override_set(actor=self.actor(), incident=incident, schedule=None)
        return Response(s.IncidentOut(_incidents().get(pk=incident.pk)).data)


def _policies() -> list[dict[str, Any]]:
    return [
        {**schedule.as_minutes(), "impact": impact, "default": default}
        for impact, (schedule, default) in plan.impact_schedules().items()
    ]


class CadencePoliciesView(StaffView):
    pagination_class = None

    @extend_schema(
        tags=["cadence"], summary="The update schedule of each impact",
        responses={200: s.CadencePolicyOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(s.CadencePolicyOut(_policies(), many=True).data)


class CadencePolicyView(StaffView):
    @extend_schema(
        tags=["cadence"], summary="Set the update schedule of one impact",
        description="Applies to incidents of that impact from their next update.",
        parameters=[
            OpenApiParameter("impact", enum=IncidentImpact.values, location=OpenApiParameter.PATH)
        ],
        request=s.ScheduleIn,
        responses={200: s.CadencePolicyOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request, impact: str) -> Response:
        if impact not in IncidentImpact.values:
            raise NotFound(f"No impact {impact!r}.")
        parsed = s.ScheduleIn(data=request.data)
        parsed.is_valid(raise_exception=True)
        services.cadence_policy_set(actor=self.actor(), impact=impact, schedule=parsed.schedule())
        [row] = [p for p in _policies() if p["impact"] == impact]
        return Response(s.CadencePolicyOut(row).data)


class ContactsView(StaffView):
    pagination_class = None

    @extend_schema(
        tags=["cadence"], summary="Reminder contacts",
        responses={200: s.ContactOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(s.ContactOut(Contact.objects.all(), many=True).data)

    @extend_schema(
        tags=["cadence"], summary="Add a reminder contact",
        request=s.ContactIn,
        responses={201: s.ContactOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        data = _validated(s.ContactIn, request)
        contact = services.contact_save(actor=self.actor(), **data)
        return Response(s.ContactOut(contact).data, status.HTTP_201_CREATED)


# -- components and groups --------------------------------------------------------------


class ComponentsView(StaffView):
    pagination_class = None  # a page has tens of components, never thousands

    @extend_schema(
        tags=["components"], summary="List components",
        responses={200: s.ComponentOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(s.ComponentOut(_components(), many=True).data)

    @extend_schema(
        tags=["components"], summary="Create a component",
        request=s.ComponentIn, responses={201: s.ComponentOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        data = _validated(s.ComponentIn, request)
        component = lifecycle.component_save(actor=self.actor(), **data)
        return Response(
            s.ComponentOut(_components().get(pk=component.pk)).data, status.HTTP_201_CREATED
        )


class ComponentDetailView(StaffView):
    @extend_schema(
        tags=["components"], summary="One component",
        responses={200: s.ComponentOut, **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, public_id: str) -> Response:
        return Response(s.ComponentOut(_one(_components(), public_id, "component")).data)

    @extend_schema(
        tags=["components"], summary="Edit a component's details",
        description="Fields left out keep their value. The status is set with /status/.",
        request=s.ComponentIn(partial=True),
        responses={200: s.ComponentOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def patch(self, request: Request, public_id: str) -> Response:
        component = _one(_components(), public_id, "component")
        changes = _validated(s.ComponentIn, request, partial=True)
        current = {
            "name": component.name, "description": component.description,
            "group": component.group, "position": component.position,
            "showcase": component.showcase,
            "only_show_if_degraded": component.only_show_if_degraded,
        }  # fmt: skip
        lifecycle.component_save(actor=self.actor(), component=component, **(current | changes))
        return Response(s.ComponentOut(_components().get(pk=component.pk)).data)


class ComponentStatusView(StaffView):
    @extend_schema(
        tags=["components"], summary="Set a component's status by hand",
        description="Open incidents and running maintenance still lie over this status; "
        "the response's `status` is what the public sees.",
        request=s.ComponentStatusIn,
        responses={200: s.ComponentOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        component = _one(Component.objects.all(), public_id, "component")
        data = _validated(s.ComponentStatusIn, request)
        lifecycle.component_status_set(actor=self.actor(), component=component, **data)
        return Response(s.ComponentOut(_components().get(pk=component.pk)).data)


# -- dependencies ----------------------------------------------------------------------


def _dependencies() -> QuerySet[ComponentDependency]:
    return ComponentDependency.objects.select_related("upstream", "downstream").order_by("pk")


class DependenciesView(StaffView):
    pagination_class = None  # one row per edge: hundreds at most

    @extend_schema(
        tags=["dependencies"], summary="List dependencies",
        responses={200: s.DependencyOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(s.DependencyOut(_dependencies(), many=True).data)

    @extend_schema(
        tags=["dependencies"], summary="Add a dependency",
        description="`downstream` depends on `upstream`. A dependency that would close a "
        "cycle is refused with 400, the cycle named under `errors.upstream`.",
        request=s.DependencyIn, responses={201: s.DependencyOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        data = _validated(s.DependencyIn, request)
        edge = graph.dependency_add(actor=self.actor(), **data)
        return Response(
            s.DependencyOut(_dependencies().get(pk=edge.pk)).data, status.HTTP_201_CREATED
        )


class DependencyDetailView(StaffView):
    @extend_schema(
        tags=["dependencies"], summary="One dependency",
        responses={200: s.DependencyOut, **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, public_id: str) -> Response:
        return Response(s.DependencyOut(_one(_dependencies(), public_id, "dependency")).data)

    @extend_schema(
        tags=["dependencies"], summary="Change a dependency's kind or auto-apply",
        request=s.DependencyEditIn, responses={200: s.DependencyOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def patch(self, request: Request, public_id: str) -> Response:
        edge = _one(_dependencies(), public_id, "dependency")
        current = {"kind": edge.kind, "auto_apply": edge.auto_apply}
        changes = _validated(s.DependencyEditIn, request, partial=True)
        graph.dependency_edit(actor=self.actor(), dependency=edge, **(current | changes))
        return Response(s.DependencyOut(_dependencies().get(pk=edge.pk)).data)

    @extend_schema(
        tags=["dependencies"], summary="Remove a dependency",
        responses={204: None, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def delete(self, request: Request, public_id: str) -> Response:
        edge = _one(_dependencies(), public_id, "dependency")
        graph.dependency_remove(actor=self.actor(), dependency=edge)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupsView(StaffView):
    pagination_class = None

    @extend_schema(
        tags=["components"], summary="List component groups",
        responses={200: s.GroupOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(s.GroupOut(_groups(), many=True).data)

    @extend_schema(
        tags=["components"], summary="Create a component group",
        request=s.GroupIn, responses={201: s.GroupOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        data = _validated(s.GroupIn, request)
        group = lifecycle.group_create(actor=self.actor(), **data)
        return Response(s.GroupOut(_groups().get(pk=group.pk)).data, status.HTTP_201_CREATED)


# -- maintenance ------------------------------------------------------------------------


class MaintenancesView(StaffView):
    @extend_schema(
        tags=["maintenance"], summary="List maintenance windows, latest scheduled first",
        responses={200: s.MaintenanceOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return self.paginated(_maintenances(), s.MaintenanceOut)

    @extend_schema(
        tags=["maintenance"], summary="Schedule a maintenance window",
        request=s.MaintenanceScheduleIn,
        responses={201: s.MaintenanceOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        data = _validated(s.MaintenanceScheduleIn, request)
        maintenance = lifecycle.maintenance_schedule(actor=self.actor(), **data)
        out = s.MaintenanceOut(_maintenances().get(pk=maintenance.pk))
        return Response(out.data, status.HTTP_201_CREATED)


class MaintenanceDetailView(StaffView):
    @extend_schema(
        tags=["maintenance"], summary="One maintenance window with its updates",
        responses={200: s.MaintenanceOut, **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, public_id: str) -> Response:
        return Response(s.MaintenanceOut(_one(_maintenances(), public_id, "maintenance")).data)


class MaintenanceUpdatesView(StaffView):
    @extend_schema(
        tags=["maintenance"], summary="Post a maintenance update",
        description="Moves the window forward: in_progress, verifying, completed "
        "(completing a window that has not started cancels it).",
        request=s.MaintenanceUpdateIn,
        responses={201: s.MaintenanceOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        maintenance = _one(Maintenance.objects.all(), public_id, "maintenance")
        data = _validated(s.MaintenanceUpdateIn, request)
        lifecycle.maintenance_update_post(actor=self.actor(), maintenance=maintenance, **data)
        out = s.MaintenanceOut(_maintenances().get(pk=maintenance.pk))
        return Response(out.data, status.HTTP_201_CREATED)


# -- send forecast and SMS cost cap -----------------------------------------------------

FORECAST_DESCRIPTION = (
    "The same body as posting; nothing is written. Per channel: messages, SMS segments x "
    "recipients, the estimated SMS cost by country, and the fan-out's time at the "
    "configured rates. `above_cap`: posting with `notify: all` needs `confirm_sms_cost`."
)
FORECAST_ERRORS = (400, 401, 403, 413, 415)


def _forecast(forecast: Forecast) -> Response:
    return Response(s.ForecastOut(forecast_report(forecast)).data)


class IncidentForecastView(StaffView):
    @extend_schema(
        tags=["notifications"], summary="Forecast opening an incident",
        description=FORECAST_DESCRIPTION, request=s.IncidentOpenIn,
        responses={200: s.ForecastOut, **_errors(*FORECAST_ERRORS)},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        data = _validated(s.IncidentOpenIn, request)
        return _forecast(
            drafts.incident_open_forecast(
                name=data["name"],
                body=data["body"],
                status=data["status"],
                components=data["components"],
                scope=data["notify"],
                body_limit=lifecycle.MAX_BODY_LENGTH,
            )
        )


class IncidentUpdateForecastView(StaffView):
    @extend_schema(
        tags=["notifications"], summary="Forecast posting an update",
        description=FORECAST_DESCRIPTION, request=s.IncidentUpdateIn,
        responses={200: s.ForecastOut, **_errors(*FORECAST_ERRORS, 404)},
    )  # fmt: skip
    def post(self, request: Request, public_id: str) -> Response:
        incident = _one(Incident.objects.all(), public_id, "incident")
        data = _validated(s.IncidentUpdateIn, request)
        return _forecast(
            drafts.incident_update_forecast(
                incident=incident,
                body=data["body"],
                status=data["status"],
                components=data["components"],
                scope=data["notify"],
                body_limit=lifecycle.MAX_BODY_LENGTH,
            )
        )


class IncidentResolveForecastView(StaffView):
    @extend_schema(
        tags=["notifications"], summary="Forecast resolving an incident",
        description=FORECAST_DESCRIPTION, request=s.IncidentResolveIn,
        responses={200: s.ForecastOut, **_errors(*FORECAST_ERRORS, 404)},
    )  # fmt: skip
    def post(self, request: Request, public_id: str) -> Response:
        incident = _one(Incident.objects.all(), public_id, "incident")
        data = _validated(s.IncidentResolveIn, request)
        return _forecast(
            drafts.incident_update_forecast(
                incident=incident,
                body=data["body"],
                status="resolved",
                scope=data["notify"],
                body_limit=lifecycle.MAX_BODY_LENGTH,
            )
        )


class MaintenanceForecastView(StaffView):
    @extend_schema(
        tags=["notifications"], summary="Forecast scheduling a maintenance window",
        description=FORECAST_DESCRIPTION, request=s.MaintenanceScheduleIn,
        responses={200: s.ForecastOut, **_errors(*FORECAST_ERRORS)},
    )  # fmt: skip
    def post(self, request: Request) -> Response:
        data = _validated(s.MaintenanceScheduleIn, request)
        return _forecast(
            drafts.maintenance_schedule_forecast(
                name=data["name"],
                body=data["body"],
                components=data["components"],
                scope=data["notify"],
                body_limit=lifecycle.MAX_BODY_LENGTH,
            )
        )


class MaintenanceUpdateForecastView(StaffView):
    @extend_schema(
        tags=["notifications"], summary="Forecast posting a maintenance update",
        description=FORECAST_DESCRIPTION, request=s.MaintenanceUpdateIn,
        responses={200: s.ForecastOut, **_errors(*FORECAST_ERRORS, 404)},
    )  # fmt: skip
    def post(self, request: Request, public_id: str) -> Response:
        maintenance = _one(Maintenance.objects.all(), public_id, "maintenance")
        data = _validated(s.MaintenanceUpdateIn, request)
        return _forecast(
            drafts.maintenance_update_forecast(
                maintenance=maintenance,
                body=data["body"],
                status=data["status"],
                scope=data["notify"],
                body_limit=lifecycle.MAX_BODY_LENGTH,
            )
        )


class SmsCostCapView(StaffView):
    pagination_class = None

    def _answer(self) -> Response:
        cap = sms_cost_cap()
        return Response(
            s.SmsCostCapOut(
                {
                    "amount": None if cap is None else f"{cap:.2f}",
                    "currency": settings.CANDOR_SMS_CURRENCY,
                }
            ).data
        )

    @extend_schema(
        tags=["notifications"], summary="The SMS cost cap",
        responses={200: s.SmsCostCapOut, **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return self._answer()

    @extend_schema(
        tags=["notifications"], summary="Set the SMS cost cap (Admins)",
        description="Above it, posting an update takes `confirm_sms_cost` or "
        "`notify: free_only`. Audited.",
        request=s.SmsCostCapIn, responses={200: s.SmsCostCapOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request) -> Response:
        data = _validated(s.SmsCostCapIn, request)
        sms_cost_cap_set(actor=self.actor(), amount=data["amount"])
        return self._answer()


# -- audit ------------------------------------------------------------------------------


class AuditView(StaffView):
    @extend_schema(
        tags=["audit"], summary="The audit log, newest first",
        parameters=[
            OpenApiParameter("target", str, description="Only events about this public id."),
        ],
        responses={200: s.AuditEventOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        events = AuditEvent.objects.order_by("-at", "-pk")
        if "\x00" in (target := request.query_params.get("target", "")):
            raise ValidationError({"target": ["No public id contains a NUL character."]})
        if target:
            events = events.filter(target_id=target)
        return self.paginated(events, s.AuditEventOut)


# -- approved wording -----------------------------------------------------------------------


class TemplatesView(StaffView):
    pagination_class = None

    @extend_schema(
        tags=["wording"], summary="Approved templates, to fill in and publish",
        parameters=[OpenApiParameter("phase", enum=Phase.values, required=True)],
        responses={200: s.TemplateOut(many=True), **_errors(400, *READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        phase = request.query_params.get("phase", "")
        if phase not in Phase.values:
            raise ValidationError({"phase": [f"One of: {', '.join(Phase.values)}."]})
        versions = approvals.usable_versions(phase) + approvals.usable_versions(phase, Channel.SMS)
        return Response(s.TemplateOut(versions, many=True).data)


def _custom_texts() -> QuerySet[CustomTextRequest]:
    return CustomTextRequest.objects.select_related("author", "incident").prefetch_related(
        "approvals__approver", "rejections__rejecter"
    )


class CustomTextsView(StaffView):
    @extend_schema(
        tags=["wording"], summary="Custom texts, newest first",
        responses={200: s.CustomTextOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return self.paginated(_custom_texts(), s.CustomTextOut)

    @extend_schema(
        tags=["wording"], summary="Send custom text for approval",
        description="Approvers are emailed. Once approved, post exactly this text as an "
        "update in its phase (on its incident) and it is published.",
        request=s.CustomTextIn, responses={201: s.CustomTextOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        data = _validated(s.CustomTextIn, request)
        incident = None
        if data.get("incident"):
            incident = _one(Incident.objects.all(), data["incident"], "incident")
        created = approvals.custom_text_request(
            actor=self.actor(), body=data["body"], phase=data["phase"], incident=incident
        )
        return Response(
            s.CustomTextOut(_custom_texts().get(pk=created.pk)).data, status.HTTP_201_CREATED
        )


class CustomTextApproveView(StaffView):
    @extend_schema(
        tags=["wording"], summary="Approve custom text",
        description="As the caller's approver kind; refused for their own text, and with 409 "
        "for rejected text.",
        request=None, responses={200: s.CustomTextOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        custom = _one(CustomTextRequest.objects.all(), public_id, "custom text")
        decisions.approval_give(actor=self.actor(), custom_text=custom)
        return Response(s.CustomTextOut(_custom_texts().get(pk=custom.pk)).data)


class CustomTextRejectView(StaffView):
    @extend_schema(
        tags=["wording"], summary="Reject custom text",
        description="As the caller's approver kind, saying why: the author is emailed the "
        "reason. Rejected text is never approved; refused for the caller's own text, and "
        "with 409 for text already approved or rejected.",
        request=s.RejectionIn, responses={200: s.CustomTextOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        custom = _one(CustomTextRequest.objects.all(), public_id, "custom text")
        data = _validated(s.RejectionIn, request)
        decisions.rejection_give(actor=self.actor(), custom_text=custom, reason=data["reason"])
        return Response(s.CustomTextOut(_custom_texts().get(pk=custom.pk)).data)


# -- proposals: what monitors and dependencies suggest, for a responder to decide -------------


def _proposals() -> QuerySet[Proposal]:
    return Proposal.objects.select_related("source", "incident").prefetch_related(
        Prefetch("causes", queryset=ImpactCause.objects.select_related("component"))
    )


def _proposals_out(proposals: list[Proposal]) -> list[dict[str, Any]]:
    wanted = {public_id for p in proposals for public_id in p.components}
    names = dict(Component.objects.filter(public_id__in=wanted).values_list("public_id", "name"))
    return list(s.ProposalOut(proposals, many=True, context={"names": names}).data)


PROPOSAL_STATES = [*ProposalState.values, "all"]


class ProposalsView(StaffView):
    @extend_schema(
        tags=["proposals"], summary="List proposals, newest first",
        description="Pending ones by default (what the console's proposals page asks a "
        "responder to decide); `state` picks another state, or `all`.",
        parameters=[
            OpenApiParameter("state", str, enum=PROPOSAL_STATES, default=ProposalState.PENDING),
            OpenApiParameter("kind", str, enum=ProposalKind.values),
        ],
        responses={200: s.ProposalOut(many=True), **_errors(*READ_ERRORS, 400)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        state = request.query_params.get("state", ProposalState.PENDING)
        kind = request.query_params.get("kind")
        if state not in PROPOSAL_STATES:
            raise ValidationError({"state": [f"One of: {', '.join(PROPOSAL_STATES)}."]})
        if kind is not None and kind not in ProposalKind.values:
            raise ValidationError({"kind": [f"One of: {', '.join(ProposalKind.values)}."]})
        proposals = _proposals()
        if state != "all":
            proposals = proposals.filter(state=state)
        if kind is not None:
            proposals = proposals.filter(kind=kind)
        page = self.paginate_queryset(proposals.order_by("-created_at", "-pk"))
        return self.get_paginated_response(_proposals_out(list(page or [])))


class ProposalDetailView(StaffView):
    @extend_schema(
        tags=["proposals"], summary="One proposal",
        responses={200: s.ProposalOut, **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, public_id: str) -> Response:
        return Response(_proposals_out([_one(_proposals(), public_id, "proposal")])[0])


class ProposalPublishView(StaffView):
    @extend_schema(
        tags=["proposals"], summary="Publish a proposal",
        description="As the console's Publish button: opens its incident with the proposed "
        "components and statuses (impact: or grows the one open for the same cause), or "
        "resolves its incident; the words are the approved template as of now. 409 if it "
        "was already decided or withdrawn; 422 if the wording policy refuses the words.",
        request=None, responses={200: s.ProposalOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        proposal = _one(Proposal.objects.all(), public_id, "proposal")
        automation.proposal_accept(actor=self.actor(), proposal=proposal)
        return Response(_proposals_out([_proposals().get(pk=proposal.pk)])[0])


class ProposalDismissView(StaffView):
    @extend_schema(
        tags=["proposals"], summary="Dismiss a proposal",
        description="Nothing is published; 409 if it was already decided or withdrawn.",
        request=None, responses={200: s.ProposalOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        proposal = _one(Proposal.objects.all(), public_id, "proposal")
        automation.proposal_dismiss(actor=self.actor(), proposal=proposal)
        return Response(_proposals_out([_proposals().get(pk=proposal.pk)])[0])
