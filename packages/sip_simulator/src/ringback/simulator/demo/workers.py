"""LiveKit agent workers run inside this process: the demo's agent under test and its
simulated callers, each job in a thread, registered before anything is dialled."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from livekit.agents import AgentServer, JobExecutorType

from ringback.core.errors import RingbackError

REGISTER_TIMEOUT_S = 30.0


def in_process_options() -> dict[str, Any]:
    """`AgentServer` options for a worker living in this process: jobs in threads, no HTTP
    health port to collide on, and never unavailable because the machine is busy (the
    default load limit turns a loaded laptop away)."""
    return {
        "job_executor_type": JobExecutorType.THREAD,
        "load_fnc": lambda *_: 0.0,
        "port": 0,
        "num_idle_processes": 0,
    }


class WorkerStartError(RingbackError, RuntimeError):
    """A worker could not register with the LiveKit server."""


@contextlib.asynccontextmanager
async def running_worker(server: AgentServer) -> AsyncIterator[AgentServer]:
    """Run `server` until exit; enter once it is registered with the LiveKit server."""
    registered = asyncio.Event()
    server.on("worker_registered", lambda *_: registered.set())
    task = asyncio.create_task(server.run(devmode=True))
    waiter = asyncio.create_task(registered.wait())
    try:
        done, _ = await asyncio.wait(
            {task, waiter}, timeout=REGISTER_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        if task in done:
            exc = task.exception()
            raise WorkerStartError(
                f"the worker stopped before it registered with LiveKit: {exc or 'no reason'}"
            )
        if not registered.is_set():
            raise WorkerStartError(
                f"the worker did not register with LiveKit within {REGISTER_TIMEOUT_S:g}s; "
                "check LIVEKIT_URL is reachable"
            )
        yield server
    finally:
        waiter.cancel()
        await server.aclose()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


__all__ = ["WorkerStartError", "in_process_options", "running_worker"]
