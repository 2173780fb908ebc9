"""Staff API serializers: input ones parse and resolve ids, output ones only format.

Input serializers never save: the view hands their validated data to one lifecycle
service, which owns validation of meaning (wording, allowed transitions) and the write.
Resources are addressed by their public id everywhere; database keys never leave.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.cadence import Schedule
from incidents.models import (
    Audience,
    AuditAction,
    Component,
    ComponentGroup,
    ComponentStatus,
    Contact,
    CustomTextRequest,
    DependencyKind,
    Incident,
    IncidentImpact,
    IncidentStatus,
    MaintenanceStatus,
    NotifyScope,
    Phase,
    Proposal,
    ProposalKind,
    ProposalState,
)
from incidents.models.cadence import MAX_INTERVAL_MINUTES as MAX_MINUTES
from incidents.models.cadence import MIN_INTERVAL_MINUTES as MIN_MINUTES
from incidents.models.maintenance import MAX_PRIOR_MINUTES, MaintenanceImpact
from incidents.reminders.plan import override_of
from incidents.wording import approvals
from incidents.wording.decisions import REASON_MAX_LENGTH

# The largest values the columns behind the API's integers hold (PostgreSQL integer and
# smallint): a bigger number is a field error, not a database error.
POSITION_MAX = 2**31 - 1
RANK_MAX = 2**15 - 1

# Incidents may not put a component under maintenance: that is what maintenance is for.
INCIDENT_COMPONENT_STATUSES = [
    s for s in ComponentStatus.values if s != ComponentStatus.UNDER_MAINTENANCE
]


class EnumField(serializers.ChoiceField):
    """A ChoiceField published in the schema as its own named enum.

    Several choice sets share a field name ("status" of an incident, a component, a
    maintenance), which drf-spectacular's automatic enum naming can only resolve with
    hashed names; naming each set here keeps generated clients readable.
    """

    def __init__(self, enum_name: str, values: Iterable[str], **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(choices=list(values), **kwargs)


class EnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = EnumField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field: EnumField = self.target
        component = ResolvedComponent(
            name=field.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=field.enum_name,
            schema={"type": "string", "enum": list(field.choices)},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def resolve_components(public_ids: Iterable[str]) -> dict[str, Component]:
    """Components by public id in one query; names every unknown id at once."""
    wanted = list(dict.fromkeys(public_ids))
    found = {c.public_id: c for c in Component.objects.filter(public_id__in=wanted)}
    unknown = [pid for pid in wanted if pid not in found]
    if unknown:
        raise serializers.ValidationError(f"Unknown component id(s): {', '.join(unknown)}.")
    return found


def _reject_duplicates(public_ids: list[str]) -> None:
    duplicates = sorted({pid for pid in public_ids if public_ids.count(pid) > 1})
    if duplicates:
        raise serializers.ValidationError(f"Component id(s) listed twice: {', '.join(duplicates)}.")


# -- input ------------------------------------------------------------------------------


class ComponentImpactIn(serializers.Serializer):
    id = serializers.CharField(help_text="The component's public id.")
    status = EnumField("IncidentComponentStatus", INCIDENT_COMPONENT_STATUSES)


class _ComponentImpactsMixin(serializers.Serializer):
    def validate_components(self, value: list[dict[str, str]]) -> dict[Component, str]:
        ids = [item["id"] for item in value]
        _reject_duplicates(ids)
        found = resolve_components(ids)
        return {found[item["id"]]: item["status"] for item in value}


OVERRIDE_HELP = (
    "Admins only, in an emergency: publish words that are not approved, saying why. "
    "Audited, and queued for review."
)


NOTIFY_HELP = (
    "Who is told: `all` (default), `free_only` (email and chat, no SMS: the choice when "
    "the SMS forecast is above the cap), or `none` (published, nobody notified). Audited."
)
CONFIRM_HELP = (
    'The SMS cost the forecast showed (e.g. "412.50"), confirming a send above the '
    "Admin's SMS cost cap; refused if the cost has since grown past it. Audited."
)


class _NotifyMixin(serializers.Serializer):
    notify = EnumField("NotifyScope", NotifyScope.values, default=NotifyScope.ALL,
                       help_text=NOTIFY_HELP)  # fmt: skip
    confirm_sms_cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), required=False,
        allow_null=True, default=None, help_text=CONFIRM_HELP,
    )  # fmt: skip


class IncidentOpenIn(_ComponentImpactsMixin, _NotifyMixin):
    name = serializers.CharField(max_length=200)
    body = serializers.CharField(help_text="The first update, in Markdown.")
    status = EnumField(
        "OpenIncidentStatus",
        [s for s in IncidentStatus.values if s != IncidentStatus.RESOLVED],
        default=IncidentStatus.INVESTIGATING,
    )
    impact = EnumField("IncidentImpact", IncidentImpact.values, default=IncidentImpact.MINOR)
    components = ComponentImpactIn(many=True, required=False, default=list)
    override_reason = serializers.CharField(
        required=False, default="", allow_blank=True, help_text=OVERRIDE_HELP
    )
    audiences = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Audience.objects.all(),
        many=True,
        required=False,
        help_text="Audience slugs it is limited to; none or absent: public (docs/api.md).",
    )


class IncidentUpdateIn(_ComponentImpactsMixin, _NotifyMixin):
    body = serializers.CharField(help_text="Markdown.")
    status = EnumField("IncidentStatus", IncidentStatus.values)
    impact = EnumField("IncidentImpact", IncidentImpact.values, required=False)
    components = ComponentImpactIn(
        many=True, required=False, default=list,
        help_text="Components to add to the incident or whose status changes.",
    )  # fmt: skip
    override_reason = serializers.CharField(
        required=False, default="", allow_blank=True, help_text=OVERRIDE_HELP
    )


class IncidentResolveIn(_NotifyMixin):
    body = serializers.CharField(help_text="The resolving update, in Markdown.")
    override_reason = serializers.CharField(
        required=False, default="", allow_blank=True, help_text=OVERRIDE_HELP
    )


class ComponentIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    group = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=ComponentGroup.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The public id of the group, or null.",
    )
    position = serializers.IntegerField(
        min_value=0, max_value=POSITION_MAX, required=False, default=0
    )
    showcase = serializers.BooleanField(required=False, default=True)
    only_show_if_degraded = serializers.BooleanField(required=False, default=False)


class ComponentStatusIn(serializers.Serializer):
    status = EnumField("ComponentStatus", ComponentStatus.values)


class GroupIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    position = serializers.IntegerField(
        min_value=0, max_value=POSITION_MAX, required=False, default=0
    )


class MaintenanceScheduleIn(_NotifyMixin):
    name = serializers.CharField(max_length=200)
    audiences = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Audience.objects.all(),
        many=True,
        required=False,
        help_text="Audience slugs it is limited to; none or absent: public (docs/api.md).",
    )
    body = serializers.CharField(help_text="The announcement, in Markdown.")
    override_reason = serializers.CharField(
        required=False, default="", allow_blank=True, help_text=OVERRIDE_HELP
    )
    scheduled_for = serializers.DateTimeField()
    scheduled_until = serializers.DateTimeField()
    components = serializers.ListField(
        child=serializers.CharField(), required=False, default=list,
        help_text="Public ids of the components the window puts under maintenance.",
    )  # fmt: skip
    impacts = serializers.DictField(
        child=EnumField("MaintenanceImpact", MaintenanceImpact.values), required=False,
        default=dict,
        help_text="Expected impact per component public id (of `components`) while the "
        "window runs; its status then. Unlisted: under_maintenance. `operational` is "
        "\"no visible impact\".",
    )  # fmt: skip
    auto_start = serializers.BooleanField(required=False, default=True)
    auto_complete = serializers.BooleanField(required=False, default=True)
    notify_prior_minutes = serializers.IntegerField(
        required=False, default=None, allow_null=True, min_value=1, max_value=MAX_PRIOR_MINUTES,
        help_text="Remind subscribers this many minutes before the start; null: no reminder.",
    )  # fmt: skip
    notify_start = serializers.BooleanField(
        required=False, default=True, help_text="Tell subscribers when the window starts."
    )
    notify_end = serializers.BooleanField(
        required=False, default=True, help_text="Tell subscribers when the window completes."
    )

    def validate_components(self, value: list[str]) -> list[Component]:
        _reject_duplicates(value)
        found = resolve_components(value)
        return [found[pid] for pid in value]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Lifecycle says so too; saying it here reports it with the other field errors.
        if attrs["scheduled_until"] <= attrs["scheduled_for"]:
            raise serializers.ValidationError(
                {"scheduled_until": ["The window must end after it starts."]}
            )
        impacts = attrs.pop("impacts")
        listed = {c.public_id for c in attrs["components"]}
        if unknown := sorted(set(impacts) - listed):
            raise serializers.ValidationError(
                {"impacts": [f"Not among `components`: {', '.join(unknown)}."[:500]]}
            )
        attrs["components"] = {
            c: impacts.get(c.public_id, MaintenanceImpact.UNDER_MAINTENANCE)
            for c in attrs["components"]
        }
        return attrs


class MaintenanceUpdateIn(_NotifyMixin):
    body = serializers.CharField(help_text="Markdown.")
    status = EnumField("MaintenanceStatus", MaintenanceStatus.values)
    override_reason = serializers.CharField(
        required=False, default="", allow_blank=True, help_text=OVERRIDE_HELP
    )


# -- output -----------------------------------------------------------------------------


class UpdateOut(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    status = serializers.CharField()
    body = serializers.CharField(help_text="As written, in Markdown.")
    body_html = serializers.CharField(help_text="Rendered and sanitised, as the page shows it.")
    affected_components = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField())
    )
    created_at = serializers.DateTimeField()
    display_at = serializers.DateTimeField()
    audience = serializers.CharField(
        source="audience.slug",
        allow_null=True,
        help_text="The audience whose readers alone read these words; null: public words.",
    )


def _slugs(item: Any) -> list[str]:
    return sorted(a.slug for a in item.audiences.all())


class ComponentOut(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    description = serializers.CharField()
    status = EnumField(
        "ComponentStatus",
        ComponentStatus.values,
        help_text="What the public sees: the worst of all below.",
    )
    manual_status = EnumField(
        "ComponentStatus", ComponentStatus.values, help_text="The status staff set by hand."
    )
    group = serializers.CharField(
        source="group.public_id", allow_null=True, help_text="The group's public id, or null."
    )
    position = serializers.IntegerField()
    showcase = serializers.BooleanField()
    only_show_if_degraded = serializers.BooleanField()
    start_date = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    audiences = serializers.SerializerMethodField(
        help_text="Audience slugs it is limited to; empty: public."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_audiences(self, item: Any) -> list[str]:
        return _slugs(item)


class GroupOut(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    description = serializers.CharField()
    position = serializers.IntegerField()
    components = serializers.SerializerMethodField(help_text="Public ids, in page order.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_components(self, group: ComponentGroup) -> list[str]:
        return [c.public_id for c in group.components.all()]


class AffectedOut(serializers.Serializer):
    id = serializers.CharField(source="component.public_id")
    name = serializers.CharField(source="component.name")
    status = EnumField(
        "ComponentStatus",
        ComponentStatus.values,
        help_text="How this incident affects the component.",
    )


@extend_schema_field({"type": "integer", "minimum": MIN_MINUTES, "maximum": MAX_MINUTES})
class MinutesField(serializers.IntegerField):
    """Minutes of a schedule. The range is published in the schema but checked by
    cadence.Schedule, whose reasons (with the value sent) the console shows as well."""


class ScheduleIn(serializers.Serializer):
    """Minutes to the first follow-up update, to the second, then between each (1 to 1440)."""

    first_minutes = MinutesField()
    then_minutes = MinutesField()
    every_minutes = MinutesField()

    def schedule(self) -> Schedule:
        data = self.validated_data
        return Schedule(data["first_minutes"], data["then_minutes"], data["every_minutes"])


class ScheduleOut(serializers.Serializer):
    first_minutes = serializers.IntegerField()
    then_minutes = serializers.IntegerField()
    every_minutes = serializers.IntegerField()


class CadencePolicyOut(ScheduleOut):
    impact = EnumField("IncidentImpact", IncidentImpact.values)
    default = serializers.BooleanField(help_text="True: no policy set, the default applies.")


class OwnersIn(serializers.Serializer):
    owners = serializers.ListField(
        child=serializers.CharField(), help_text="Contact public ids; [] for nobody."
    )

    def validate_owners(self, value: list[str]) -> list[Contact]:
        found = {c.public_id: c for c in Contact.objects.filter(public_id__in=value)}
        unknown = [public_id for public_id in value if public_id not in found]
        if unknown:
            raise serializers.ValidationError(f"Unknown contact {', '.join(unknown)}.")
        return list(found.values())


class ContactIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    phone = serializers.CharField(
        max_length=16,
        required=False,
        allow_blank=True,
        default="",
        help_text="E.164, e.g. +14155550100.",
    )
    on_call = serializers.BooleanField(required=False, default=False)
    escalation_rank = serializers.IntegerField(
        min_value=1, max_value=RANK_MAX, required=False, allow_null=True, default=None
    )


class ContactOut(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    on_call = serializers.BooleanField()
    escalation_rank = serializers.IntegerField(allow_null=True)


class CauseOut(serializers.Serializer):
    component = serializers.CharField(source="component.public_id")
    name = serializers.CharField(source="component.name")
    status = EnumField(
        "ComponentStatus", ComponentStatus.values, help_text="Its status when it was recorded."
    )
    at = serializers.DateTimeField()


class DependencyIn(serializers.Serializer):
    upstream = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=Component.objects.all(),
        help_text="The public id of the component depended on.",
    )
    downstream = serializers.SlugRelatedField(
        slug_field="public_id",
        queryset=Component.objects.all(),
        help_text="The public id of the component that depends on it.",
    )
    kind = EnumField("DependencyKind", DependencyKind.values)
    auto_apply = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Apply the impact at once, without a responder (takes manage_policy: Admin).",
    )


class DependencyEditIn(serializers.Serializer):
    kind = EnumField("DependencyKind", DependencyKind.values)
    auto_apply = serializers.BooleanField()


class DependencyOut(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    upstream = serializers.CharField(source="upstream.public_id")
    upstream_name = serializers.CharField(source="upstream.name")
    downstream = serializers.CharField(source="downstream.public_id")
    downstream_name = serializers.CharField(source="downstream.name")
    kind = EnumField("DependencyKind", DependencyKind.values)
    auto_apply = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class IncidentOut(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    status = EnumField("IncidentStatus", IncidentStatus.values)
    impact = EnumField("IncidentImpact", IncidentImpact.values)
    started_at = serializers.DateTimeField()
    identified_at = serializers.DateTimeField(allow_null=True)
    monitoring_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    components = AffectedOut(source="affected", many=True)
    updates = UpdateOut(many=True, help_text="Newest first.")
    next_update_due = serializers.DateTimeField(
        allow_null=True, help_text="When the next public update is promised; null once resolved."
    )
    owners = serializers.SerializerMethodField(
        help_text="Contacts reminded of its updates (public ids); none: the on-call list."
    )
    cadence = serializers.SerializerMethodField(
        help_text="This incident's own schedule in minutes, or null: its impact's."
    )
    caused_by = CauseOut(
        source="causes",
        many=True,
        help_text="Upstream components whose outage it was proposed for (dependencies). "
        "Internal: never shown on the public pages.",
    )

    audiences = serializers.SerializerMethodField(
        help_text="Audience slugs it is limited to; empty: public."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_audiences(self, incident: Incident) -> list[str]:
        return _slugs(incident)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_owners(self, incident: Incident) -> list[str]:
        return [c.public_id for c in incident.owners.all()]

    @extend_schema_field(ScheduleOut(allow_null=True))
    def get_cadence(self, incident: Incident) -> dict[str, int] | None:
        override = override_of(incident)
        return override.as_minutes() if override else None


class MaintenanceComponentOut(serializers.Serializer):
    id = serializers.CharField(source="component.public_id")
    name = serializers.CharField(source="component.name")
    status = EnumField("ComponentStatus", ComponentStatus.values, source="component.status")
    impact = EnumField(
        "MaintenanceImpact",
        MaintenanceImpact.values,
        help_text="Expected while the window runs; `operational` is no visible impact.",
    )


class MaintenanceOut(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    name = serializers.CharField()
    status = EnumField("MaintenanceStatus", MaintenanceStatus.values)
    scheduled_for = serializers.DateTimeField()
    scheduled_until = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    auto_start = serializers.BooleanField()
    auto_complete = serializers.BooleanField()
    notify_prior_minutes = serializers.IntegerField(allow_null=True)
    notify_start = serializers.BooleanField()
    notify_end = serializers.BooleanField()
    prior_notice_at = serializers.DateTimeField(
        allow_null=True, help_text="When subscribers were reminded; null: not (yet)."
    )
    next_update_due = serializers.DateTimeField(
        allow_null=True,
        help_text="Once the window runs past scheduled_until: the next update promised.",
    )
    components = MaintenanceComponentOut(many=True, source="maintenancecomponent_set")
    updates = UpdateOut(many=True, help_text="Newest first.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    audiences = serializers.SerializerMethodField(
        help_text="Audience slugs it is limited to; empty: public."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_audiences(self, item: Any) -> list[str]:
        return _slugs(item)


class AuditEventOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    channel = serializers.CharField()
    action = EnumField("AuditAction", AuditAction.values)
    target_type = serializers.CharField()
    target_id = serializers.CharField()
    summary = serializers.CharField()
    # DRF's metaclass moves declared fields off the class, so this does not shadow .data.
    data = serializers.JSONField()  # type: ignore[assignment]
    ip = serializers.IPAddressField(allow_null=True)


class ViolationOut(serializers.Serializer):
    rule = serializers.CharField(help_text="The policy rule's key.")
    kind = serializers.CharField()
    reason = serializers.CharField(help_text="Why, for the writer.")
    start = serializers.IntegerField(allow_null=True, help_text="Offset into the text sent.")
    end = serializers.IntegerField(allow_null=True)
    excerpt = serializers.CharField(allow_blank=True)


class CustomTextIn(serializers.Serializer):
    body = serializers.CharField(max_length=20_000, help_text="Markdown, as it will be published.")
    phase = EnumField("Phase", Phase.values)
    incident = serializers.CharField(
        required=False, help_text="The id of the incident it is for; none: to open one."
    )


class ApprovalOut(serializers.Serializer):
    approver = serializers.CharField(source="approver.username")
    qualifier = serializers.CharField(help_text="legal or support")
    at = serializers.DateTimeField()


class RejectionIn(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, help_text="Why; the author is emailed it."
    )


class RejectionOut(serializers.Serializer):
    rejecter = serializers.CharField(source="rejecter.username")
    qualifier = serializers.CharField(help_text="legal or support")
    reason = serializers.CharField()
    at = serializers.DateTimeField()


class CustomTextOut(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    phase = EnumField("Phase", Phase.values)
    body = serializers.CharField()
    incident = serializers.CharField(source="incident.public_id", allow_null=True, default=None)
    author = serializers.CharField(source="author.username")
    created_at = serializers.DateTimeField()
    approvals = ApprovalOut(many=True)
    approved = serializers.SerializerMethodField(
        help_text="Whether it has the approvals it needs; if so, exactly this text may be "
        "published in its phase."
    )

    rejection = serializers.SerializerMethodField(
        help_text="An approver's no, if rejected: then it is never approved."
    )

    def get_approved(self, request: CustomTextRequest) -> bool:
        return approvals.custom_text_approved(request)

    @extend_schema_field(RejectionOut(allow_null=True))
    def get_rejection(self, request: CustomTextRequest) -> dict[str, Any] | None:
        rejection = next(iter(request.rejections.all()), None)
        return RejectionOut(rejection).data if rejection else None


class TemplateOut(serializers.Serializer):
    id = serializers.CharField(source="template.public_id")
    name = serializers.CharField(source="template.name")
    phase = EnumField("Phase", Phase.values, source="template.phase")
    channel = serializers.CharField(source="template.channel")
    version = serializers.IntegerField(source="number")
    body = serializers.CharField(help_text="With {placeholders}; see the README.")


class ErrorOut(serializers.Serializer):
    """The error shape (see incidents/api/errors.py)."""

    detail = serializers.CharField()
    # Moved off the class like `data` above, so .errors keeps working.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per input field, the reasons it was refused (400 and 422).",
    )
    violations = ViolationOut(
        many=True, required=False, help_text="What breaks the wording policy (422 only)."
    )


# -- send forecast and SMS cost cap -----------------------------------------------------


class CountryCostOut(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166 code; empty when the number names none.")
    recipients = serializers.IntegerField()
    price_per_segment = serializers.CharField(allow_null=True, help_text="null: not priced.")


class ChannelForecastOut(serializers.Serializer):
    channel = serializers.CharField()
    # The JSON key is `label`; DRF's stubs type Field.label as the field's own caption.
    label = serializers.CharField()  # type: ignore[assignment]
    enabled = serializers.BooleanField(help_text="false: not configured; its messages wait.")
    messages = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Subscribers left out by `free_only`.")
    seconds = serializers.FloatField(help_text="The fan-out's time at the configured rates.")
    encoding = serializers.CharField(help_text="GSM-7 or UCS-2 (SMS); empty otherwise.")
    segments_per_message = serializers.IntegerField()
    segments = serializers.IntegerField(help_text="Segments x recipients.")
    cost = serializers.CharField(help_text="Estimated, in `currency`.")
    unpriced = serializers.IntegerField(help_text="Recipients in countries with no price.")
    countries = CountryCostOut(many=True)


class ForecastOut(serializers.Serializer):
    notify = serializers.CharField()
    messages = serializers.IntegerField()
    sms_cost = serializers.CharField()
    currency = serializers.CharField()
    seconds = serializers.FloatField(help_text="The slowest channel's: they send side by side.")
    sms_cost_cap = serializers.CharField(allow_null=True)
    above_cap = serializers.BooleanField(
        help_text="Posting with `notify: all` needs `confirm_sms_cost`."
    )
    channels = ChannelForecastOut(many=True)


class SmsCostCapIn(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=11, decimal_places=2, min_value=Decimal(0), allow_null=True,
        help_text="The most an update may cost in SMS unconfirmed; null removes the cap.",
    )  # fmt: skip


class SmsCostCapOut(serializers.Serializer):
    amount = serializers.CharField(allow_null=True)
    currency = serializers.CharField()


class ProposedComponentOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    status = EnumField(
        "ComponentStatus", ComponentStatus.values, help_text="The status proposed for it."
    )


class ProposalOut(serializers.Serializer):
    """A proposal as the console's proposals page shows it; `names` in the context maps
    component public ids to names (one query for a whole page)."""

    id = serializers.CharField(source="public_id")
    kind = EnumField(
        "ProposalKind",
        ProposalKind.values,
        help_text="open: monitors saw components go down; resolve: they recovered; impact: "
        "an upstream component's outage reaches these downstream (dependencies).",
    )
    state = EnumField("ProposalState", ProposalState.values)
    name = serializers.CharField(help_text="The incident's name, as it would be published.")
    body = serializers.CharField(help_text="The first update's words (approved template).")
    impact = EnumField("IncidentImpact", IncidentImpact.values)
    components = serializers.SerializerMethodField(
        help_text="The components and statuses it would publish, by name."
    )
    caused_by = CauseOut(
        source="causes",
        many=True,
        help_text="Impact proposals: the upstream components whose outage this is. Internal.",
    )
    monitor = serializers.CharField(
        source="source.name", allow_null=True, help_text="The monitor source that suggested it."
    )
    incident = serializers.CharField(
        source="incident.public_id",
        allow_null=True,
        help_text="The incident it opened or grows (impact), or would resolve (resolve).",
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField()

    @extend_schema_field(ProposedComponentOut(many=True))
    def get_components(self, proposal: Proposal) -> list[dict[str, str]]:
        names: dict[str, str] = self.context.get("names", {})
        rows = [
            {"id": public_id, "name": names[public_id], "status": status}
            for public_id, status in proposal.components.items()
            if public_id in names  # a component removed since is not published either
        ]
        return sorted(rows, key=lambda row: row["name"])
