"""/api/staff/templates/{id}/versions/{n}/translations/ and /api/staff/translations/{id}/:
translations of template versions, submitted and approved as in the console
(wording/translation_approvals.py)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.idempotency import idempotent
from incidents.api.staff_views import READ_ERRORS, WRITE_ERRORS, StaffView, _errors, _validated
from incidents.models import TemplateTranslation, TemplateVersion
from incidents.wording import translation_approvals as translating
from incidents.wording.translations import translation_approved


class TranslationIn(serializers.Serializer):
    language = serializers.CharField(
        max_length=16, help_text="A BCP 47 code of CANDOR_WORDS_LANGUAGES, not the original's."
    )
    body = serializers.CharField(
        max_length=translating.MAX_BODY_LENGTH,
        trim_whitespace=False,
        help_text="The same {placeholders} as the original, each as often.",
    )


class TranslationApprovalOut(serializers.Serializer):
    approver = serializers.CharField(source="approver.username")
    qualifier = serializers.CharField(help_text="legal or support")
    at = serializers.DateTimeField()


class TranslationOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    template = serializers.CharField(source="version.template.public_id")
    version = serializers.IntegerField(source="version.number")
    language = serializers.CharField()
    number = serializers.IntegerField(help_text="A change is the next number, approved again.")
    body = serializers.CharField()
    author = serializers.CharField(source="author.username")
    created_at = serializers.DateTimeField()
    approvals = TranslationApprovalOut(many=True)
    approved = serializers.SerializerMethodField(
        help_text="Whether it has the approvals its version needed; then readers of its "
        "language read it while its version is the template's approved one."
    )

    def get_approved(self, translation: TemplateTranslation) -> bool:
        return translation_approved(translation)


def _translations() -> QuerySet[TemplateTranslation]:
    return TemplateTranslation.objects.select_related(
        "version__template", "author"
    ).prefetch_related("approvals__approver")


def _number(value: str) -> int:
    return int(value) if value.isdigit() and len(value) < 10 else 0


def _version(public_id: str, number: str) -> TemplateVersion:
    found = (
        TemplateVersion.objects.select_related("template")
        .filter(template__public_id=public_id.replace("\x00", ""), number=_number(number))
        .first()
    )
    if found is None:
        raise NotFound(f"No template version {public_id!r} v{number!r}.")
    return found


class TemplateTranslationsView(StaffView):
    pagination_class = None

    @extend_schema(
        tags=["wording"], summary="A template version's translations",
        responses={200: TranslationOut(many=True), **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, public_id: str, number: str) -> Response:
        version = _version(public_id, number)
        rows = _translations().filter(version=version).order_by("language", "-number")
        return Response(TranslationOut(rows, many=True).data)

    @extend_schema(
        tags=["wording"], summary="Submit a translation for approval",
        description="Checked like the original: its placeholders, its text, and the wording "
        "policy in its language. Approved like the original (legal and support by default).",
        request=TranslationIn, responses={201: TranslationOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, public_id: str, number: str) -> Response:
        version = _version(public_id, number)
        data: dict[str, Any] = _validated(TranslationIn, request)
        created = translating.translation_submit(actor=self.actor(), version=version, **data)
        return Response(
            TranslationOut(_translations().get(pk=created.pk)).data, status.HTTP_201_CREATED
        )


class TranslationApproveView(StaffView):
    @extend_schema(
        tags=["wording"], summary="Approve a translation",
        description="As the caller's approver kind; refused for their own translation and "
        "for one that breaks the policy as it stands now.",
        request=None, responses={200: TranslationOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request, translation_id: str) -> Response:
        translation = _translations().filter(pk=_number(translation_id)).first()
        if translation is None:
            raise NotFound(f"No translation {translation_id!r}.")
        translating.translation_approve(actor=self.actor(), translation=translation)
        return Response(TranslationOut(_translations().get(pk=translation.pk)).data)
