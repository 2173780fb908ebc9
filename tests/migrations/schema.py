"""What a database holds after `migrate`, read back from the database itself (not from
`sqlmigrate`), so two ways of migrating can be compared: tables, columns, constraints,
indexes, triggers and functions, and the rows a new install starts with.

Column order is left out: a column added later sits at the end of its table, which no
query notices.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

Schema = dict[str, Any]
# The migration that replaces 0001-0055 (incidents/migrations/).
SQUASH = ("incidents", "0001_squashed_0055_audiences")


def schema_read(connection: BaseDatabaseWrapper) -> Schema:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _postgresql(cursor)
        return _sqlite(cursor)


def _rows(cursor: Any, sql: str) -> list[tuple[Any, ...]]:
    cursor.execute(sql)
    return [tuple(row) for row in cursor.fetchall()]


def _postgresql(cursor: Any) -> Schema:
    columns: dict[str, dict[str, list[Any]]] = {}
    for table, column, *shape in _rows(
        cursor,
        """SELECT table_name, column_name, data_type, udt_name, character_maximum_length,
                  numeric_precision, numeric_scale, is_nullable, column_default, is_identity,
                  identity_generation, collation_name
           FROM information_schema.columns WHERE table_schema = 'public'""",
    ):
        columns.setdefault(table, {})[column] = shape
    constraints = {
        f"{table}.{name}": [kind, definition, deferrable, deferred]
        for table, name, kind, definition, deferrable, deferred in _rows(
            cursor,
            """SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid),
                      c.condeferrable, c.condeferred
               FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
               JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public'""",
        )
    }
    indexes = {
        f"{table}.{name}": _casts_dropped(definition)
        for table, name, definition in _rows(
            cursor,
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'",
        )
    }
    triggers = {
        f"{table}.{name}": definition
        for table, name, definition in _rows(
            cursor,
            """SELECT t.relname, g.tgname, pg_get_triggerdef(g.oid)
               FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
               JOIN pg_namespace n ON n.oid = t.relnamespace
               WHERE n.nspname = 'public' AND NOT g.tgisinternal""",
        )
    }
    functions = dict(
        _rows(
            cursor,
            """SELECT p.proname, p.prosrc FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'""",
        )
    )
    sequences = sorted(
        name
        for (name,) in _rows(
            cursor, "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
        )
    )
    return {
        "tables": sorted(columns),
        "columns": columns,
        "constraints": constraints,
        "indexes": indexes,
        "triggers": triggers,
        "functions": functions,
        "sequences": sequences,
    }


def _casts_dropped(definition: str) -> str:
    """An index definition without casts and parentheses. PostgreSQL stores a partial
    index's predicate as parsed: once a column's type changed under it (a varchar's
    length), the same condition reads back with its casts elsewhere
    (`ARRAY[('a'::varchar)::text]` against `ARRAY['a'::varchar]::text[]`). Column types
    are compared on their own."""
    return re.sub(r"::[a-z ]+(?:\[\])?|[()]", "", definition)


def _clauses(create_table: str) -> list[str]:
    """The comma-separated parts of a CREATE TABLE, sorted: columns with their
    constraints, then table constraints. Commas inside parentheses or quotes stay."""
    body = create_table[create_table.index("(") + 1 : create_table.rindex(")")]
    parts, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(body):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'`":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(body[start:i].strip())
            start = i + 1
    parts.append(body[start:].strip())
    return sorted(parts)


def _sqlite(cursor: Any) -> Schema:
    tables = dict(
        _rows(
            cursor,
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
    )
    indexes: dict[str, Any] = {}
    for table in tables:
        for _seq, name, unique, origin, partial in _rows(cursor, f'PRAGMA index_list("{table}")'):
            columns = [row[2] for row in _rows(cursor, f'PRAGMA index_info("{name}")')]
            if name.startswith("sqlite_autoindex_"):
                # Named by position in the table's SQL: keyed by what it covers instead.
                name = f"auto({','.join(columns)})"
            indexes[f"{table}.{name}"] = [unique, origin, partial, columns]
    for table, name, sql in _rows(
        cursor, "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index'"
    ):
        if sql is not None:
            indexes[f"{table}.{name}"].append(sql)
    triggers = {
        f"{table}.{name}": sql
        for table, name, sql in _rows(
            cursor, "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'"
        )
    }
    return {
        "tables": sorted(tables),
        "columns": {name: _clauses(sql) for name, sql in tables.items()},
        "indexes": indexes,
        "triggers": triggers,
    }


def data_read() -> dict[str, Any]:
    """The rows a new install starts with: content types, permissions, the roles'
    groups, the wording policy in force (each rule's latest version; its number and
    time left out), and how many rows each of Candor's tables holds."""
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    from incidents.models import WordingRule

    latest: dict[str, WordingRule] = {}
    for rule in WordingRule.objects.order_by("key", "version"):
        latest[rule.key] = rule
    return {
        "content_types": sorted(ContentType.objects.values_list("app_label", "model")),
        "permissions": sorted(
            Permission.objects.values_list("content_type__app_label", "codename", "name")
        ),
        "groups": {
            group.name: sorted(group.permissions.values_list("codename", flat=True))
            for group in Group.objects.all()
        },
        "policy": {
            key: {
                field.name: getattr(rule, field.attname)
                for field in WordingRule._meta.concrete_fields
                if field.name not in ("id", "version", "created_at")
            }
            for key, rule in latest.items()
        },
        "counts": {
            model._meta.db_table: model._default_manager.count()
            for model in apps.get_app_config("incidents").get_models()
            if model._meta.managed and model._meta.db_table != WordingRule._meta.db_table
        },
    }


def difference(left: dict[str, Any], right: dict[str, Any], path: str = "") -> list[str]:
    """Where two readings differ, as readable lines (empty when equal)."""
    lines: list[str] = []
    for key in sorted(set(left) | set(right), key=str):
        where = f"{path}/{key}"
        if key not in right:
            lines.append(f"only left: {where} = {left[key]!r}")
        elif key not in left:
            lines.append(f"only right: {where} = {right[key]!r}")
        elif isinstance(left[key], dict) and isinstance(right[key], dict):
            lines.extend(difference(left[key], right[key], where))
        elif left[key] != right[key]:
            lines.append(f"differs: {where}: {left[key]!r} != {right[key]!r}")
    return lines
