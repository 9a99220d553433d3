"""The demo's collector: served in-process on 127.0.0.1 and a free port, over a SQLite file,
with Ringback's delivery pointed at it (`RINGBACK_*`) only while it runs."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from ringback.simulator.collector.embedded import embedded_collector
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
    """Serve `directory/collector.sqlite3` on 127.0.0.1 with a new workspace-1 key until exit."""
    config = CollectorSettings(database_url=str(directory / DB_NAME), port=0)
    async with embedded_collector(config) as collector:
        new = await collector.store.create_key(WORKSPACE_ID, "ringback-sim demo")
        yield DemoCollector(collector.url, collector.store, config.database_url, new.key)


__all__ = [
    "DB_NAME",
    "WORKSPACE_ID",
    "DemoCollector",
    "delivery_env",
    "running_collector",
]
