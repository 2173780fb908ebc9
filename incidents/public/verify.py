"""The Verify page and what it verifies against: the public keys and the notices index.

The page verifies in the reader's browser (static/candor/verify.js, WebCrypto Ed25519)
against /.well-known/candor-keys.json and /verify/notices.json (an index of shards, each
/verify/notices/<first two characters of the code>.json), so the published static
copy verifies with the app stopped. The live app also answers a GET with the verdict
already on the page (incidents/signing.py), for a reader without JavaScript.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from incidents import signing
from incidents.audiences.viewer import Viewer
from incidents.audiences.visibility import hidden_notice_ids
from incidents.context_processors import STATIC_COPY
from incidents.public.views import render_page
from incidents.text import text_problem

# A pasted email fits many times over; more is not a message of ours.
MESSAGE_MAX = 20_000


def _json(document: dict[str, Any]) -> HttpResponse:
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    response = HttpResponse(body, content_type="application/json")
    response["Access-Control-Allow-Origin"] = "*"  # any verifier may read it
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_safe
def keys_json(request: HttpRequest) -> HttpResponse:
    return _json(signing.keys_document())


@require_safe
def notices_json(request: HttpRequest) -> HttpResponse:
    # The public index, whoever asks: it is cached as public (audiences/visibility.py).
    return _json(signing.notices_document(hidden=hidden_notice_ids(Viewer.PUBLIC)))


@require_safe
def notices_shard_json(request: HttpRequest, prefix: str) -> HttpResponse:
    """One shard; an empty one for a prefix no notice has (the URL refuses any other)."""
    return _json(signing.notices_shard_document(prefix, hidden=hidden_notice_ids(Viewer.PUBLIC)))


@require_safe
def verify_page(request: HttpRequest) -> HttpResponse:
    message = request.GET.get("message", "") or request.GET.get("code", "")
    context: dict[str, Any] = {"nav": "verify", "message": message}
    status = 200
    if message and not request.META.get(STATIC_COPY):
        problem = text_problem(message, max_len=MESSAGE_MAX, multiline=True)
        if problem:
            context["error"] = f"We cannot check this text: {problem}"
            context["message"] = ""
            status = 400
        else:
            verdict = signing.verify_message(message, received_at=timezone.now())
            context["verdict"] = verdict
            if verdict.notice is not None:
                context["published_at"] = signing.parse_time(verdict.notice["published_at"])
    rendered = render_page(request, "public/verify.html", context, status=status)
    response = HttpResponse(rendered.body, content_type=rendered.content_type, status=status)
    response["Cache-Control"] = "no-store" if message else "public, max-age=60"
    return response
