"""/widget.js: the embeddable status widget (widget.js beside this module).

Served through the public cache like every public file (ETag, Cache-Control) and written
into the static snapshot, so the one tag a customer pastes works from the mirror too: the
script finds summary.json beside itself.
"""

from __future__ import annotations

import functools
from pathlib import Path

from django.http import HttpRequest, HttpResponse

from incidents.public.cache import Rendered, public_response

JAVASCRIPT = "text/javascript; charset=utf-8"
SOURCE = Path(__file__).with_name("widget.js")


@functools.cache
def _source() -> bytes:
    return SOURCE.read_bytes()


def widget_js(request: HttpRequest) -> HttpResponse:
    # CORS too: a page may load it as a module or through fetch, as it reads the v2 API.
    return public_response(
        request, request.path, lambda: Rendered(_source(), JAVASCRIPT), cors=True
    )
