"""Where a transaction runs: SQLite on dedicated threads, a database server on the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from .engine import WRITE_OPTION

T = TypeVar("T")
Work = Callable[..., T]
"""A sync function taking a `Connection` first; it runs inside one transaction."""


class Backend(Protocol):
    dialect: str

    async def run(self, work: Work[T], *args: Any, write: bool) -> T: ...

    async def close(self) -> None: ...


class SQLiteBackend:
    """One writer thread (SQLite allows one writer at a time, so writes queue here instead of
    polling the file lock) and a few reader threads, so reads never wait behind writes."""

    dialect = "sqlite"

    def __init__(self, engine: Engine, readers: int = 2) -> None:
        self.engine = engine
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="ringback-db-write")
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="ringback-db-read")

    async def run(self, work: Work[T], *args: Any, write: bool) -> T:
        pool = self._writer if write else self._readers
        return await asyncio.get_running_loop().run_in_executor(
            pool, self._transaction, work, args, write
        )

    def _transaction(self, work: Work[T], args: tuple[Any, ...], write: bool) -> T:
        with self.engine.connect() as conn:
            conn = conn.execution_options(**{WRITE_OPTION: write})
            with conn.begin():
                return work(conn, *args)

    async def close(self) -> None:
        await asyncio.to_thread(self._shutdown)

    def _shutdown(self) -> None:
        self._writer.shutdown(wait=True)
        self._readers.shutdown(wait=True)
        self.engine.dispose()


class ServerBackend:
    """A database server through SQLAlchemy's asyncio extension (`run_sync`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    async def run(self, work: Work[T], *args: Any, write: bool) -> T:
        async with self.engine.begin() as conn:
            return await conn.run_sync(_call, work, args)

    async def close(self) -> None:
        await self.engine.dispose()


def _call(conn: Connection, work: Work[T], args: tuple[Any, ...]) -> T:
    return work(conn, *args)
