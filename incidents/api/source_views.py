"""/api/staff/sources/: the monitors allowed to post signals, and the routing rules that
send their signals to components. The console's monitor pages for scripts, through the same
services (ingest/sources.py) and rights: managing components, and deleting a source takes
an Admin's remove_sources (the service checks it). A source's token and signing secret are
shown once, in the answer that made them; only their hashes are kept."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.idempotency import idempotent
from incidents.api.staff_serializers import EnumField
from incidents.api.staff_views import READ_ERRORS, WRITE_ERRORS, StaffView, _errors
from incidents.ingest import sources
from incidents.models import (
    Component,
    ComponentStatus,
    MatchKind,
    RoutingRule,
    Source,
    SourceFormat,
    WindowSignals,
)

MAX_SETTING = 10_000_000  # far beyond any sane rate or window; PostgreSQL's int stays safe


def _count(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=MAX_SETTING, **kwargs)


class SourceSettingsIn(serializers.Serializer):
    can_propose = serializers.BooleanField(required=False)
    can_set_status = serializers.BooleanField(required=False)
    can_open = serializers.BooleanField(required=False)
    during_maintenance = EnumField("SignalsInMaintenance", WindowSignals.values, required=False)
    rate_per_second = _count(required=False)
    burst = _count(required=False)
    hold_seconds = _count(required=False)
    hold_count = _count(required=False)
    recover_seconds = _count(required=False)
    flap_changes = _count(required=False)
    flap_window_seconds = _count(required=False)

    def validate_rate_per_second(self, value: int) -> int:
        if value < 1:
            raise serializers.ValidationError("At least 1.")
        return value

    def validate_burst(self, value: int) -> int:
        return self.validate_rate_per_second(value)


class SourceIn(SourceSettingsIn):
    name = serializers.SlugField(max_length=50, help_text="Part of the URL: /api/ingest/<name>/")
    format = EnumField("SourceFormat", SourceFormat.values)
    signed = serializers.BooleanField(
        required=False, default=False, help_text="Also give it an HMAC signing secret."
    )


class RuleOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    position = serializers.IntegerField()
    kind = EnumField("RuleKind", MatchKind.values)
    # A field named like Field.label, as the model's; moved off the class by DRF.
    label = serializers.CharField()  # type: ignore[assignment]
    pattern = serializers.CharField()
    component = serializers.CharField(source="component.public_id", allow_null=True, default=None)
    status = serializers.CharField(help_text="Empty: from the alert's severity.")


class SourceOut(serializers.Serializer):
    name = serializers.CharField()
    format = EnumField("SourceFormat", SourceFormat.values)
    signed = serializers.SerializerMethodField()
    can_propose = serializers.BooleanField()
    can_set_status = serializers.BooleanField()
    can_open = serializers.BooleanField()
    during_maintenance = EnumField("SignalsInMaintenance", WindowSignals.values)
    rate_per_second = serializers.IntegerField()
    burst = serializers.IntegerField()
    hold_seconds = serializers.IntegerField()
    hold_count = serializers.IntegerField()
    recover_seconds = serializers.IntegerField()
    flap_changes = serializers.IntegerField()
    flap_window_seconds = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    token_rotated_at = serializers.DateTimeField()
    rules = RuleOut(many=True)

    def get_signed(self, source: Source) -> bool:
        return bool(source.signing_secret)


class SourceSecretsOut(SourceOut):
    token = serializers.CharField(help_text="Shown once: only its hash is kept.")
    signing_secret = serializers.CharField(help_text="Shown once; empty if unsigned.")


class RuleIn(serializers.Serializer):
    kind = EnumField("RuleKind", MatchKind.values)
    label = serializers.CharField(  # type: ignore[assignment]
        max_length=100, required=False, allow_blank=True, default=""
    )
    pattern = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    component = serializers.SlugRelatedField(
        slug_field="public_id", queryset=Component.objects.all(), required=False,
        allow_null=True, default=None,
    )  # fmt: skip
    status = serializers.ChoiceField(
        ["", *(s for s in ComponentStatus.values if s != ComponentStatus.UNDER_MAINTENANCE)],
        required=False, default="",
    )  # fmt: skip
    position = serializers.IntegerField(min_value=0, max_value=MAX_SETTING, default=0)


def _sources() -> QuerySet[Source]:
    return Source.objects.prefetch_related("rules__component").order_by("name")


def _source(name: str) -> Source:
    found = None if len(name) > 50 or "\x00" in name else _sources().filter(name=name).first()
    if found is None:
        raise NotFound(f"No monitor source named {name!r}.")
    return found


def _with_secrets(source: Source, token: str) -> dict[str, Any]:
    shown = dict(SourceOut(_sources().get(pk=source.pk)).data)
    return {**shown, "token": token, "signing_secret": source.signing_secret}


class SourcesView(StaffView):
    pagination_class = None  # a handful of monitors

    @extend_schema(
        tags=["monitors"], summary="List monitor sources and their routing rules",
        responses={200: SourceOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(SourceOut(_sources(), many=True).data)

    @extend_schema(
        tags=["monitors"], summary="Register a monitor source",
        description="The answer carries its token (and signing secret), shown this once.",
        request=SourceIn, responses={201: SourceSecretsOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        parsed = SourceIn(data=request.data)
        parsed.is_valid(raise_exception=True)
        source, token = sources.source_create(actor=self.actor(), **parsed.validated_data)
        return Response(_with_secrets(source, token), status.HTTP_201_CREATED)


class SourceDetailView(StaffView):
    @extend_schema(
        tags=["monitors"], summary="One monitor source",
        responses={200: SourceOut, **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, name: str) -> Response:
        return Response(SourceOut(_source(name)).data)

    @extend_schema(
        tags=["monitors"], summary="Change a source's settings",
        description="Fields left out keep their value.",
        request=SourceSettingsIn, responses={200: SourceOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def patch(self, request: Request, name: str) -> Response:
        source = _source(name)
        parsed = SourceSettingsIn(data=request.data, partial=True)
        parsed.is_valid(raise_exception=True)
        sources.source_update(actor=self.actor(), source=source, **parsed.validated_data)
        return Response(SourceOut(_sources().get(pk=source.pk)).data)

    @extend_schema(
        tags=["monitors"], summary="Delete a monitor source (Admins)",
        description="Its token stops working at once; its rules and signals go with it "
        "(docs/design.md). Takes the remove_sources permission.",
        responses={204: None, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def delete(self, request: Request, name: str) -> Response:
        sources.source_delete(actor=self.actor(), source=_source(name))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SourceRotateView(StaffView):
    @extend_schema(
        tags=["monitors"], summary="Give a source a new token",
        description="And a new signing secret, if it signs; the old ones stop working. "
        "Shown this once.",
        request=None, responses={200: SourceSecretsOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, name: str) -> Response:
        source, token = sources.source_rotate_token(actor=self.actor(), source=_source(name))
        return Response(_with_secrets(source, token))


class SourceRulesView(StaffView):
    pagination_class = None

    @extend_schema(
        tags=["monitors"], summary="A source's routing rules, tried lowest position first",
        responses={200: RuleOut(many=True), **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, name: str) -> Response:
        return Response(RuleOut(_source(name).rules.all(), many=True).data)

    @extend_schema(
        tags=["monitors"], summary="Add a routing rule",
        description="`exact` and `regex` match a label and route to `component`; `service` "
        "takes the component from the alert's `service` label.",
        request=RuleIn, responses={201: RuleOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, name: str) -> Response:
        source = _source(name)
        parsed = RuleIn(data=request.data)
        parsed.is_valid(raise_exception=True)
        rule = sources.rule_add(actor=self.actor(), source=source, **parsed.validated_data)
        return Response(RuleOut(rule).data, status.HTTP_201_CREATED)


class SourceRuleView(StaffView):
    @extend_schema(
        tags=["monitors"], summary="Remove a routing rule",
        responses={204: None, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def delete(self, request: Request, name: str, rule_id: str) -> Response:
        source = _source(name)
        # Any text may come in the path: only a number that fits the column is looked up.
        known = rule_id.isascii() and rule_id.isdigit() and int(rule_id) < 2**31
        rule = RoutingRule.objects.filter(source=source, pk=int(rule_id)).first() if known else None
        if rule is None:
            raise NotFound(f"No rule {rule_id!r} on this source.")
        sources.rule_remove(actor=self.actor(), rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)
