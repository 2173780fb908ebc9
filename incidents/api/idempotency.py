"""The staff API's Idempotency-Key header: one decorator for every POST and PATCH handler.

A write sent with `Idempotency-Key: <key>` is done once per user and key; sending it again
answers the first response, with `Idempotent-Replayed: true`. The mechanism and its
guarantees are incidents/idempotency.py's; this module maps them onto HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from incidents import idempotency
from incidents.api import errors

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    HEADER,
    {
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_KEY_LENGTH,
        "pattern": "^[ -~]+$",  # printable ASCII, as idempotency.key_problem checks
    },
    OpenApiParameter.HEADER,
    required=False,
    description=(
        f"Optional, 1 to {idempotency.MAX_KEY_LENGTH} printable ASCII characters, unique "
        "per write (a UUID, say). Sending the same request again with the same key writes "
        "nothing and answers the first response, with the header `Idempotent-Replayed: "
        "true`. The same key with a different request answers 422; while the first request "
        "is still in progress, 409. A request that failed (4xx) does not use up its key. "
        "Keys are per user and kept for at least 24 hours."
    ),
)

Handler = Callable[..., Response]


def idempotent(handler: Handler) -> Handler:
    """Let a write handler honour an optional Idempotency-Key header, and document it."""

    @extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @wraps(handler)
    def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if problem := idempotency.key_problem(key):
            raise errors.BadIdempotencyKey(f"{HEADER} {problem}.")
        user_id = request.user.pk
        if user_id is None:  # the view's permissions let no anonymous writer this far
            raise NotAuthenticated()
        try:
            result = idempotency.write_once(
                user_id=user_id,
                key=key,
                fingerprint=idempotency.fingerprint(
                    method=request.method or "", path=request.path, body=request.data
                ),
                write=lambda: handler(view, request, *args, **kwargs),
                keep=_kept,
            )
        except idempotency.KeyInProgress:
            raise errors.IdempotencyKeyInProgress from None
        except idempotency.KeyReused:
            raise errors.IdempotencyKeyReused from None
        if isinstance(result, idempotency.Replay):
            return Response(
                result.body, status=result.status_code, headers={REPLAYED_HEADER: "true"}
            )
        return result

    return wrapper


def _kept(response: Response) -> idempotency.Recorded | None:
    # An error answered without raising has written nothing worth keeping.
    if response.status_code >= 400:
        return None
    # Stored as the client received it: through the encoder DRF renders JSON with.
    body = json.loads(json.dumps(response.data, cls=JSONEncoder))
    return idempotency.Recorded(status_code=response.status_code, body=body)
