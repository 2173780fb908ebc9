"""POST /api/ingest/<source>/: monitor signals in, 202 out, routing later.

A plain Django view rather than DRF: it is the hot path under an alert storm, and each
step is cheap and refuses early. In order: the source exists; its bucket, as this
process last found it, could have refilled (else 429 at once: admission.refusing); the
body is within CANDOR_INGEST_MAX_BODY (413, read no further); the token or signature is right (401);
the body is JSON (415 for another content type, 400 for malformed or too deeply nested
JSON); the format's parser accepts it (400 naming the field); the source's token bucket
admits its signals (429, or 503 for Alertmanager, with Retry-After); they are stored
idempotently by fingerprint (503 with Retry-After if the database refuses). Nothing is
stored unless every step passed. Routing is requested once the signals are stored, and a
beat sweep routes whatever a lost request left behind, so a broker outage delays routing
without losing signals.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from incidents.enqueue import Coalesce, Fallback, enqueue
from incidents.ingest import admission, auth, formats, sources
from incidents.ingest.store import signals_store
from incidents.models import Source, SourceFormat

log = logging.getLogger(__name__)

MAX_DEPTH = 32
ROUTE_TASK = "incidents.tasks.ingest_route"
ROUTE_QUEUED = "ingest:route-queued"
INVALID_INPUT = "Invalid input."


def _quiet(response: JsonResponse) -> JsonResponse:
    # Not a line in the log per refusal: under a storm that is thousands a second, and
    # the console's counters already count them (django.request skips logged responses).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _problem(status: int, detail: str, **headers: str) -> JsonResponse:
    response = _quiet(JsonResponse({"detail": detail}, status=status))
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _invalid(field: str, message: str) -> JsonResponse:
    return _quiet(JsonResponse({"errors": {field: [message]}, "detail": INVALID_INPUT}, status=400))


def _too_deep(document: Any) -> bool:
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return False


def _chunked(request: HttpRequest) -> bool:
    """A body sent without Content-Length (Transfer-Encoding: chunked): Django reads such a
    body as empty, so it is read from the server's stream instead."""
    encoding = request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    return not request.META.get("CONTENT_LENGTH") and "chunked" in encoding


def _read_to_end(stream: Any, at_most: int) -> bytes:
    """Up to `at_most` bytes of a stream the server ends (wsgi.input_terminated)."""
    chunks, size = [], 0
    while size < at_most:
        chunk = stream.read(min(65536, at_most - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


@csrf_exempt
def ingest(request: HttpRequest, source: str) -> JsonResponse:
    if request.method != "POST":
        return _problem(405, "Use POST.", Allow="POST")
    now = timezone.now()
    found = sources.source_lookup(source)
    if found is None:
        return _problem(404, f"No monitor source named {source!r}.")
    answer = _receive(request, found, now, cached=True)
    if answer.status_code >= 400 and SHED_HEADER not in answer:
        admission.count_refusal(found, now=now)  # over-rate answers were counted already
    return answer


# Marks an answer that shed load (over the source's rate), so clients, benches and the
# refusal counter tell it from a failure.
SHED_HEADER = "X-Candor-Shed"


def _over_rate(source: Source, admitted: admission.Admission) -> JsonResponse:
    # Alertmanager (0.25, measured: tests/ingest/test_alertmanager.py) never retries a 429:
    # it drops the batch until the next group_interval. It retries a 5xx with backoff, so
    # its sources are told 503; other monitors get the standard 429.
    code = 503 if source.format == SourceFormat.ALERTMANAGER else 429
    answer = _problem(
        code,
        f"Source {source.name!r} is over its rate of {source.rate_per_second} signals/s.",
        Retry_After=str(admitted.retry_after),
    )
    answer[SHED_HEADER] = "rate"
    return answer


def _receive(request: HttpRequest, source: Source, now: Any, *, cached: bool) -> JsonResponse:
    if (short := admission.refusing(source)) is not None:
        return _over_rate(source, short)
    limit = settings.CANDOR_INGEST_MAX_BODY
    too_large = _problem(413, f"Request body larger than {limit} bytes.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return too_large
    if _chunked(request):
        if not request.META.get("wsgi.input_terminated"):
            return _problem(411, "Send a Content-Length (this server cannot end a chunked body).")
        body = _read_to_end(request.META["wsgi.input"], limit + 1)
    else:
        body = request.read(limit + 1)
    if len(body) > limit:
        return too_large
    credentials = {
        "authorization": request.headers.get("Authorization", ""),
        "timestamp": request.headers.get("X-Candor-Timestamp", ""),
        "signature": request.headers.get("X-Candor-Signature", ""),
    }
    try:
        auth.check_credentials(source, body=body, now=now, **credentials)
    except auth.Refused:
        fresh = sources.source_lookup(source.name, fresh=True) if cached else None
        if fresh is not None:
            source = fresh  # changed since it was read: the next check is against it
    try:
        auth.authenticate(source, body=body, now=now, **credentials)
    except auth.Refused as refused:
        return _problem(401, refused.message, WWW_Authenticate='Bearer realm="candor-ingest"')
    if request.content_type != "application/json":
        return _problem(415, "Send JSON with 'Content-Type: application/json'.")
    try:
        document = json.loads(body)
    except RecursionError:
        return _invalid("body", f"JSON nested deeper than {MAX_DEPTH} levels.")
    except ValueError as error:
        return _invalid("body", f"Malformed JSON: {error}.")
    if _too_deep(document):
        return _invalid("body", f"JSON nested deeper than {MAX_DEPTH} levels.")
    try:
        signals = formats.parse(source.format, document, now=now)
    except formats.FormatError as error:
        return _invalid(error.field, error.message)
    admitted = admission.admit(source, cost=len(signals), now=now)
    if not admitted.admitted:
        return _over_rate(source, admitted)
    try:
        # One statement (store.py), committed on its own: no BEGIN/COMMIT round trips.
        stored = signals_store(source=source, signals=signals, now=now) if signals else 0
    except DatabaseError:
        log.exception("could not store signals of %s", source.name)
        return _problem(503, "Signals could not be stored; retry.", Retry_After="5")
    request_routing()
    return JsonResponse(
        {"source": source.name, "received": len(signals), "stored": stored, "at": now.isoformat()},
        status=202,
    )


def request_routing() -> None:
    """Queue the routing task, at most once per CANDOR_INGEST_COALESCE_SECONDS across
    processes; a routing run takes every signal waiting, so one run serves a burst of
    requests. It runs once the window is over, so it sees every request the window turned
    away (they committed before they were turned away). If it cannot be queued, the signals
    are stored already: the beat sweep (ingest-sweep) routes them a few seconds later."""
    seconds = settings.CANDOR_INGEST_COALESCE_SECONDS
    enqueue(
        ROUTE_TASK,
        countdown=seconds,
        coalesce=Coalesce(ROUTE_QUEUED, seconds) if seconds else None,
        fallback=Fallback.SWEEP,
    )
