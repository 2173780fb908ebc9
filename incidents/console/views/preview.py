from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from incidents.console.views.base import staff_required
from incidents.lifecycle import MAX_BODY_LENGTH
from incidents.rendering import render_markdown


@staff_required
@require_POST
def preview(request: HttpRequest) -> JsonResponse:
    """Markdown to the sanitised HTML the public will see; console.js calls it as you type.

    POST (and so CSRF-checked) although it changes nothing: the body can be long, and a
    GET would put draft incident text into server and proxy logs.
    """
    body = request.POST.get("body", "")
    if len(body) > MAX_BODY_LENGTH:
        return JsonResponse({"error": f"At most {MAX_BODY_LENGTH} characters."}, status=400)
    return JsonResponse({"html": render_markdown(body)})
