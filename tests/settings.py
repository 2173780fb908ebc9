"""Test settings: the production settings, pointed at this machine's real services.

PostgreSQL and Redis are the real local servers (the Makefile starts them if stopped).
`make test` runs two pytest-xdist workers: each is a process of its own, so each gets its
own test database (named by pid; pytest-django adds the worker's name), its own Redis
database number and key prefix, and its own var/ directory (publish locks, renders), so
parallel workers and parallel runs never see each other's state.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/candor")
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
os.environ.setdefault("REDIS_URL", f"redis://127.0.0.1:6379/{10 + int(_worker or 0) % 6}")

_run = Path(tempfile.gettempdir()) / f"candor-test-{os.getpid()}"
os.environ.setdefault("CANDOR_VAR_DIR", str(_run / "var"))

from statuspage.settings import *  # noqa: E402,F403

# Unique per run, so a developer's run and another on the same machine never collide.
DATABASES["default"]["TEST"] = {"NAME": f"test_candor_{os.getpid()}"}  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = f"test{os.getpid()}"  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
CELERY_TASK_ALWAYS_EAGER = True

# Publishing is off unless a test turns it on (the `mirror` fixture of tests/conftest.py
# points it at a directory of the test's own); other tests have no use for a rendered copy
# of the site on every change.
CANDOR_PUBLISH_TARGETS: list[str] = []
CANDOR_MIRROR_DIR = _run / "mirror"
CANDOR_AUDIENCE_MIRROR_DIR = _run / "audience-mirror"

# Each ingest request routes its signals at once (eager Celery), not once a second.
CANDOR_INGEST_COALESCE_SECONDS = 0
# A read right after a change sees it; tests/public/test_stale_while_revalidate.py turns it on.
CANDOR_PUBLIC_REVALIDATE_IN_BACKGROUND = False

# Signed notices: one fixed key for the tests, listed on first use in each test's database
# (a TEST key, published nowhere). Tests of key files and rotation set their own.
CANDOR_SIGNING_KEY = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIFSy8Hy20gZkBME3IY0RHDrVby3GFZz2CPd4HvpYVJcL
-----END PRIVATE KEY-----
"""
CANDOR_SIGNING_KEYS_DIR = Path(tempfile.gettempdir()) / f"candor-test-{os.getpid()}" / "signing"
