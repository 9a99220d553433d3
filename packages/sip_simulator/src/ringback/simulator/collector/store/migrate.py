"""Versioned schema: create an empty database, upgrade an older one, refuse a newer one."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, func, insert, inspect, select

from .backends import Backend
from .schema import SCHEMA_VERSION, metadata, schema_version
from .types import utcnow

MIGRATIONS: dict[int, Callable[[Connection], None]] = {}
"""`MIGRATIONS[n]` upgrades a version n-1 database to version n (none yet: version 1 is first)."""

_PG_LOCK_ID = 0x52696E67  # "Ring": serialises concurrent schema setup on PostgreSQL


class SchemaError(RuntimeError):
    """The database cannot be used by this version of the collector."""


class SchemaTooNewError(SchemaError):
    """The database was created or upgraded by a newer ringback-sim."""


async def prepare_schema(backend: Backend) -> int:
    """Create the tables on an empty database, or upgrade an older schema; return the version.

    Raises `SchemaTooNewError` for a database written by a newer collector, and `SchemaError`
    for one that has collector tables but no version.
    """
    return await backend.run(_prepare, write=True)


def _recorded_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table(schema_version.name):
        return None
    return conn.execute(select(func.max(schema_version.c.version))).scalar()


def _prepare(conn: Connection) -> int:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_ID})")
    existing = set(inspect(conn).get_table_names())
    if schema_version.name not in existing:
        ours = sorted(set(metadata.tables) & existing)
        if ours:
            raise SchemaError(
                f"the database has collector tables ({', '.join(ours)}) but no schema_version "
                "table, so it was not created by ringback-sim; use an empty database"
            )
        metadata.create_all(conn)
        _record(conn, SCHEMA_VERSION)
        return SCHEMA_VERSION
    found = _recorded_version(conn)
    if found is None:
        raise SchemaError("the schema_version table is empty; the database is damaged")
    if found > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"the database has schema version {found}, but this ringback-sim only knows up to "
            f"version {SCHEMA_VERSION}; upgrade ringback-simulator (or use another database)"
        )
    for version in range(found + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](conn)
        _record(conn, version)
    return SCHEMA_VERSION


def _record(conn: Connection, version: int) -> None:
    conn.execute(insert(schema_version).values(version=version, applied_at=utcnow()))
