"""The demo's collector: served in-process on 127.0.0.1 and a free port, over a SQLite file,
with Ringback's delivery pointed at it (`RINGBACK_*`) only while it runs."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ringback.simulator.collector.server import bind, url_of, uvicorn_server
from ringback.simulator.collector.settings import CollectorSettings
from ringback.simulator.store import Store

WORKSPACE_ID = 1
DB_NAME = "collector.sqlite3"


@dataclass
class DemoCollector:
    url: str
    store: Store
    database_url: str
    key: str
    """An active key of workspace 1."""


@contextlib.contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, unset) environment variables; restore them all on exit."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def delivery_env(collector: DemoCollector, outbox: Path) -> dict[str, str | None]:
    """`RINGBACK_*` pointing the plugins and the simulator at `collector` (and nothing else)."""
    return {
        "RINGBACK_ENABLED": "true",
        "RINGBACK_BASE_URL": collector.url,
        "RINGBACK_API_KEY": collector.key,
        "RINGBACK_WORKSPACE_ID": str(WORKSPACE_ID),
        "RINGBACK_OUTBOX_DIR": str(outbox),
        "RINGBACK_EXTRA_SINKS": "[]",
        "RINGBACK_AGENT_ID": None,
        "RINGBACK_COLLECTOR_DATABASE_URL": collector.database_url,
    }


@contextlib.asynccontextmanager
async def running_collector(directory: Path) -> AsyncIterator[DemoCollector]:
    """Open `directory/collector.sqlite3`, create a workspace-1 key and serve until exit."""
    config = CollectorSettings(database_url=str(directory / DB_NAME), port=0)
    store = await Store.open(config.database_url)
    sock = None
    try:
        new = await store.create_key(WORKSPACE_ID, "ringback-sim demo")
        sock = bind("127.0.0.1", 0)
        server = uvicorn_server(store, config)
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            yield DemoCollector(url_of(sock), store, config.database_url, new.key)
        finally:
            server.should_exit = True
            await task
    finally:
        if sock is not None:
            sock.close()
        await store.close()


__all__ = [
    "DB_NAME",
    "WORKSPACE_ID",
    "DemoCollector",
    "delivery_env",
    "environment",
    "running_collector",
]
