"""The writers' own fixtures: a console session, and a monitor posting to a source."""

from tests.console.conftest import console
from tests.ingest.conftest import _fresh_buckets, make_sender

__all__ = ["_fresh_buckets", "console", "make_sender"]
