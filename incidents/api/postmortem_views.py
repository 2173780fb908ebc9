"""/api/staff/incidents/<id>/postmortem/: a resolved incident's postmortem, written,
approved and published through the same services as the console
(incidents/lifecycle/postmortems.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import lifecycle
from incidents.api.idempotency import idempotent
from incidents.api.staff_serializers import CONFIRM_HELP, EnumField, ForecastOut
from incidents.api.staff_views import (
    FORECAST_DESCRIPTION,
    FORECAST_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    StaffView,
    _errors,
    _one,
    _validated,
)
from incidents.models import Incident, NotifyScope, Postmortem
from incidents.notify.costs.gate import forecast_report
from incidents.postmortem_timeline import incident_timeline
from incidents.wording import postmortems as words
from incidents.wording.decisions import REASON_MAX_LENGTH


class PostmortemIn(serializers.Serializer):
    body = serializers.CharField(
        trim_whitespace=False,
        help_text="Markdown, keeping the template's sections (headings) in order.",
    )
    template = serializers.CharField(
        required=False, default="", allow_blank=True,
        help_text="The postmortem template's id; empty: the first approved one.",
    )  # fmt: skip


class PostmortemPublishIn(serializers.Serializer):
    notify = EnumField(
        "NotifyScope", NotifyScope.values, default=NotifyScope.NONE,
        help_text="Who is told of it: `none` (default: published, nobody notified), `all` "
        "(subscribers of the incident's components and its followers: email, SMS, "
        "webhooks `postmortem.published`, chat), or `free_only` (no SMS). Each subscriber is "
        "told once per postmortem, however often it is published. Audited.",
    )  # fmt: skip
    confirm_sms_cost = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal(0), required=False,
        allow_null=True, default=None, help_text=CONFIRM_HELP,
    )  # fmt: skip


class PostmortemApprovalOut(serializers.Serializer):
    approver = serializers.CharField(source="approver.username")
    qualifier = serializers.CharField(help_text="legal or support")
    at = serializers.DateTimeField()


class PostmortemRejectionOut(serializers.Serializer):
    rejecter = serializers.CharField(source="rejecter.username")
    qualifier = serializers.CharField(help_text="legal or support")
    reason = serializers.CharField()
    at = serializers.DateTimeField()


class PostmortemRejectIn(serializers.Serializer):
    reason = serializers.CharField(
        max_length=REASON_MAX_LENGTH, help_text="Why; shown to the author."
    )


class PostmortemOut(serializers.Serializer):
    id = serializers.CharField(allow_null=True, help_text="Null until the first save.")
    incident = serializers.CharField()
    revision = serializers.IntegerField(allow_null=True, help_text="The newest revision.")
    body = serializers.CharField(
        help_text="The newest revision's words; before the first save, the draft the "
        "template and the generated timeline make."
    )
    template = serializers.CharField(allow_null=True)
    author = serializers.CharField(allow_null=True)
    approvals = PostmortemApprovalOut(many=True)
    approved = serializers.BooleanField(help_text="The newest revision has its approvals.")
    rejection = PostmortemRejectionOut(
        allow_null=True, help_text="An approver's no to the newest revision: never approved."
    )
    published = serializers.BooleanField(help_text="The newest revision is the public one.")
    published_at = serializers.DateTimeField(allow_null=True)
    body_last_updated_at = serializers.DateTimeField(allow_null=True)
    timeline = serializers.CharField(help_text="Generated from the incident's own records.")


def _resolved(public_id: str) -> Incident:
    incident: Incident = _one(Incident.objects.all(), public_id, "incident")
    return incident


def postmortem_out(incident: Incident) -> dict[str, Any]:
    postmortem = Postmortem.objects.filter(incident=incident).first()
    revision = lifecycle.latest_revision(postmortem) if postmortem else None
    template: str | None
    if revision is not None:
        body, template = revision.body, revision.template_version.template.public_id
    else:
        version = words.template_for()
        body = lifecycle.draft_start(incident, version) if version else ""
        template = version.template.public_id if version else None
    return {
        "id": postmortem.public_id if postmortem else None,
        "incident": incident.public_id,
        "revision": revision.number if revision else None,
        "body": body,
        "template": template,
        "author": revision.author.get_username() if revision else None,
        "approvals": list(revision.approvals.all()) if revision else [],
        "approved": bool(revision and lifecycle.revision_approved(revision)),
        "rejection": lifecycle.revision_rejection(revision) if revision else None,
        "published": bool(
            postmortem and revision and postmortem.published_revision_id == revision.pk
        ),
        "published_at": postmortem.published_at if postmortem else None,
        "body_last_updated_at": postmortem.body_last_updated_at if postmortem else None,
        "timeline": incident_timeline(incident),
    }


def _postmortem_of(incident: Incident) -> Postmortem:
    postmortem = Postmortem.objects.filter(incident=incident).first()
    if postmortem is None:
        raise NotFound("This incident has no postmortem yet.")
    return postmortem


class PostmortemView(StaffView):
    @extend_schema(
        tags=["postmortems"], summary="An incident's postmortem",
        description="The newest revision and its approvals; before the first save, the "
        "draft an approved postmortem template and the generated timeline make.",
        responses={200: PostmortemOut, **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, public_id: str) -> Response:
        return Response(PostmortemOut(postmortem_out(_resolved(public_id))).data)

    @extend_schema(
        tags=["postmortems"], summary="Save a postmortem's words",
        description="A new revision, checked against the template's sections and the "
        "wording policy; it needs both approvals (legal and support) before it is "
        "published, whatever earlier revisions had.",
        request=PostmortemIn, responses={200: PostmortemOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request, public_id: str) -> Response:
        incident = _resolved(public_id)
        parsed = PostmortemIn(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = parsed.validated_data
        version = words.template_for(data["template"])
        if version is None:
            raise ValidationError({"template": ["No approved postmortem template with this id."]})
        lifecycle.postmortem_save(
            actor=self.actor(), incident=incident, body=data["body"],
            template_version=version,
        )  # fmt: skip
        return Response(PostmortemOut(postmortem_out(incident)).data)


class PostmortemApproveView(StaffView):
    @extend_schema(
        tags=["postmortems"], summary="Approve a postmortem",
        description="The newest revision, as the caller's approver kind; refused for their "
        "own words and twice.",
        request=None, responses={200: PostmortemOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        incident = _resolved(public_id)
        revision = lifecycle.latest_revision(_postmortem_of(incident))
        if revision is None:
            raise NotFound("This incident has no postmortem yet.")
        lifecycle.postmortem_approve(actor=self.actor(), revision=revision)
        return Response(PostmortemOut(postmortem_out(incident)).data)


class PostmortemRejectView(StaffView):
    @extend_schema(
        tags=["postmortems"], summary="Reject a postmortem",
        description="The newest revision, as the caller's approver kind, saying why. "
        "Rejected words are never approved: the author saves a new revision. Refused for "
        "the caller's own words and for words already approved or rejected.",
        request=PostmortemRejectIn,
        responses={200: PostmortemOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        incident = _resolved(public_id)
        revision = lifecycle.latest_revision(_postmortem_of(incident))
        if revision is None:
            raise NotFound("This incident has no postmortem yet.")
        parsed = PostmortemRejectIn(data=request.data)
        parsed.is_valid(raise_exception=True)
        lifecycle.postmortem_reject(
            actor=self.actor(), revision=revision, reason=parsed.validated_data["reason"]
        )
        return Response(PostmortemOut(postmortem_out(incident)).data)


class PostmortemPublishView(StaffView):
    @extend_schema(
        tags=["postmortems"], summary="Publish a postmortem",
        description="The newest revision, once approved: on the incident page, in the "
        "feeds, the v2 JSON (status `postmortem`) and the static copy.",
        request=PostmortemPublishIn,
        responses={200: PostmortemOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str) -> Response:
        incident = _resolved(public_id)
        data = _validated(PostmortemPublishIn, request)
        lifecycle.postmortem_publish(
            actor=self.actor(), postmortem=_postmortem_of(incident), notify=data["notify"],
            confirmed_cost=data["confirm_sms_cost"],
        )  # fmt: skip
        return Response(PostmortemOut(postmortem_out(incident)).data)


class PostmortemPublishForecastView(StaffView):
    @extend_schema(
        tags=["notifications"], summary="Forecast telling subscribers of a postmortem",
        description=FORECAST_DESCRIPTION, request=PostmortemPublishIn,
        responses={200: ForecastOut, **_errors(*FORECAST_ERRORS, 404)},
    )  # fmt: skip
    def post(self, request: Request, public_id: str) -> Response:
        postmortem = _postmortem_of(_resolved(public_id))
        data = _validated(PostmortemPublishIn, request)
        forecast = lifecycle.postmortem_forecast(postmortem=postmortem, scope=data["notify"])
        return Response(ForecastOut(forecast_report(forecast)).data)
