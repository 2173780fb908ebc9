"""Test settings for the `make run` configuration: SQLite, no Redis, the file cache.

`make test` runs the tests marked `embedded` a second time with these settings
(pytest --ds=tests.settings_sqlite -m embedded): what only the embedded default does (how
SQLite stores a datetime, no sent journal in Redis, no shared token bucket) is tested there.
"""

import os
import tempfile
from pathlib import Path

_run = Path(tempfile.gettempdir()) / f"candor-test-sqlite-{os.getpid()}"
_run.mkdir(parents=True, exist_ok=True)
os.environ["DATABASE_URL"] = f"sqlite:///{_run / 'candor.sqlite3'}"
os.environ["REDIS_URL"] = ""
os.environ["CANDOR_VAR_DIR"] = str(_run / "var")

from tests.settings import *  # noqa: E402,F403

CACHES = {  # as statuspage.settings has it without REDIS_URL, in this run's own directory
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(_run / "cache"),
        "KEY_PREFIX": f"test{os.getpid()}",
    }
}
# A file, as `make run` has it (tests/settings.py names a PostgreSQL database).
DATABASES["default"]["TEST"] = {"NAME": str(_run / "test.sqlite3")}  # noqa: F405
