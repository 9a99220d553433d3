"""The real collector on uvicorn, on 127.0.0.1 and a free port, in the test's event loop.

    async with running_collector(tmp_path) as collector:
        ...  # collector.url, collector.store, collector.key (workspace 1), collector.headers()

The listening socket is bound before the server task starts, so requests made right away
simply queue until the app is ready: no waiting or polling is needed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ringback.core.protocol import CALL_PATH
from ringback.simulator.collector.server import bind, url_of, uvicorn_server
from ringback.simulator.collector.settings import CollectorSettings
from ringback.simulator.store import Store


@dataclass
class RunningCollector:
    url: str
    store: Store
    settings: CollectorSettings
    key: str
    """An active key of workspace 1."""
    key_id: int

    def headers(self, key: str | None = None, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}", **extra}

    def call_url(self, workspace_id: int = 1, agent: str = "support-bot") -> str:
        query = httpx.QueryParams(workspace_id=workspace_id, agent_remote_identifier=agent)
        return f"{self.url}{CALL_PATH}?{query}"


@contextlib.asynccontextmanager
async def running_collector(tmp_path: Path, **settings: Any) -> AsyncIterator[RunningCollector]:
    """Open a store in `tmp_path`, create a workspace-1 key, and serve it until exit."""
    db = tmp_path / "collector.sqlite3"
    config = CollectorSettings(database_url=str(db), port=0, **settings)
    store = await Store.open(config.database_url)
    new = await store.create_key(1, "tests")
    sock = bind("127.0.0.1", 0)
    server = uvicorn_server(store, config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield RunningCollector(
            url=url_of(sock), store=store, settings=config, key=new.key, key_id=new.info.id
        )
    finally:
        server.should_exit = True
        await task
        sock.close()
        await store.close()
