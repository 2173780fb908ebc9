"""/api/staff/publish/: where the public copies stand, whether they serve the site intact,
and publishing now: the console's publishing page (and `manage.py publish`) for scripts,
with its rights (posting updates publishes)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.idempotency import idempotent
from incidents.api.staff_views import READ_ERRORS, WRITE_ERRORS, StaffView, _errors
from incidents.models import PublishTarget
from incidents.publish import service
from incidents.publish.targets import configured_targets
from incidents.publish.versions import site_version


class TargetStateOut(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.IntegerField(allow_null=True, help_text="The last version it took.")
    published_at = serializers.DateTimeField(allow_null=True)
    attempted_at = serializers.DateTimeField(allow_null=True)
    error = serializers.CharField(help_text="The last attempt's error; empty if it worked.")
    behind_since = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField(help_text="Serves the site's version (or newer).")


class PublishStateOut(serializers.Serializer):
    site_version = serializers.IntegerField()
    targets = TargetStateOut(many=True)


class TargetResultOut(serializers.Serializer):
    name = serializers.CharField()
    outcome = serializers.CharField(
        help_text="published, current (had it already), dropped (had newer) or failed."
    )
    version = serializers.IntegerField(allow_null=True, help_text="The version it now has.")
    error = serializers.CharField(help_text="Empty unless it failed.")


class PublishResultOut(serializers.Serializer):
    version = serializers.IntegerField()
    failed = serializers.BooleanField()
    targets = TargetResultOut(many=True)


class TargetHealthOut(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.IntegerField(allow_null=True, help_text="What its manifest names.")
    files = serializers.IntegerField()
    problems = serializers.ListField(child=serializers.CharField())


class VerifyOut(serializers.Serializer):
    site_version = serializers.IntegerField()
    healthy = serializers.BooleanField()
    targets = TargetHealthOut(many=True)


class PublishIn(serializers.Serializer):
    force = serializers.BooleanField(required=False, default=False)


def _state() -> dict[str, object]:
    version = site_version()
    rows = {row.name: row for row in PublishTarget.objects.all()}
    targets = []
    for target in configured_targets():
        row = rows.get(target.name) or PublishTarget(name=target.name)
        targets.append({
            "name": target.name, "version": row.last_version,
            "published_at": row.last_published_at, "attempted_at": row.last_attempt_at,
            "error": row.last_error, "behind_since": row.behind_since,
            "current": row.last_version is not None and row.last_version >= version,
        })  # fmt: skip
    return {"site_version": version, "targets": targets}


class PublishView(StaffView):
    pagination_class = None

    @extend_schema(
        tags=["publishing"], summary="Where each public copy stands",
        responses={200: PublishStateOut, **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        return Response(PublishStateOut(_state()).data)

    @extend_schema(
        tags=["publishing"], summary="Publish now",
        description="Renders the site's current version and pushes it to every target, as "
        "the console's \"publish now\"; `force` pushes even to a target already current "
        "(to repair one). A target that fails is named with its error; the others still "
        "take the version.",
        request=PublishIn,
        responses={200: PublishResultOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        parsed = PublishIn(data=request.data)
        parsed.is_valid(raise_exception=True)
        result = service.publish(force=parsed.validated_data["force"])
        return Response(PublishResultOut(result).data)


class PublishVerifyView(StaffView):
    pagination_class = None

    @extend_schema(
        tags=["publishing"], summary="Check what each target serves",
        description="Reads each target's manifest and files back: stale, missing or altered "
        "files are listed under `problems`. Writes nothing.",
        responses={200: VerifyOut, **_errors(*READ_ERRORS)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        version, health = service.verify_targets()
        return Response(
            VerifyOut({
                "site_version": version, "healthy": not any(h.problems for h in health),
                "targets": health,
            }).data
        )  # fmt: skip
