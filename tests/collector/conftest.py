"""Fixtures for the collector tests: a real collector on uvicorn, an HTTP client, a store,
and databases in an older schema."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, delete, insert, text, update
from support.collector_server import RunningCollector, running_collector

from ringback.simulator.store import Store
from ringback.simulator.store.schema import runs, schema_version
from ringback.simulator.store.types import utcnow

Version1Database = Callable[[Path, Mapping[str, Mapping[str, Any]]], Awaitable[None]]


@pytest.fixture
async def collector(tmp_path: Path) -> AsyncIterator[RunningCollector]:
    async with running_collector(tmp_path) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A store on a fresh SQLite file, without a server."""
    async with await Store.open(str(tmp_path / "store.sqlite3")) as opened:
        yield opened


@pytest.fixture
def version_1_database() -> Version1Database:
    """`await version_1_database(path, {run_id: evaluation})` writes a schema-1 database: a
    finished run per entry, its evaluation (JSON) kept in `simulation_runs.meta`."""
    return _version_1_database


async def _version_1_database(path: Path, evaluations: Mapping[str, Mapping[str, Any]]) -> None:
    async with await Store.open(str(path)) as store:
        for run_id, evaluation in evaluations.items():
            await store.create_run(1, run_id=run_id, name=str(evaluation.get("suite", "")))
            await store.finish_run(1, run_id)
        await store.write(_downgrade, evaluations)


def _downgrade(conn: Connection, evaluations: Mapping[str, Mapping[str, Any]]) -> None:
    """Version 2 is version 1 plus `run_evaluations`; version 1 kept evaluations in meta."""
    conn.execute(text("DROP TABLE run_evaluations"))
    conn.execute(delete(schema_version))
    conn.execute(insert(schema_version).values(version=1, applied_at=utcnow()))
    for run_id, evaluation in evaluations.items():
        meta = {"evaluation": dict(evaluation), "plan": "kept"}
        conn.execute(update(runs).where(runs.c.id == run_id).values(meta=meta))
