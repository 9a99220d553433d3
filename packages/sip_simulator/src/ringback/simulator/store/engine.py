"""Database URLs and engines: SQLite through the standard sqlite3 driver on dedicated
threads, PostgreSQL through asyncpg.

Why not aiosqlite: through SQLAlchemy's asyncio extension every statement is several thread
hops (cursor, execute, fetch, close), which measured ~4x the CPU of running the same
transaction as one call on a thread; at the collector's load target that overhead was the
largest cost. Each SQLite transaction here is one hop, and the event loop never blocks.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ringback.core.errors import RingbackError

DatabaseError = SQLAlchemyError
"""Any failure of the database behind the store."""
DatabaseUnavailable = OperationalError
"""The database is busy, locked or unreachable: worth retrying shortly."""

SQLITE_BUSY_TIMEOUT_MS = 5_000
WRITE_OPTION = "ringback_write"
"""Execution option marking a transaction that will write (SQLite: BEGIN IMMEDIATE)."""


def database_url(value: str) -> str:
    """Turn what a user passes into the SQLAlchemy URL the collector uses.

    A plain path is a SQLite file. `sqlite://` (and `sqlite+aiosqlite://`) use the standard
    sqlite3 driver; `postgres://` / `postgresql://` get the asyncpg driver. Explicit
    PostgreSQL drivers are kept (they must be asyncio drivers).
    """
    value = value.strip()
    if not value:
        raise ValueError("the database URL is empty")
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    scheme, rest = value.split("://", 1)
    scheme = {
        "sqlite+aiosqlite": "sqlite",
        "sqlite+pysqlite": "sqlite",
        "postgres": "postgresql+asyncpg",
        "postgresql": "postgresql+asyncpg",
    }.get(scheme, scheme)
    return f"{scheme}://{rest}"


def describe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def hide_password(url: str, text: str) -> str:
    """`text` (an error message, say) with the password of `url` replaced by `***`."""
    password = make_url(url).password
    return text.replace(str(password), "***") if password else text


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    """The file behind a SQLite URL; `ValueError` for in-memory databases."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ValueError(
            "the collector needs a SQLite file (sqlite:///PATH), not an in-memory database"
        )
    return Path(database)


def private_file(path: Path) -> None:
    """Create `path` (and the folders above it that are missing) readable by its owner only:
    0600 for the file, 0700 for the folders. It holds calls and API-key hashes. SQLite gives
    its `-wal` and `-shm` files the database file's mode. An existing file is left as it is."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def create_sqlite_engine(url: str) -> Engine:
    """A SQLite engine with WAL, synchronous=NORMAL, a busy timeout, foreign keys, and
    `BEGIN IMMEDIATE` for write transactions. A new database file (and a folder made for it)
    is readable by its owner only."""
    private_file(sqlite_path(url))
    engine = create_engine(url, pool_size=4, max_overflow=4)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (below), so writers can take the lock up front.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes fails with SQLITE_BUSY when
        # another writer committed in between; IMMEDIATE takes the write lock first.
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


class DriverMissingError(RingbackError, ValueError):
    """The database URL needs a driver that is not installed; the message says how to add it."""


def check_driver(url: str) -> None:
    """Raise `DriverMissingError` when `url` (as `database_url` returns it) needs a driver
    that is not installed: PostgreSQL's asyncpg comes with the `postgres` extra."""
    if make_url(url).get_driver_name() != "asyncpg":
        return
    try:
        importlib.import_module("asyncpg")
    except ImportError:
        raise DriverMissingError(
            f"the database {describe(url)} needs the asyncpg driver, which is not installed: "
            "pip install 'ringback-simulator[postgres]' (or uv sync --extra postgres)"
        ) from None


def create_server_engine(url: str) -> AsyncEngine:
    """An asyncio engine for a database server (PostgreSQL with asyncpg)."""
    check_driver(url)
    return create_async_engine(url, pool_pre_ping=True)
