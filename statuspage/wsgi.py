import os

import django
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
django.setup(set_prefix=False)

from statuspage.ingest_wsgi import IngestHandler, dispatching  # noqa: E402

# Monitors' posts skip the browser middleware (ingest_wsgi.py); everything else is Django's.
application = dispatching(
    WSGIHandler(),
    IngestHandler(),
    concurrent_ingest=not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
)
