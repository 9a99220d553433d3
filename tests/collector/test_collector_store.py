"""The store: versioned schema and its migrations, SQLite settings, hashed keys, kept
evaluations, link queries, database URLs, PostgreSQL DDL."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Executable, event, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable
from support.collector_calls import call_body

from ringback.simulator.batch.conclude import wait_for_agent_sides
from ringback.simulator.collector.prepare import prepare_call
from ringback.simulator.store import (
    SCHEMA_VERSION,
    NotFoundError,
    SchemaError,
    SchemaTooNewError,
    Store,
    database_url,
)
from ringback.simulator.store.schema import metadata, schema_version
from ringback.simulator.store.types import utcnow


def _rows(conn: Connection, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in conn.execute(text(sql))]


def _execute(conn: Connection, statement: Executable) -> None:
    conn.execute(statement)


async def test_a_new_database_gets_the_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "dir" / "c.sqlite3"  # parent folders are created
    async with await Store.open(str(path)) as store:
        assert store.schema_version == SCHEMA_VERSION
        versions = await store.read(_rows, "SELECT version FROM schema_version")
        tables = {r[0] for r in await store.read(_rows, "SELECT name FROM sqlite_master")}
    assert versions == [(SCHEMA_VERSION,)]
    assert {"calls", "api_keys", "simulation_runs", "simulation_results"} <= tables
    async with await Store.open(str(path)) as again:  # reopening changes nothing
        assert again.schema_version == SCHEMA_VERSION


async def test_sqlite_runs_in_wal_mode_with_safe_pragmas(store: Store) -> None:
    names = ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
    pragmas = {name: (await store.read(_rows, f"PRAGMA {name}"))[0][0] for name in names}
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 5000,
        "foreign_keys": 1,
    }


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sqlite3")
    async with await Store.open(path) as store:
        await store.write(_execute, insert(schema_version).values(version=99, applied_at=utcnow()))
    too_new = rf"schema version 99.*only knows up to version {SCHEMA_VERSION}"
    with pytest.raises(SchemaTooNewError, match=too_new):
        await Store.open(path)


async def test_foreign_tables_without_a_version_are_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sqlite3")
    async with await Store.open(path) as store:
        await store.write(_execute, text("DROP TABLE schema_version"))
    with pytest.raises(SchemaError, match="not created by ringback-sim"):
        await Store.open(path)


JUDGED = {
    "run_id": "judged",
    "suite": "checkout",
    "total": 2,
    "passed": 1,
    "calls": [
        {"scenario_id": "a", "linked": True, "passed": True, "assertions": []},
        {
            "scenario_id": "b",
            "linked": True,
            "passed": False,
            "assertions": [
                {"kind": "agent_expectations", "passed": False, "detail": {"model": "judge-7"}}
            ],
        },
    ],
}


async def test_a_version_1_database_moves_its_evaluations_to_their_own_table(
    tmp_path: Path, version_1_database: Callable[..., Awaitable[None]]
) -> None:
    path = tmp_path / "c.sqlite3"
    no_totals = {"suite": 7, "calls": [{"passed": True}, {"passed": False}, "junk"]}
    await version_1_database(path, {"judged": JUDGED, "no-totals": no_totals})
    async with await Store.open(str(path)) as store:
        await store.create_run(1, run_id="never")
        assert store.schema_version == SCHEMA_VERSION == 2
        versions = await store.read(_rows, "SELECT version FROM schema_version ORDER BY 1")
        listed = {run.id: run for run in await store.list_runs(1)}
        kept = await store.get_evaluation(1, "judged")
        table_sql = await store.read(_rows, _TABLE_SQL)
    assert versions == [(1,), (2,)]
    judged = listed["judged"]
    assert judged.metadata == {"plan": "kept"}  # the evaluation left the run's metadata
    assert judged.evaluation is not None
    assert judged.evaluation.model_dump() == {
        "evaluated_at": judged.finished_at,  # the best guess: when the run finished
        "suite": "checkout",
        "total": 2,
        "passed": 1,
        "judge_model": "judge-7",
    }
    assert kept == (judged.evaluation, JUDGED)
    other = listed["no-totals"].evaluation
    assert other is not None
    assert (other.suite, other.total, other.passed, other.judge_model) == ("", 2, 1, None)
    assert listed["never"].evaluation is None

    async with await Store.open(str(tmp_path / "new.sqlite3")) as new:
        assert await new.read(_rows, _TABLE_SQL) == table_sql  # the same table as a new one's


_TABLE_SQL = "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'run_evaluations'"


async def test_keys_are_stored_only_as_hashes(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    async with await Store.open(str(path)) as store:
        new = await store.create_key(4, "ci")
        assert new.key.startswith("rbk_")
        assert new.key not in repr(new)
        ((stored,),) = await store.read(_rows, "SELECT key_hash FROM api_keys")
        assert stored == hashlib.sha256(new.key.encode()).hexdigest()
        (listed,) = await store.list_keys()
        assert "key" not in listed.model_dump()
        assert (await store.find_key(new.key)) == listed
        revoked = await store.revoke_key(listed.id)
        assert revoked is not None
        assert not revoked.active
        assert (await store.revoke_key(listed.id)) == revoked  # idempotent
        assert await store.revoke_key(999) is None
        with pytest.raises(ValueError, match="positive"):
            await store.create_key(0)
    assert new.key.encode() not in _files_bytes(tmp_path)


def _files_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.is_file())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///x.db", "sqlite:///x.db"),
        ("postgresql://u:p@db/ringback", "postgresql+asyncpg://u:p@db/ringback"),
        ("postgres://u:p@db/ringback", "postgresql+asyncpg://u:p@db/ringback"),
        ("postgresql+asyncpg://db/r", "postgresql+asyncpg://db/r"),
        ("sqlite+aiosqlite:////abs/c.db", "sqlite:////abs/c.db"),
    ],
)
def test_database_urls(given: str, expected: str) -> None:
    assert database_url(given) == expected


def test_a_plain_path_is_a_sqlite_file(tmp_path: Path) -> None:
    assert database_url(str(tmp_path / "c.db")) == f"sqlite:///{tmp_path / 'c.db'}"


def test_the_schema_compiles_for_postgresql() -> None:
    dialect = postgresql.asyncpg.dialect()  # type: ignore[attr-defined]
    for table in metadata.sorted_tables:
        ddl = str(CreateTable(table).compile(dialect=dialect))
        assert table.name in ddl
        for index in table.indexes:
            str(CreateIndex(index).compile(dialect=dialect))
    calls_ddl = str(CreateTable(metadata.tables["calls"]).compile(dialect=dialect))
    assert "id BIGSERIAL" in calls_ddl


# ── kept evaluations ──────────────────────────────────────────────────────────
EVALUATION = {"run_id": "r1", "suite": "s", "calls": [{"scenario_id": "a", "linked": True}]}


async def test_an_evaluation_is_kept_beside_its_run_and_replaced(store: Store) -> None:
    run = await store.create_run(1, run_id="r1", name="s")
    assert run.evaluation is None
    assert await store.get_evaluation(1, "r1") is None
    first = utcnow()
    saved = await store.save_evaluation(1, "r1", EVALUATION, total=1, passed=0, evaluated_at=first)
    later = utcnow()
    again = await store.save_evaluation(
        1, "r1", {**EVALUATION, "n": 2}, total=1, passed=1, evaluated_at=later, judge_model="j"
    )
    kept = await store.get_evaluation(1, "r1")
    assert kept == (again, {**EVALUATION, "n": 2})
    assert (saved.passed, again.passed, again.judge_model) == (0, 1, "j")
    (listed,) = await store.list_runs(1)
    assert listed.evaluation == again == (await store.get_run(1, "r1")).evaluation  # type: ignore[union-attr]
    assert listed.metadata == {}
    assert await store.get_evaluation(2, "r1") is None  # another workspace's
    with pytest.raises(NotFoundError):
        await store.save_evaluation(2, "r1", EVALUATION, total=1, passed=1, evaluated_at=later)


async def test_the_run_list_reads_no_evaluation_body(store: Store) -> None:
    await store.create_run(1, run_id="r1")
    await store.save_evaluation(1, "r1", EVALUATION, total=1, passed=1, evaluated_at=utcnow())
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(statement)

    engine = store.backend.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        (run,) = await store.list_runs(1)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert run.evaluation is not None
    assert run.evaluation.pass_rate == 1.0
    (query,) = [s for s in statements if "simulation_runs" in s]
    assert "run_evaluations.total" in query
    assert "run_evaluations.body" not in query


# ── link queries ──────────────────────────────────────────────────────────────
async def test_agent_linked_results_names_results_with_an_agent_side_only(store: Store) -> None:
    run = await store.create_run(1)
    other = await store.create_run(1)
    both, caller_only, none, elsewhere = "a" * 32, "b" * 32, "c" * 32, "d" * 32
    for result_id, run_id in ((both, run.id), (caller_only, run.id), (none, run.id)):
        await store.register_result(1, run_id, result_id, scenario_id="s")
    await store.register_result(1, other.id, elsewhere, scenario_id="s")
    await _ingest(store, "agent-a", sip_headers={"X-Result-Id": both})
    await _ingest(store, "agent-a2", sip_headers={"X-Result-Id": both})  # a second sync
    await _ingest(store, "caller-a", caller_result_id=both)
    await _ingest(store, "caller-b", caller_result_id=caller_only)
    await _ingest(store, "agent-d", sip_headers={"X-Result-Id": elsewhere})
    assert await store.agent_linked_results(1, run.id) == {both}
    assert await store.agent_linked_results(2, run.id) == set()
    assert await store.agent_linked_results(1, other.id) == {elsewhere}


async def test_waiting_for_agent_sides_reads_no_call_bodies(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = await store.create_run(1)
    await store.register_result(1, run.id, "a" * 32, scenario_id="s")
    await store.register_result(1, run.id, "b" * 32, scenario_id="s")
    await _ingest(store, "agent-a", sip_headers={"X-Result-Id": "a" * 32})

    async def bodies(*args: Any) -> None:
        raise AssertionError("list_results reads every call's body")

    monkeypatch.setattr(store, "list_results", bodies)
    answered = {"a" * 32, "b" * 32}
    assert await wait_for_agent_sides(store, 1, run.id, answered, timeout_s=0) == {"b" * 32}


async def _ingest(store: Store, call_id: str, **links: Any) -> None:
    await store.ingest_call(1, "bot", prepare_call(call_body(call_id, **links)))
