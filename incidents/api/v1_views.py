"""/api/v1/: a subset of Statuspage's management API (v1), on Candor's lifecycle.

Tools written for Statuspage's management API (scripts, client libraries, chat bots) work
with Candor by changing their base URL: the same paths (with or without `.json`), the
`Authorization: OAuth <key>` header (the key is a staff API token), bodies wrapped as
`{"incident": {...}}`, and Statuspage's field names, shapes and status codes.

Every write goes through the same lifecycle services as the console and the staff API,
as the token's staff member with channel "api", under the same permission table
(incidents/permissions.py) and wording policy: words the policy refuses, and anything
else a service refuses, answer 422 with the reason under `error` (docs/api.md, "v1").
Input of the wrong shape or type answers 400. Every write honours Idempotency-Key.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Max, Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import lifecycle, roles
from incidents.api import errors
from incidents.api.idempotency import idempotent
from incidents.api.staff_views import StaffView
from incidents.api.v1_shapes import component_json, incident_json, page_json, subscriber_json
from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Incident,
    IncidentComponent,
    IncidentImpact,
    IncidentStatus,
    IncidentUpdate,
    NotifyScope,
    Subscriber,
    SubscriberState,
)
from incidents.notify import subscriptions
from incidents.notify.channels import destination_normalise
from incidents.wording import WordingRefused

REFUSED = "Candor's lifecycle or wording policy refused this."
MAX_ID_LENGTH = 40  # far above any public id: longer is refused before a query
MAX_PER_PAGE = 100


class OAuthAuthentication(TokenAuthentication):
    """Statuspage's header, `Authorization: OAuth <key>`, with a staff API token as key."""

    keyword = "OAuth"


def _reason(data: Any) -> str:
    if isinstance(data, dict) and isinstance(data.get("errors"), dict):
        return "; ".join(
            f"{field}: {reason}" if field != "non_field_errors" else reason
            for field, reasons in data["errors"].items()
            for reason in reasons
        )
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    return str(data)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The staff API's answers, with Statuspage's `error` beside them; a service's refusal
    (lifecycle's checks, the wording policy) is Statuspage's 422, not a 400."""
    refused = isinstance(exc, DjangoValidationError) and not isinstance(exc, WordingRefused)
    response = errors.exception_handler(exc, context)
    if response is None:
        return None
    if refused:
        response.status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
        response.data["detail"] = REFUSED
    if isinstance(response.data, dict):
        response.data["error"] = _reason(response.data)
    return response


@extend_schema(exclude=True)  # Statuspage's API, documented by Statuspage and docs/api.md
class V1View(StaffView):
    authentication_classes = [OAuthAuthentication, TokenAuthentication]
    pagination_class = None

    def get_exception_handler(self) -> Any:
        return exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # After authentication and permissions, so a stranger learns nothing about ids.
        if kwargs.get("page_id") != settings.CANDOR_PAGE_ID:
            raise NotFound("No page with this id.")

    def unwrapped(self, container: str, serializer: type[serializers.Serializer]) -> Any:
        """The fields inside Statuspage's wrapper, `{container: {...}}`, validated."""
        data = self.request.data
        if not isinstance(data, dict) or not isinstance(data.get(container), dict):
            raise ValidationError(
                {container: [f'Send the fields wrapped: {{"{container}": {{...}}}}.']}
            )
        parsed = serializer(data=data[container])
        parsed.is_valid(raise_exception=True)
        return parsed.validated_data

    def listed(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Statuspage's paging: ?page= from 1 and ?per_page= up to 100."""
        parsed = PagingIn(data=self.request.query_params)
        parsed.is_valid(raise_exception=True)
        page, per_page = parsed.validated_data["page"], parsed.validated_data["per_page"]
        return queryset[(page - 1) * per_page : page * per_page]


class PagingIn(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    per_page = serializers.IntegerField(min_value=1, max_value=MAX_PER_PAGE, default=MAX_PER_PAGE)
    # Statuspage's incidents list calls it `limit`.
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PER_PAGE, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "limit" in attrs:
            attrs["per_page"] = attrs.pop("limit")
        return attrs


def _id_like(value: str) -> bool:
    """Whether `value` could be an id: anything else (NUL, a surrogate, 1 MB) is unknown
    without asking the database, which may refuse to even compare it."""
    return len(value) <= MAX_ID_LENGTH and value.isascii() and value.isprintable()


def _one(queryset: QuerySet[Any], public_id: str, noun: str) -> Any:
    found = queryset.filter(public_id=public_id).first() if _id_like(public_id) else None
    if found is None:
        raise NotFound(f"No {noun} with this id.")
    return found


# -- pages ----------------------------------------------------------------------------------


def _page_updated_at() -> Any:
    return Incident.objects.aggregate(at=Max("updated_at"))["at"]


class PagesView(V1View):
    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        StaffView.initial(self, request, *args, **kwargs)  # no page id in this path

    def get(self, request: Request) -> Response:
        return Response([page_json(_page_updated_at())])


class PageView(V1View):
    def get(self, request: Request, page_id: str) -> Response:
        return Response(page_json(_page_updated_at()))


# -- components -----------------------------------------------------------------------------


class ComponentIn(serializers.Serializer):
    # Lengths and hostile characters are lifecycle's to refuse (422, with the reason).
    name = serializers.CharField(trim_whitespace=False, max_length=10_000)
    description = serializers.CharField(
        trim_whitespace=False, allow_blank=True, allow_null=True, required=False, max_length=100_000
    )
    status = serializers.ChoiceField(ComponentStatus.values, required=False)
    group_id = serializers.CharField(allow_null=True, required=False, max_length=MAX_ID_LENGTH)
    showcase = serializers.BooleanField(required=False)
    only_show_if_degraded = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)

    def validate_group_id(self, value: str | None) -> ComponentGroup | None:
        if value is None:
            return None
        group = ComponentGroup.objects.filter(public_id=value).first() if _id_like(value) else None
        if group is None:
            raise ValidationError("No component group with this id.")
        return group


def _components() -> QuerySet[Component]:
    return Component.objects.select_related("group").order_by("position", "name")


def _component_write(
    view: V1View, fields: dict[str, Any], component: Component | None
) -> Component:
    """Details through component_save (managing components), the status through
    component_status_set (posting updates): one transaction, each with its own right."""
    actor = view.actor()
    new_status = fields.pop("status", None)
    if "group_id" in fields:
        fields["group"] = fields.pop("group_id")
    if "description" in fields:
        fields["description"] = fields["description"] or ""
    with transaction.atomic():
        if component is None or fields:
            roles.require_permission(actor, roles.MANAGE_COMPONENTS)
            current: dict[str, Any] = {}
            if component is not None:
                current = {
                    "name": component.name, "description": component.description,
                    "group": component.group, "position": component.position,
                    "showcase": component.showcase,
                    "only_show_if_degraded": component.only_show_if_degraded,
                }  # fmt: skip
            component = lifecycle.component_save(
                actor=actor, component=component, **(current | fields)
            )
        if new_status is not None and new_status != component.manual_status:
            roles.require_permission(actor, roles.POST_UPDATES)
            lifecycle.component_status_set(actor=actor, component=component, status=new_status)
    return _components().get(pk=component.pk)


class ComponentsView(V1View):
    def get(self, request: Request, page_id: str) -> Response:
        return Response([component_json(c) for c in self.listed(_components())])

    @idempotent
    def post(self, request: Request, page_id: str) -> Response:
        fields = dict(self.unwrapped("component", ComponentIn))
        component = _component_write(self, fields, None)
        return Response(component_json(component), status.HTTP_201_CREATED)


class ComponentView(V1View):
    def get(self, request: Request, page_id: str, component_id: str) -> Response:
        return Response(component_json(_one(_components(), component_id, "component")))

    @idempotent
    def patch(self, request: Request, page_id: str, component_id: str) -> Response:
        component = _one(_components(), component_id, "component")
        parsed = self.request.data
        if not isinstance(parsed, dict) or not isinstance(parsed.get("component"), dict):
            raise ValidationError({"component": ['Send the fields wrapped: {"component": {...}}.']})
        partial = ComponentIn(data=parsed["component"], partial=True)
        partial.is_valid(raise_exception=True)
        updated = _component_write(self, dict(partial.validated_data), component)
        return Response(component_json(updated))

    put = patch  # Statuspage treats PUT on a component as PATCH

    @idempotent
    def delete(self, request: Request, page_id: str, component_id: str) -> Response:
        _one(_components(), component_id, "component")
        raise DjangoValidationError(
            "Candor keeps every component that has been on the page, for its history and "
            "uptime: hide it instead (showcase false, or only_show_if_degraded true)."
        )


# -- incidents ------------------------------------------------------------------------------

OPEN_STATUSES = [s for s in IncidentStatus.values if s != IncidentStatus.RESOLVED]
MAINTENANCE_STATUSES = ["scheduled", "in_progress", "verifying", "completed"]


class IncidentIn(serializers.Serializer):
    name = serializers.CharField(trim_whitespace=False, max_length=10_000)
    status = serializers.ChoiceField(
        [*IncidentStatus.values, *MAINTENANCE_STATUSES], required=False
    )
    impact_override = serializers.ChoiceField(
        IncidentImpact.values, allow_null=True, required=False
    )
    body = serializers.CharField(
        trim_whitespace=False, allow_blank=True, required=False, max_length=100_000
    )
    components = serializers.DictField(
        child=serializers.ChoiceField(ComponentStatus.values), required=False
    )
    component_ids = serializers.ListField(
        child=serializers.CharField(max_length=MAX_ID_LENGTH), required=False, max_length=1000
    )
    deliver_notifications = serializers.BooleanField(required=False, default=True)

    def validate_status(self, value: str) -> str:
        if value in MAINTENANCE_STATUSES:
            raise ValidationError(
                "Scheduled maintenance is its own resource in Candor: /api/staff/maintenances/."
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        wanted = {
            **dict.fromkeys(attrs.get("component_ids", []), None),
            **attrs.get("components", {}),
        }
        found = {
            c.public_id: c
            for c in Component.objects.filter(public_id__in=[k for k in wanted if _id_like(k)])
        }
        if unknown := sorted(set(wanted) - set(found)):
            raise ValidationError(
                {
                    "components": [
                        f"No component with id {i[:MAX_ID_LENGTH]!r}." for i in unknown[:20]
                    ]
                }
            )
        # Listed without a status, a component is affected with its status unchanged.
        attrs["impacts"] = {found[i]: status or found[i].status for i, status in wanted.items()}
        return attrs


def _incidents() -> QuerySet[Incident]:
    return Incident.objects.prefetch_related(
        Prefetch(
            "affected",
            queryset=IncidentComponent.objects.select_related("component__group").order_by(
                "component__position", "component__name"
            ),
        ),
        Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-display_at", "-pk")),
    ).order_by("-started_at", "-pk")


def _notify(fields: dict[str, Any]) -> str:
    return NotifyScope.ALL if fields.get("deliver_notifications", True) else NotifyScope.NONE


class IncidentsView(V1View):
    def get(self, request: Request, page_id: str) -> Response:
        return Response([incident_json(i) for i in self.listed(_incidents())])

    @idempotent
    def post(self, request: Request, page_id: str) -> Response:
        fields = self.unwrapped("incident", IncidentIn)
        if fields.get("status") == IncidentStatus.RESOLVED:
            raise DjangoValidationError(
                {"status": ["An incident opens unresolved: create it, then resolve it."]}
            )
        incident = lifecycle.incident_open(
            actor=self.actor(),
            name=fields["name"],
            body=fields.get("body", ""),
            status=fields.get("status", IncidentStatus.INVESTIGATING),
            impact=fields.get("impact_override") or IncidentImpact.MINOR,
            components=fields["impacts"],
            notify=_notify(fields),
        )
        return Response(incident_json(_incidents().get(pk=incident.pk)), status.HTTP_201_CREATED)


class UnresolvedIncidentsView(V1View):
    def get(self, request: Request, page_id: str) -> Response:
        unresolved = _incidents().exclude(status=IncidentStatus.RESOLVED)
        return Response([incident_json(i) for i in self.listed(unresolved)])


class IncidentView(V1View):
    def get(self, request: Request, page_id: str, incident_id: str) -> Response:
        return Response(incident_json(_one(_incidents(), incident_id, "incident")))

    @idempotent
    def patch(self, request: Request, page_id: str, incident_id: str) -> Response:
        """A new status, words or component statuses post an update, as on Statuspage;
        Candor's lifecycle wants words with every update (422 without)."""
        incident = _one(Incident.objects.all(), incident_id, "incident")
        data = self.request.data
        if not isinstance(data, dict) or not isinstance(data.get("incident"), dict):
            raise ValidationError({"incident": ['Send the fields wrapped: {"incident": {...}}.']})
        parsed = IncidentIn(data=data["incident"], partial=True)
        parsed.is_valid(raise_exception=True)
        fields = parsed.validated_data
        if "name" in fields and fields["name"] != incident.name:
            raise DjangoValidationError(
                {"name": ["A published incident keeps its name in Candor; say more in an update."]}
            )
        posts = {"status", "body", "components", "component_ids", "impact_override"}
        if posts & set(fields):
            lifecycle.update_post(
                actor=self.actor(),
                incident=incident,
                body=fields.get("body", ""),
                status=fields.get("status", incident.status),
                components=fields["impacts"],
                impact=fields.get("impact_override"),
                notify=_notify(fields),
            )
        return Response(incident_json(_incidents().get(pk=incident.pk)))

    put = patch  # Statuspage's PUT on an incident updates it as PATCH does

    @idempotent
    def delete(self, request: Request, page_id: str, incident_id: str) -> Response:
        _one(Incident.objects.all(), incident_id, "incident")
        raise DjangoValidationError(
            "Candor keeps every published incident: what was said stays on the record. "
            "Resolve it instead."
        )


# -- subscribers ----------------------------------------------------------------------------


class SubscriberIn(serializers.Serializer):
    email = serializers.CharField(required=False, max_length=500)
    endpoint = serializers.CharField(required=False, max_length=500)
    phone_number = serializers.CharField(required=False, max_length=64)
    phone_country = serializers.CharField(required=False, max_length=8)
    component_ids = serializers.ListField(
        child=serializers.CharField(max_length=MAX_ID_LENGTH), required=False, max_length=1000
    )
    skip_confirmation_notification = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [
            (channel, attrs[field])
            for field, channel in (
                ("email", "email"),
                ("endpoint", "webhook"),
                ("phone_number", "sms"),
            )
            if attrs.get(field)
        ]
        if len(given) != 1:
            raise ValidationError("Give exactly one of email, endpoint (webhook) or phone_number.")
        attrs["channel"], attrs["destination"] = given[0]
        if (
            attrs["channel"] == "sms"
            and attrs.get("phone_country")
            and not attrs["destination"].startswith("+")
        ):
            # Statuspage takes a national number with its country; Candor stores E.164.
            attrs["destination"] = f"{attrs['phone_country']} {attrs['destination']}"
        return attrs


def _subscribers() -> QuerySet[Subscriber]:
    return (
        Subscriber.objects.filter(incident__isnull=True)
        .exclude(state=SubscriberState.UNSUBSCRIBED)
        .prefetch_related(Prefetch("components", queryset=Component.objects.order_by("pk")))
        .order_by("-created_at", "-pk")
    )


class SubscribersView(V1View):
    def get(self, request: Request, page_id: str) -> Response:
        return Response([subscriber_json(s) for s in self.listed(_subscribers())])

    @idempotent
    def post(self, request: Request, page_id: str) -> Response:
        fields = self.unwrapped("subscriber", SubscriberIn)
        wanted = fields.get("component_ids")
        if fields["skip_confirmation_notification"]:
            # Staff vouch the subscriber opted in elsewhere, as with an import: confirmed.
            result = subscriptions.subscribers_import(
                actor=self.actor(),
                rows=[{
                    "channel": fields["channel"], "destination": fields["destination"],
                    "components": " ".join(wanted or []),
                }],
            )  # fmt: skip
            if result.errors:
                raise DjangoValidationError(result.errors)
        else:
            # The subscriber confirms, as from the public form.
            ids = None
            if wanted is not None:
                asked = [i for i in wanted if _id_like(i)]
                ids = list(
                    Component.objects.filter(public_id__in=asked).values_list("pk", flat=True)
                )
                if len(ids) != len(set(wanted)):
                    raise ValidationError({"component_ids": ["Unknown component id(s)."]})
            try:
                subscriptions.subscriber_subscribe(
                    channel=fields["channel"], destination=fields["destination"],
                    component_ids=ids, ip=self.actor().ip or "",
                )  # fmt: skip
            except subscriptions.RateLimited as exc:
                # The public form's hourly limits hold here too: a bulk load is an import
                # (skip_confirmation_notification, or /api/staff/subscribers/import/).
                raise Throttled(wait=3600, detail=str(exc)) from None
        channel, destination = fields["channel"], fields["destination"]
        found = _subscribers().filter(channel=channel).order_by("-pk")
        normalised = destination_normalise(channel, destination)[0]
        return Response(subscriber_json(found.get(destination=normalised)), status.HTTP_201_CREATED)


class SubscriberView(V1View):
    def get(self, request: Request, page_id: str, subscriber_id: str) -> Response:
        return Response(subscriber_json(_one(_subscribers(), subscriber_id, "subscriber")))

    @idempotent
    def delete(self, request: Request, page_id: str, subscriber_id: str) -> Response:
        """Statuspage's "unsubscribe": answered with the subscriber as it was."""
        subscriber = _one(_subscribers(), subscriber_id, "subscriber")
        shown = subscriber_json(subscriber)
        subscriptions.subscriber_remove(actor=self.actor(), subscriber=subscriber)
        return Response(shown)
