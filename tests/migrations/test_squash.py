"""The migrations squashed for 1.0 (incidents/migrations/0001_squashed_0055_audiences.py):
a new database migrated through the squash alone ends with the schema and the starting
rows the 55 files it replaces give, on PostgreSQL and on SQLite; a database made with
those files, part of the way, upgrades through the rest of them and keeps its rows; and
a migration written against 0055 follows the squash.

Each database is made and migrated by a process of its own (tests/migrations/build.py),
as `manage.py migrate` would, and read back by introspection (schema.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from psycopg.conninfo import make_conninfo

from tests.migrations.schema import SQUASH, difference

ROOT = Path(__file__).resolve().parents[2]
LAST = ("incidents", "0055_audiences")


def _build(url: str, *args: str) -> Any:
    return json.loads(_started(url, *args).communicate_checked())


class _Build(subprocess.Popen[str]):
    def communicate_checked(self) -> str:
        out, err = self.communicate(timeout=600)
        assert self.returncode == 0, err
        return out


def _started(url: str, *args: str) -> _Build:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    if url.startswith("sqlite"):
        env["REDIS_URL"] = ""  # as `make run` has it
    return _Build(
        [sys.executable, "-m", "tests.migrations.build", *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _both(left: tuple[str, ...], right: tuple[str, ...]) -> tuple[Any, Any]:
    """Two builds at once, in two processes (each mostly waits on its database)."""
    first, second = _started(*left), _started(*right)
    return json.loads(first.communicate_checked()), json.loads(second.communicate_checked())


_made = 0


@contextmanager
def _database(kind: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of this kind, named by this process, dropped after."""
    global _made
    _made += 1
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'made{_made}.sqlite3'}"
        return
    db = settings.DATABASES["default"]
    name = f"test_candor_squash_{os.getpid()}_{_made}"
    port = db["PORT"] or 5432
    server = make_conninfo(
        host=db["HOST"], port=port, user=db["USER"], password=db["PASSWORD"], dbname="postgres"
    )
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        yield f"postgres://{db['USER']}{password}@{db['HOST']}:{port}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A new PostgreSQL database migrated the ordinary way (through the squash), read."""
    with _database("postgresql", tmp_path_factory.mktemp("fresh")) as url:
        _build(url, "migrate")
        yield _build(url, "read")


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_a_new_database_gets_from_the_squash_what_the_replaced_files_give(
    kind: str, tmp_path: Path
) -> None:
    with _database(kind, tmp_path) as old, _database(kind, tmp_path) as new:
        _both((old, "chain"), (new, "migrate"))
        by_files, by_squash = _both((old, "read"), (new, "read"))

    assert difference(by_files, by_squash) == []
    # Not empty by mistake: the tables, the triggers, the roles and the policy are there.
    schema, data = by_squash["schema"], by_squash["data"]
    assert {"incidents_incident", "incidents_auditevent", "incidents_audience"} <= set(
        schema["tables"]
    )
    if kind == "postgresql":
        assert "incidents_auditevent.incidents_auditevent_append_only" in schema["triggers"]
        assert "incidents_wordingrule.incidents_wordingrule_write_once" in schema["triggers"]
    assert "manage_vendors" in data["groups"]["Admin"]
    assert data["policy"]["vendor-blame"]["kind"] == "vendor_blame"
    assert len(data["policy"]) == 13
    assert by_files["squash_recorded"] and by_squash["squash_recorded"]
    assert by_files["plan"] == by_squash["plan"] == []


@pytest.mark.parametrize(
    ("at", "prefix"),
    [
        ("0040_dependencies", "GB"),  # 0046 fills an SMS subscriber's prefix on the way
        ("0054_translations", ""),  # stored after 0046 without one: left as it was
    ],
)
def test_a_database_made_with_the_replaced_files_upgrades_and_keeps_its_rows(
    at: str, prefix: str, fresh: dict[str, Any], tmp_path: Path
) -> None:
    with _database("postgresql", tmp_path) as url:
        _build(url, "chain", at)
        _build(url, "fill")
        _build(url, "migrate")  # what a deploy of 1.0 runs
        kept, after = _build(url, "check"), _build(url, "read")

    assert kept == {
        "incident": ["Slow API", "identified", "2026-11-02T09:30:00+00:00"],
        "updates": ["Slow."],
        # 0041 made the link table a model with an impact: the links stay, with its default.
        "maintenance": [["API", "under_maintenance"], ["Web", "under_maintenance"]],
        "subscriber": [["+447400123456", prefix]],
        "audit": [["incident.opened", "ops", {"impact": "minor"}]],
        "length_web": [[1500, "Shorter."]],
    }
    assert difference(after["schema"], fresh["schema"]) == []
    for starting in ("content_types", "permissions", "groups"):
        assert after["data"][starting] == fresh["data"][starting]
    assert after["squash_recorded"]
    assert after["plan"] == []  # nothing left: the next migration runs after this


class _WithNext(MigrationLoader):
    """The migrations on disk and one more, written against 0055 as migrations made
    before the squash are."""

    def load_disk(self) -> None:
        super().load_disk()
        following = type("Migration", (migrations.Migration,), {"dependencies": [LAST]})
        self.disk_migrations[("incidents", "0056_next")] = following("0056_next", "incidents")


def test_a_migration_written_against_0055_runs_after_the_squash() -> None:
    graph = _WithNext(None).graph  # no connection: a database with nothing applied
    plan = list(graph.forwards_plan(("incidents", "0056_next")))

    assert [key for key in plan if key[0] == "incidents"] == [SQUASH, ("incidents", "0056_next")]
    assert LAST not in graph.nodes
    # What it replaces: the old chain up to 0055, every one of it (later migrations follow).
    old_chain = MigrationLoader(None, replace_migrations=False).graph.forwards_plan(LAST)
    squash = _WithNext(None).disk_migrations[SQUASH]
    assert sorted(squash.replaces) == sorted(key for key in old_chain if key[0] == "incidents")
