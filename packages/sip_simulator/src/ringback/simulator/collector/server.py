"""Run the collector on uvicorn: bind, first-run key, serve, shut down gracefully."""

from __future__ import annotations

import contextlib
import gc
import signal
import socket
import threading
from collections.abc import Callable, Iterator

import uvicorn

from ringback.simulator.store import Store
from ringback.simulator.store.api_key_format import export_lines

from .app import create_app
from .defaults import DEFAULT_WORKSPACE_ID
from .settings import CollectorSettings

FIRST_RUN_KEY_NAME = "first-run"

Printer = Callable[[str], None]


async def ensure_first_key(store: Store, out: Printer) -> None:
    """On a database that has never had a key, create one for workspace 1 and print it once,
    so `ringback-sim serve` works for local use with no setup. Later runs print nothing."""
    if await store.count_keys() > 0:
        return
    new = await store.create_key(DEFAULT_WORKSPACE_ID, FIRST_RUN_KEY_NAME)
    lines = export_lines(new.key, DEFAULT_WORKSPACE_ID).split("\n")
    out(
        "No API keys yet, so one was created for workspace "
        f"{DEFAULT_WORKSPACE_ID}. It is shown only this once; point your agents at it:\n\n"
        + "\n".join(f"    {line}" for line in lines)
        + "\n\nMore keys: `ringback-sim keys create --workspace N`; list or revoke them with "
        "`ringback-sim keys list` / `ringback-sim keys revoke ID`.\n"
    )


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (port 0 picks a free one)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class _Server(uvicorn.Server):
    """uvicorn's server, plus an `on_ready` callback once it accepts requests (and its stop
    signals are handled), minus re-raising the stop signal after a graceful shutdown (which
    would kill the process before the store is closed, with a non-zero status)."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._on_ready is not None:
            self._on_ready()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in stops}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def uvicorn_server(
    store: Store, settings: CollectorSettings, on_ready: Callable[[], None] | None = None
) -> uvicorn.Server:
    """A uvicorn server for the app; request logging is the app's own (one line each)."""
    config = uvicorn.Config(
        create_app(store=store, settings=settings),
        log_config=None,
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=max(1, round(settings.graceful_shutdown_seconds)),
    )
    return _Server(config, on_ready)


def freeze_startup_objects() -> None:
    """Move everything built at startup (the imported frameworks: about 200,000 objects)
    out of the garbage collector's reach. Otherwise every full collection walks them all,
    a pause of ~130 ms that lands on whichever requests are in flight (the p99 tail)."""
    gc.collect()
    gc.freeze()


async def serve(settings: CollectorSettings, out: Printer = print) -> bool:
    """Serve until SIGINT/SIGTERM; in-flight requests finish first. Returns False when the
    server could not start."""
    settings.check()
    store = await Store.open(settings.database_url)
    try:
        if not settings.no_auth:
            await ensure_first_key(store, out)
        sock = bind(settings.host, settings.port)
        mode = " (no auth: any request is accepted)" if settings.no_auth else ""
        ready = f"Collector listening on {url_of(sock)}{mode}; database {store.description}"
        server = uvicorn_server(store, settings, on_ready=lambda: out(ready))
        freeze_startup_objects()
        try:
            await server.serve(sockets=[sock])
        finally:
            sock.close()
        out("Collector stopped.")
        return server.started
    finally:
        await store.close()
