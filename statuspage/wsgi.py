import os

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
django.setup(set_prefix=False)

from statuspage.ingest_wsgi import IngestHandler, dispatching  # noqa: E402
from statuspage.public_wsgi import PublicReadHandler  # noqa: E402

# Monitors' posts (ingest_wsgi.py) and reads of the cached public pages (public_wsgi.py)
# skip the browser-session middleware; everything else is Django's.
application = dispatching(
    WSGIHandler(),
    IngestHandler(),
    public_read=PublicReadHandler(),
    concurrent_ingest=not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
)
