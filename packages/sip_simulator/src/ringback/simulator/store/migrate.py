"""Versioned schema: create an empty database, upgrade an older one, refuse a newer one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    column,
    func,
    insert,
    inspect,
    select,
    table,
    update,
)

from ringback.core.errors import RingbackError

from .backends import Backend
from .schema import NAMING_CONVENTION, SCHEMA_VERSION, metadata, schema_version
from .types import UTCDateTime, utcnow

_PG_LOCK_ID = 0x52696E67  # "Ring": serialises concurrent schema setup on PostgreSQL


class SchemaError(RingbackError, RuntimeError):
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


# ── steps ─────────────────────────────────────────────────────────────────────
# A step never changes once released, so each one spells out the tables it touches as they
# were at its version instead of using `schema`'s current definitions.


def _v2_run_evaluations(conn: Connection) -> None:
    """Version 2: a run's kept evaluation moves from `simulation_runs.meta["evaluation"]` to
    `run_evaluations`, so listing runs no longer reads every evaluation. A moved evaluation's
    time is unknown: its run's finish (else creation) time stands in for it."""
    frozen = MetaData(naming_convention=NAMING_CONVENTION)
    Table("simulation_runs", frozen, Column("workspace_id", Integer), Column("id", String(64)))
    evaluations = Table(
        "run_evaluations",
        frozen,
        Column("workspace_id", Integer, primary_key=True, autoincrement=False),
        Column("run_id", String(64), primary_key=True),
        Column("evaluated_at", UTCDateTime, nullable=False),
        Column("suite", Text, nullable=False),
        Column("total", Integer, nullable=False),
        Column("passed", Integer, nullable=False),
        Column("judge_model", Text, nullable=True),
        Column("body", JSON, nullable=False),
        ForeignKeyConstraint(
            ["workspace_id", "run_id"], ["simulation_runs.workspace_id", "simulation_runs.id"]
        ),
    )
    evaluations.create(conn)
    runs = table(
        "simulation_runs",
        column("workspace_id", Integer),
        column("id", String(64)),
        column("created_at", UTCDateTime),
        column("finished_at", UTCDateTime),
        column("meta", JSON),
    )
    # One run at a time: a run's evaluation can be megabytes.
    for workspace_id, run_id in conn.execute(select(runs.c.workspace_id, runs.c.id)).all():
        where = (runs.c.workspace_id == workspace_id, runs.c.id == run_id)
        row = conn.execute(
            select(runs.c.created_at, runs.c.finished_at, runs.c.meta).where(*where)
        ).one()
        meta = dict(row.meta or {})
        body = meta.get("evaluation")
        if not isinstance(body, dict):
            continue
        del meta["evaluation"]
        conn.execute(
            insert(evaluations).values(
                workspace_id=workspace_id,
                run_id=run_id,
                evaluated_at=row.finished_at or row.created_at,
                body=body,
                **_v2_summary(body),
            )
        )
        conn.execute(update(runs).where(*where).values(meta=meta))


def _v2_summary(body: Mapping[str, Any]) -> dict[str, Any]:
    """The summary columns of a version-1 evaluation (a `RunEvaluation` dumped as JSON)."""
    calls = body.get("calls")
    calls = [c for c in calls if isinstance(c, Mapping)] if isinstance(calls, list) else []
    suite, total, passed = body.get("suite"), body.get("total"), body.get("passed")
    return {
        "suite": suite if isinstance(suite, str) else "",
        "total": total if isinstance(total, int) else len(calls),
        "passed": passed
        if isinstance(passed, int)
        else sum(c.get("passed") is True for c in calls),
        "judge_model": _v2_judge_model(calls),
    }


def _v2_judge_model(calls: list[Mapping[str, Any]]) -> str | None:
    """The model named by the first judged `agent_expectations` verdict."""
    for call in calls:
        assertions = call.get("assertions")
        for found in assertions if isinstance(assertions, list) else []:
            if not isinstance(found, Mapping) or found.get("kind") != "agent_expectations":
                continue
            detail = found.get("detail")
            model = detail.get("model") if isinstance(detail, Mapping) else None
            if isinstance(model, str):
                return model
    return None


MIGRATIONS: dict[int, Callable[[Connection], None]] = {2: _v2_run_evaluations}
"""`MIGRATIONS[n]` upgrades a version n-1 database to version n."""
