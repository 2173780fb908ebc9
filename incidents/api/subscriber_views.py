"""/api/staff/subscribers/: who gets the updates, for scripts: list and search, import,
export, unsubscribe. The same services and rights as the console's subscribers page
(notify/subscriptions.py): importing takes posting updates, as there."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from incidents.api.idempotency import idempotent
from incidents.api.staff_serializers import EnumField
from incidents.api.staff_views import READ_ERRORS, WRITE_ERRORS, StaffView, _errors, _one
from incidents.csv_cells import cell_neutralise, rows_restore
from incidents.models import Component, Subscriber, SubscriberState
from incidents.notify import subscriptions
from incidents.notify.channels import channel_names

MAX_IMPORT_ROWS = 100_000
MAX_SEARCH_LENGTH = 200


class SubscriberOut(serializers.Serializer):
    id = serializers.CharField(source="public_id")
    channel = serializers.CharField()
    destination = serializers.CharField()
    state = EnumField("SubscriberState", SubscriberState.values)
    all_components = serializers.BooleanField()
    components = serializers.SerializerMethodField()
    incident = serializers.CharField(
        source="incident.public_id", allow_null=True, default=None,
        help_text="Set for a follower of one incident only.",
    )  # fmt: skip
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)

    def get_components(self, subscriber: Subscriber) -> list[str]:
        return [c.public_id for c in subscriber.components.all()]


class SubscriberRowIn(serializers.Serializer):
    channel = serializers.CharField(max_length=32)
    destination = serializers.CharField(max_length=500)
    components = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list,
        max_length=1000, help_text="Component ids; empty for all components.",
    )  # fmt: skip


class SubscribersImportIn(serializers.Serializer):
    # DRF's list serializer takes max_length; its stubs do not know it.
    subscribers = SubscriberRowIn(many=True, required=False, max_length=MAX_IMPORT_ROWS)  # type: ignore[call-arg]
    csv = serializers.CharField(
        required=False, trim_whitespace=False,
        help_text="A CSV export (ours, or another service's with the columns channel, "
        "destination and components) instead of `subscribers`.",
    )  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("subscribers" in attrs) == ("csv" in attrs):
            raise serializers.ValidationError("Send either `subscribers` or `csv`.")
        return attrs


class ImportOut(serializers.Serializer):
    created = serializers.IntegerField()
    skipped = serializers.IntegerField(help_text="Already subscribed on that channel.")
    errors = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(), help_text='"line 4: ..." for every row refused.'
    )


def _subscribers() -> QuerySet[Subscriber]:
    return (
        Subscriber.objects.select_related("incident")
        .prefetch_related(Prefetch("components", queryset=Component.objects.order_by("pk")))
        .order_by("-created_at", "-pk")
    )


class SubscribersView(StaffView):
    @extend_schema(
        tags=["subscribers"], summary="List and search subscribers, newest first",
        parameters=[
            OpenApiParameter("q", str, description="Part of the address, case-insensitive."),
            OpenApiParameter("state", enum=SubscriberState.values),
            OpenApiParameter("channel", str),
        ],
        responses={200: SubscriberOut(many=True), **_errors(*READ_ERRORS, 400)},
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        found = _subscribers()
        query = request.query_params
        q, state, channel = query.get("q", ""), query.get("state", ""), query.get("channel", "")
        if len(q) > MAX_SEARCH_LENGTH or not q.isprintable():
            # Control characters and surrogates match no address; PostgreSQL refuses some.
            raise serializers.ValidationError(
                {"q": [f"At most {MAX_SEARCH_LENGTH} printable characters."]}
            )
        if state and state not in SubscriberState.values:
            raise serializers.ValidationError({"state": [f"One of {', '.join(SubscriberState)}."]})
        if channel and channel not in channel_names():
            raise serializers.ValidationError(
                {"channel": [f"One of {', '.join(channel_names())}."]}
            )
        if q:
            found = found.filter(Q(destination__icontains=q))
        if state:
            found = found.filter(state=state)
        if channel:
            found = found.filter(channel=channel)
        return self.paginated(found, SubscriberOut)


class SubscriberDetailView(StaffView):
    @extend_schema(
        tags=["subscribers"], summary="One subscriber",
        responses={200: SubscriberOut, **_errors(*READ_ERRORS, 404)},
    )  # fmt: skip
    def get(self, request: Request, public_id: str) -> Response:
        return Response(SubscriberOut(_one(_subscribers(), public_id, "subscriber")).data)

    @extend_schema(
        tags=["subscribers"], summary="Unsubscribe a subscriber",
        description="Nothing more is sent to them; the row stays (state `unsubscribed`), "
        "audited.",
        responses={200: SubscriberOut, **_errors(*WRITE_ERRORS, 404)},
    )  # fmt: skip
    @idempotent
    def delete(self, request: Request, public_id: str) -> Response:
        subscriber = _one(_subscribers(), public_id, "subscriber")
        subscriptions.subscriber_remove(actor=self.actor(), subscriber=subscriber)
        return Response(SubscriberOut(_subscribers().get(pk=subscriber.pk)).data)


class SubscribersImportView(StaffView):
    @extend_schema(
        tags=["subscribers"], summary="Import subscribers as confirmed",
        description="Staff importing a list vouch these people opted in elsewhere: they are "
        "confirmed and sent nothing now. A bad row is reported under `errors` and skipped; "
        "the others are kept. One audit event for the import.",
        request=SubscribersImportIn,
        responses={200: ImportOut, **_errors(*WRITE_ERRORS)},
    )  # fmt: skip
    @idempotent
    def post(self, request: Request) -> Response:
        parsed = SubscribersImportIn(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = parsed.validated_data
        rows: Any
        if "csv" in data:
            rows = rows_restore(csv.DictReader(io.StringIO(data["csv"])))
        else:
            rows = (
                {**row, "components": " ".join(row["components"])} for row in data["subscribers"]
            )
        result = subscriptions.subscribers_import(actor=self.actor(), rows=rows)
        return Response(ImportOut(result).data, status.HTTP_200_OK)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines() -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(subscriptions.CSV_FIELDS)
    for row in subscriptions.subscribers_export_rows():
        # A cell a spreadsheet would run as a formula is neutralised (csv_cells.py).
        yield writer.writerow([cell_neutralise(cell) for cell in row])


class SubscribersExportView(StaffView):
    pagination_class = None

    @extend_schema(
        tags=["subscribers"], summary="Export every subscriber as CSV",
        description="The console's export: channel, destination, state, components, "
        "created_at, confirmed_at; streamed. Importable here or into another service.",
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV"),
            **_errors(*READ_ERRORS),
        },
    )  # fmt: skip
    def get(self, request: Request) -> StreamingHttpResponse:
        response = StreamingHttpResponse(_csv_lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subscribers.csv"'
        return response
