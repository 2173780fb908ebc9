"""/api/staff/: who may read a component, incident or window; words for one audience;
and the audience tokens machine readers use on the v2 JSON (docs/api.md, "Audiences")."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import lifecycle
from incidents.api import staff_serializers as s
from incidents.api.idempotency import idempotent
from incidents.api.staff_views import (
    READ_ERRORS,
    WRITE_ERRORS,
    StaffView,
    _components,
    _errors,
    _incidents,
    _maintenances,
    _one,
    _validated,
)
from incidents.audiences import tokens
from incidents.models import Audience, AudienceToken, Component, Incident, Maintenance, NotifyScope


class AudiencesIn(serializers.Serializer):
    audiences = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Audience.objects.all(),
        many=True,
        help_text="Audience slugs to limit it to; empty: public again.",
    )


class AudienceWordsIn(serializers.Serializer):
    audience = serializers.SlugRelatedField(slug_field="slug", queryset=Audience.objects.all())
    body = serializers.CharField(help_text="Markdown; checked as any update's words.")
    override_reason = serializers.CharField(
        required=False, default="", allow_blank=True, help_text=s.OVERRIDE_HELP
    )
    notify = serializers.ChoiceField(choices=NotifyScope.values, default=NotifyScope.ALL)


class TokenIn(serializers.Serializer):
    label = serializers.CharField(max_length=tokens.LABEL_MAX, help_text="Who or what reads.")  # type: ignore[assignment]  # a field named as the model's


class TokenOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    label = serializers.CharField()  # type: ignore[assignment]
    prefix = serializers.CharField(help_text="The token's first characters, to tell it apart.")
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedOut(TokenOut):
    token = serializers.CharField(help_text="Shown once: only its hash is kept.")


def _set(view: StaffView, request: Request, target: Model) -> None:
    data = _validated(AudiencesIn, request)
    lifecycle.audiences_set(actor=view.actor(), target=target, audiences=data["audiences"])  # type: ignore[arg-type]


class IncidentAudiencesView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="Limit an incident to audiences (empty: public)",
        request=AudiencesIn, responses={200: s.IncidentOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request, public_id: str) -> Response:
        incident = _one(Incident.objects.all(), public_id, "incident")
        _set(self, request, incident)
        return Response(s.IncidentOut(_incidents().get(pk=incident.pk)).data)


class IncidentAudienceWordsView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="Post words for one audience's readers",
        description="Through the wording policy and approvals as any update; the incident's "
        "status and promise stay as they are; only that audience's subscribers are told.",
        request=AudienceWordsIn, responses={201: s.IncidentOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        incident = _one(Incident.objects.all(), public_id, "incident")
        data = _validated(AudienceWordsIn, request)
        lifecycle.audience_words_post(actor=self.actor(), target=incident, **data)
        return Response(
            s.IncidentOut(_incidents().get(pk=incident.pk)).data, status.HTTP_201_CREATED
        )


class MaintenanceAudiencesView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="Limit a maintenance window to audiences (empty: public)",
        request=AudiencesIn, responses={200: s.MaintenanceOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request, public_id: str) -> Response:
        maintenance = _one(Maintenance.objects.all(), public_id, "maintenance")
        _set(self, request, maintenance)
        return Response(s.MaintenanceOut(_maintenances().get(pk=maintenance.pk)).data)


class MaintenanceAudienceWordsView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="Post words for one audience's readers of a window",
        request=AudienceWordsIn,
        responses={201: s.MaintenanceOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        maintenance = _one(Maintenance.objects.all(), public_id, "maintenance")
        data = _validated(AudienceWordsIn, request)
        lifecycle.audience_words_post(actor=self.actor(), target=maintenance, **data)
        return Response(
            s.MaintenanceOut(_maintenances().get(pk=maintenance.pk)).data,
            status.HTTP_201_CREATED,
        )


class ComponentAudiencesView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="Limit a component to audiences (empty: public)",
        request=AudiencesIn, responses={200: s.ComponentOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request, public_id: str) -> Response:
        component = _one(Component.objects.all(), public_id, "component")
        _set(self, request, component)
        return Response(s.ComponentOut(_components().get(pk=component.pk)).data)


def _audience(slug: str) -> Audience:
    # PostgreSQL refuses NUL in text; no slug is longer than the column.
    found = (
        Audience.objects.filter(slug=slug).first()
        if "\x00" not in slug and len(slug) <= 63
        else None
    )
    if found is None:
        raise NotFound(f"No audience {slug!r}.")
    return found


def _tokens(audience: Audience) -> QuerySet[AudienceToken]:
    return AudienceToken.objects.filter(audience=audience).order_by("-created_at", "-pk")


class AudienceTokensView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="An audience's tokens (never the secrets)",
        responses={200: TokenOut(many=True), **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, slug: str) -> Response:
        return self.paginated(_tokens(_audience(slug)), TokenOut)

    @extend_schema(
        tags=["audiences"], summary="Create a token for machine readers of the audience",
        description="The response carries the token once; send it as "
        "`Authorization: Bearer <token>` to /api/v2/.",
        request=TokenIn, responses={201: TokenCreatedOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        audience = _audience(slug)
        data = _validated(TokenIn, request)
        created = tokens.token_create(
            audience=audience, label=data["label"], actor=self.actor(), now=timezone.now()
        )
        body: dict[str, Any] = {**TokenOut(created.token).data, "token": created.secret}
        return Response(body, status.HTTP_201_CREATED)


class AudienceTokenView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="Revoke a token: it reads nothing from now on",
        responses={200: TokenOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def delete(self, request: Request, slug: str, pk: str) -> Response:
        found = _tokens(_audience(slug))
        token = found.filter(pk=int(pk)).first() if pk.isdigit() and len(pk) <= 18 else None
        if token is None:
            raise NotFound(f"No token {pk} for audience {slug!r}.")
        tokens.token_revoke(token=token, actor=self.actor(), now=timezone.now())
        token.refresh_from_db()
        return Response(TokenOut(token).data)
