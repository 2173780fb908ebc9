"""Production settings plus one reference view, for the benchmark only."""

from statuspage.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "WARNING"}}
