"""The store: versioned schema, SQLite settings, hashed keys, database URLs, PostgreSQL DDL."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import Connection, Executable, insert, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from ringback.simulator.collector.store import (
    SCHEMA_VERSION,
    SchemaError,
    SchemaTooNewError,
    Store,
    database_url,
)
from ringback.simulator.collector.store.schema import metadata, schema_version
from ringback.simulator.collector.store.types import utcnow


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
    with pytest.raises(SchemaTooNewError, match=r"schema version 99.*only knows up to version 1"):
        await Store.open(path)


async def test_foreign_tables_without_a_version_are_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "c.sqlite3")
    async with await Store.open(path) as store:
        await store.write(_execute, text("DROP TABLE schema_version"))
    with pytest.raises(SchemaError, match="not created by ringback-sim"):
        await Store.open(path)


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
