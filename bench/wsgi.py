"""statuspage.wsgi's application, with the bench's bare view also on the public read path.

The strictest reference for the front page: the same bytes from memory through the very
middleware Candor's cached `/` now runs (statuspage/public_wsgi.py), not the whole stack.
"""

from typing import Any

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

import statuspage.wsgi  # noqa: F401  (django.setup, as the server would)
from statuspage.ingest_wsgi import IngestHandler, dispatching
from statuspage.public_wsgi import PublicReadHandler

LEAN_REFERENCE = "/bench/bare-memory-lean/"


class BenchPublicReadHandler(PublicReadHandler):
    @staticmethod
    def serves(environ: dict[str, Any]) -> bool:
        return PublicReadHandler.serves(environ) or environ.get("PATH_INFO") == LEAN_REFERENCE


application = dispatching(
    WSGIHandler(),
    IngestHandler(),
    public_read=BenchPublicReadHandler(),
    concurrent_ingest=not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
)
