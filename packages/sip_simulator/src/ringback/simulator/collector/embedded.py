"""The collector served in the caller's own event loop: what `demo` and `run --transport
text` start when nothing else is collecting, and what tests serve.

The listening socket is bound before the server task starts, so requests made right away
queue until the app is ready: nothing needs to wait or poll.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from ringback.simulator.store import Store

from .server import bind, url_of, uvicorn_server
from .settings import CollectorSettings


@dataclass
class EmbeddedCollector:
    url: str
    """`http://HOST:PORT`, the port the socket got."""
    store: Store
    settings: CollectorSettings


@contextlib.asynccontextmanager
async def embedded_collector(settings: CollectorSettings) -> AsyncIterator[EmbeddedCollector]:
    """Open `settings.database_url` and serve it on `settings.host` / `settings.port` (0: a
    free port) until the block exits; then stop gracefully and close the store."""
    settings.check()
    store = await Store.open(settings.database_url)
    sock = None
    try:
        sock = bind(settings.host, settings.port)
        server = uvicorn_server(store, settings)
        task = asyncio.create_task(server.serve(sockets=[sock]), name="ringback-collector")
        try:
            yield EmbeddedCollector(url_of(sock), store, settings)
        finally:
            server.should_exit = True
            await task
    finally:
        if sock is not None:
            sock.close()
        await store.close()


__all__ = ["EmbeddedCollector", "embedded_collector"]
