"""One error shape for the staff API, whoever raised the error.

Bad input, from a DRF serializer or from a lifecycle service (which raises Django's
ValidationError with a message dict), answers 400 with
    {"errors": {"field": ["reason", ...]}, "detail": "Invalid input."}
and every other failure DRF knows answers {"detail": "..."} with its status. Scripts can
rely on `errors` keys being the names of the fields they sent.

Words lifecycle refuses (wording.WordingRefused) answer 422 in the same shape, plus
    "violations": [{"rule", "kind", "reason", "start", "end", "excerpt"}, ...]
where start and end are offsets into the text sent (null for something missing). A
service's PermissionError (a role the caller lacks) answers 403. A value the database
refuses (django.db.DataError) answers 400: validation should have caught it first, but a
slip is still the input's fault, never a 500. Approving or rejecting
words already decided (decisions.AlreadyDecided), or a proposal already decided
(automation.ProposalDecided), answers 409 in the shape of a 400.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from incidents.ingest.automation import ProposalDecided
from incidents.wording import WordingRefused
from incidents.wording.decisions import AlreadyDecided

INVALID_INPUT = "Invalid input."
ALREADY_DECIDED = "These words were already decided."
PROPOSAL_DECIDED = "This proposal was already decided."
WORDING_REFUSED = "The words are not approved or break the wording policy."


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "request_too_large"


class Unstorable(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = (
        "Invalid input: a value the database cannot store or compare (a NUL character, "
        "a number out of range)."
    )
    default_code = "unstorable"


class BadIdempotencyKey(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Invalid Idempotency-Key."
    default_code = "invalid_idempotency_key"


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = (
        "A request with this Idempotency-Key is in progress. Retry in a moment to get its answer."
    )
    default_code = "idempotency_key_in_progress"


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = (
        "This Idempotency-Key was already used for a different request (another method, "
        "path or body). Nothing was written; use a new key for a new request."
    )
    default_code = "idempotency_key_reused"


def _flatten(detail: Any, prefix: str = "") -> list[str]:
    """Reasons as strings; nested ones say where they apply, e.g. "[1] status: ..."."""
    if isinstance(detail, dict):
        reasons = []
        for key, value in detail.items():
            # DRF reports a list of objects as {index: errors} for the failing items only.
            where = f"[{key}] " if isinstance(key, int) else f"{key}: "
            reasons += _flatten(value, prefix + where)
        return reasons
    if isinstance(detail, list):
        if all(isinstance(item, (dict, list)) for item in detail) and detail:
            # The list form of the same: one entry per item, empty for the valid ones.
            reasons = []
            for index, item in enumerate(detail):
                reasons += _flatten(item, f"{prefix}[{index}] ")
            return reasons
        return [f"{prefix}{item}" for item in detail]
    return [f"{prefix}{detail}"]


def field_errors(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        return {str(field): _flatten(reasons) for field, reasons in detail.items()}
    return {api_settings.NON_FIELD_ERRORS_KEY: _flatten(detail)}


def _from_django(exc: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(exc.message_dict)
    return exceptions.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: exc.messages})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, WordingRefused):
        return Response(
            {
                "errors": field_errors(exc.message_dict),
                "detail": WORDING_REFUSED,
                "violations": [v.as_dict() for v in exc.violations],
            },
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if isinstance(exc, AlreadyDecided):
        return Response(
            {"errors": field_errors(exc.message_dict), "detail": ALREADY_DECIDED},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, ProposalDecided):
        return Response(
            {"errors": field_errors(exc.message_dict), "detail": PROPOSAL_DECIDED},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, PermissionError):
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, DjangoValidationError):
        exc = _from_django(exc)
    elif isinstance(exc, RequestDataTooBig):
        # DRF reads the body through HttpRequest.body, which enforces the limit, but leaves
        # the exception to Django, which would answer an HTML 400.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        exc = RequestTooLarge(f"Request body larger than {limit} bytes.")
    elif isinstance(exc, DataError):
        # The database refusing a value (PostgreSQL: NUL in text, integer overflow) is the
        # input's fault whichever field or query parameter slipped past validation; the
        # transaction it broke is rolled back, so nothing is half-saved.
        exc = Unstorable()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django's 500 handling and error reporting apply
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": field_errors(exc.detail), "detail": INVALID_INPUT}
    return response
