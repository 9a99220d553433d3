"""A real Create Call API server for tests (POST /api/v1/public/call on 127.0.0.1).

It records every request, stores calls idempotently by (workspace_id, agent id, call_id)
(201 `{id, is_new: true}` the first time, 409 after), checks an optional bearer key (401
otherwise) and plays a fault script, one `Fault` per request, to simulate a misbehaving
backend. Three ways to run it:

- in the test's event loop: `async with CreateCallServer() as server: ...`
- in a thread with its own loop, for synchronous tests (CLI runners): `with server.in_thread():`
- as a process: `python tests/support/create_call_server.py [--api-key K]` prints
  `listening <url>` and serves until SIGTERM; `/_control/...` endpoints script and inspect it.

Waiting is done on notifications (`wait_until`, `wait_for_requests`), never on sleeps.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from aiohttp import web

from ringback.core.protocol import CALL_PATH
from ringback.core.testing import StateSignal, running_in_thread


@dataclass
class Fault:
    """How to answer one request instead of (or on top of) the normal behaviour.

    Steps, in order: wait `delay` seconds; if `store` (or nothing else is asked), process the
    call normally (auth, store); if `hold`, wait until `release()` or the server stops; if
    `drop`, close the connection without answering; else answer `status` (with `body` and
    `headers`) or, without a status, the normal answer.
    """

    status: int | None = None
    body: Any = None
    """A dict/list (sent as JSON), str or bytes."""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False
    hold: bool = False
    store: bool = False

    @property
    def processes(self) -> bool:
        return self.store or (self.status is None and not self.drop and not self.hold)


@dataclass
class ReceivedRequest:
    """One request as the server saw it."""

    seq: int
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-cased names."""
    raw: bytes
    body: Any
    """Parsed JSON, or None."""
    fault: Fault | None = None
    status: int | None = None
    """What was answered (None: dropped, held or not answered yet)."""
    at: float = field(default_factory=time.monotonic)
    """When it arrived (`time.monotonic()`)."""

    @property
    def call_id(self) -> str | None:
        return self.body.get("call_id") if isinstance(self.body, dict) else None


class CreateCallServer:
    """See the module docstring."""

    def __init__(self, *, api_key: str | None = None, host: str = "127.0.0.1") -> None:
        self.api_key = api_key
        self.host = host
        self.port = 0
        self.requests: list[ReceivedRequest] = []
        self.calls: dict[tuple[str, str, str], Any] = {}
        self.faults: deque[Fault] = deque()
        self.always: Fault | None = None
        """Used when the script is empty (e.g. a sink that is always down)."""
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)
        self._signal = StateSignal()
        self._lock = threading.Lock()
        """Guards `calls` (the in-process and threaded modes share it)."""
        self._release: asyncio.Event | None = None
        self._runner: web.AppRunner | None = None

    # ── scripting ─────────────────────────────────────────────────────────────
    def script(self, *faults: Fault) -> None:
        """Queue faults, consumed one per request in arrival order."""
        self.faults.extend(faults)

    def release(self) -> None:
        """Let held requests continue."""
        if self._signal.loop is not None and self._release is not None:
            self._signal.loop.call_soon_threadsafe(self._release.set)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stored(self, call_id: str) -> list[Any]:
        """Every stored copy of `call_id` (any workspace or agent)."""
        return [b for (_, _, c), b in self.calls.items() if c == call_id]

    def for_call(self, call_id: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.call_id == call_id]

    # ── lifecycle (in the running loop) ───────────────────────────────────────
    async def start(self, port: int = 0) -> None:
        self._signal.bind()
        self._release = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post(CALL_PATH, self._handle)
        app.router.add_post("/_control/script", self._control_script)
        app.router.add_post("/_control/release", self._control_release)
        app.router.add_get("/_control/requests", self._control_requests)
        app.router.add_get("/_control/calls", self._control_calls)
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._release is not None:
            self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> CreateCallServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ── lifecycle (own loop in a thread) ──────────────────────────────────────
    @contextlib.contextmanager
    def in_thread(self) -> Iterator[CreateCallServer]:
        """Run the server in a background thread with its own event loop."""
        with running_in_thread(self.start, self.stop, name="create-call-server"):
            yield self

    # ── waiting ───────────────────────────────────────────────────────────────
    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until `predicate()` holds, re-checking whenever the server's state changes."""
        await self._signal.wait_until(predicate, timeout)

    def wait_until_sync(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """`wait_until` for threads other than the server's loop."""
        self._signal.wait_until_sync(predicate, timeout)

    async def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """Wait until `n` call requests have arrived (whether answered or not)."""
        await self.wait_until(lambda: len(self.requests) >= n, timeout)
        return self.requests[:n]

    async def _notify(self) -> None:
        await self._signal.notify()

    # ── the endpoint ──────────────────────────────────────────────────────────
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        rec = ReceivedRequest(
            seq=next(self._seq),
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers={k.lower(): v for k, v in request.headers.items()},
            raw=raw,
            body=body,
        )
        fault = self.faults.popleft() if self.faults else self.always
        rec.fault = fault
        self.requests.append(rec)
        await self._notify()

        assert self._release is not None
        if fault is not None and fault.delay:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._release.wait(), fault.delay)
        status, payload = 0, None
        if fault is None or fault.processes:
            status, payload = self._process(rec)
            await self._notify()
        if fault is not None and fault.hold:
            await self._release.wait()
        if fault is not None and fault.drop:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError  # aiohttp's quiet way out of a handler
        headers = {"x-request-id": f"srv-{rec.seq}"}
        if fault is not None and fault.status is not None:
            status, payload = fault.status, fault.body
            headers.update(fault.headers)
        rec.status = status
        await self._notify()
        if isinstance(payload, (dict, list)):
            return web.json_response(payload, status=status, headers=headers)
        if isinstance(payload, str):
            payload = payload.encode()
        return web.Response(body=payload or b"", status=status, headers=headers)

    def _process(self, rec: ReceivedRequest) -> tuple[int, Any]:
        if self.api_key is not None and rec.headers.get("authorization") != (
            f"Bearer {self.api_key}"
        ):
            return 401, {"detail": "Invalid or missing API key"}
        workspace = rec.query.get("workspace_id")
        agent = rec.query.get("agent_remote_identifier")
        if not workspace or not agent:
            return 422, {"detail": "workspace_id and agent_remote_identifier are required"}
        if not isinstance(rec.body, dict) or not isinstance(rec.body.get("call_id"), str):
            return 422, {"detail": "body must be a JSON object with a call_id"}
        key = (workspace, agent, rec.body["call_id"])
        with self._lock:
            if key in self.calls:
                return 409, {"detail": "call already exists"}
            self.calls[key] = rec.body
        return 201, {"id": next(self._ids), "is_new": True}

    # ── control endpoints (for the out-of-process mode) ───────────────────────
    async def _control_script(self, request: web.Request) -> web.Response:
        self.script(*(Fault(**f) for f in await request.json()))
        return web.json_response({"queued": len(self.faults)})

    async def _control_release(self, request: web.Request) -> web.Response:
        assert self._release is not None
        self._release.set()
        return web.json_response({})

    async def _control_requests(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {**asdict(r), "raw": None, "fault": asdict(r.fault) if r.fault else None}
                for r in self.requests
            ]
        )

    async def _control_calls(self, request: web.Request) -> web.Response:
        return web.json_response([{"key": list(k), "body": b} for k, b in self.calls.items()])


async def _serve(port: int, api_key: str | None) -> None:
    server = CreateCallServer(api_key=api_key)
    await server.start(port)
    print(f"listening {server.url}", flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    await done.wait()
    await server.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key")
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.api_key))
