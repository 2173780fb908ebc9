"""/api/staff/audiences/: the Admin's audiences, for scripts: define them, invite readers
by email, list and revoke members and invitations. The same services as the console
(incidents/readers/audiences.py), which validate and audit; their refusals are 400s."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.idempotency import idempotent
from incidents.api.staff_views import READ_ERRORS, WRITE_ERRORS, StaffView, _errors, _validated
from incidents.models import Audience, AudienceMember, ReaderInvitation, ReaderVia
from incidents.readers import audiences as service

_GROUPS_HELP = "Groups (the provider's groups claim) whose members read this audience."
_NETWORKS_HELP = "CIDR networks readers must come from; empty: any address."


class AudienceIn(serializers.Serializer):
    slug = serializers.CharField(
        max_length=63, help_text="Lower-case letters, digits and hyphens; fixed once created."
    )
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    oidc_groups = serializers.ListField(
        child=serializers.CharField(max_length=255), max_length=service.MAX_GROUPS,
        required=False, default=list, help_text=_GROUPS_HELP,
    )  # fmt: skip
    ip_allowlist = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=service.MAX_NETWORKS,
        required=False, default=list, help_text=_NETWORKS_HELP,
    )  # fmt: skip


class AudienceEditIn(AudienceIn):
    slug = None  # type: ignore[assignment]  # not editable: in addresses once published


class AudienceOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    oidc_groups = serializers.ListField(child=serializers.CharField())
    ip_allowlist = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()


class MemberOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    email = serializers.CharField(source="reader.email")
    issuer = serializers.CharField(
        source="reader.issuer", help_text="Empty for a reader invited by email."
    )
    subject = serializers.CharField(source="reader.subject")
    via = serializers.ChoiceField(choices=ReaderVia.choices)
    created_at = serializers.DateTimeField()
    last_sign_in_at = serializers.DateTimeField(source="reader.last_sign_in_at", allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class InvitationIn(serializers.Serializer):
    email = serializers.CharField(max_length=254)


class InvitationOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    email = serializers.CharField()
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


def _audience(slug: str) -> Audience:
    found = None if "\x00" in slug else Audience.objects.filter(slug=slug).first()
    if found is None:
        raise NotFound(f"No audience with slug {slug!r}.")
    return found


def _row(queryset: QuerySet[Any], pk: str, noun: str) -> Any:
    found = queryset.filter(pk=int(pk)).first() if pk.isdigit() and len(pk) < 19 else None
    if found is None:
        raise NotFound(f"No {noun} with id {pk!r}.")
    return found


class AudiencesView(StaffView):
    pagination_class = None  # a handful of audiences

    @extend_schema(
        tags=["audiences"], summary="List audiences",
        responses={200: AudienceOut(many=True), **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(AudienceOut(Audience.objects.all(), many=True).data)

    @extend_schema(
        tags=["audiences"], summary="Create an audience",
        request=AudienceIn, responses={201: AudienceOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        data = _validated(AudienceIn, request)
        audience = service.audience_create(actor=self.actor(), now=timezone.now(), **data)
        return Response(AudienceOut(audience).data, status.HTTP_201_CREATED)


class AudienceView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="One audience",
        responses={200: AudienceOut, **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, slug: str) -> Response:
        return Response(AudienceOut(_audience(slug)).data)

    @extend_schema(
        tags=["audiences"], summary="Change an audience (all but its slug)",
        request=AudienceEditIn, responses={200: AudienceOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def put(self, request: Request, slug: str) -> Response:
        audience = _audience(slug)
        data = _validated(AudienceEditIn, request)
        service.audience_edit(actor=self.actor(), audience=audience, now=timezone.now(), **data)
        return Response(AudienceOut(audience).data)


class MembersView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="An audience's readers (revoked ones included)",
        responses={200: MemberOut(many=True), **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, slug: str) -> Response:
        members = (
            AudienceMember.objects.filter(audience=_audience(slug))
            .select_related("reader")
            .order_by("pk")
        )
        return self.paginated(members, MemberOut)


class MemberRevokeView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="Revoke a reader's membership",
        description="Their sessions lose the audience at their next request. A reader "
        "invited by email also loses the invitation; one who came through single sign-on "
        "is read again from their groups at their next sign-in.",
        request=None, responses={200: MemberOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, slug: str, pk: str) -> Response:
        members = AudienceMember.objects.select_related("reader", "audience")
        member = _row(members.filter(audience=_audience(slug)), pk, "member")
        service.member_revoke(actor=self.actor(), member=member, now=timezone.now())
        return Response(MemberOut(members.get(pk=member.pk)).data)


class InvitationsView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="An audience's invitations by email",
        responses={200: InvitationOut(many=True), **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, slug: str) -> Response:
        invitations = ReaderInvitation.objects.filter(audience=_audience(slug)).order_by("pk")
        return self.paginated(invitations, InvitationOut)

    @extend_schema(
        tags=["audiences"], summary="Invite an email address (again)",
        description="The address receives a single-use sign-in link, valid "
        "CANDOR_READER_INVITE_SECONDS; while the invitation stands it may ask for new ones.",
        request=InvitationIn, responses={201: InvitationOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, slug: str) -> Response:
        audience = _audience(slug)
        data = _validated(InvitationIn, request)
        invitation = service.reader_invite(
            actor=self.actor(), audience=audience, email=data["email"], now=timezone.now()
        )
        return Response(InvitationOut(invitation).data, status.HTTP_201_CREATED)


class InvitationRevokeView(StaffView):
    @extend_schema(
        tags=["audiences"], summary="Revoke an invitation",
        request=None, responses={200: InvitationOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, slug: str, pk: str) -> Response:
        invitations = ReaderInvitation.objects.select_related("audience")
        invitation = _row(invitations.filter(audience=_audience(slug)), pk, "invitation")
        service.invitation_revoke(actor=self.actor(), invitation=invitation, now=timezone.now())
        return Response(InvitationOut(invitations.get(pk=invitation.pk)).data)
