"""The real LiveKit stack (livekit-server + livekit-sip) the `livekit_stack` tests run against.

`../shared/livekit-stack/with-stack CMD` starts one and sets `LIVEKIT_URL`, `LIVEKIT_API_KEY`,
`LIVEKIT_API_SECRET`, `LIVEKIT_SIP_ADDRESS`, `LIVEKIT_STACK_LOGS` and `RINGBACK_LIVEKIT_STACK=1`.
Any LiveKit server with SIP works the same way given the first four variables
(`LIVEKIT_SIP_ADDRESS`: the host:port its livekit-sip answers on).

Agent workers run in this process (`running_server`), with jobs in threads, registered with
the stack before the test dials.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from livekit import api
from livekit.agents import AgentServer, JobExecutorType

REQUIRED = ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "LIVEKIT_SIP_ADDRESS")
HOW_TO_RUN = (
    "they need a LiveKit server with SIP: uv sync, then "
    "../shared/livekit-stack/with-stack .venv/bin/pytest -m livekit_stack; or set "
    "LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET and LIVEKIT_SIP_ADDRESS (host:port of "
    "its SIP service) to run them against your own"
)
REGISTER_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Stack:
    url: str
    api_key: str
    api_secret: str
    sip_address: str
    """host:port of livekit-sip: where an agent's SIP address points."""
    logs: Path | None
    """The stack's log folder (with-stack only)."""

    @classmethod
    def from_env(cls) -> Stack | None:
        values = {name: os.environ.get(name, "").strip() for name in REQUIRED}
        if not all(values.values()):
            return None
        logs = os.environ.get("LIVEKIT_STACK_LOGS")
        return cls(
            url=values["LIVEKIT_URL"],
            api_key=values["LIVEKIT_API_KEY"],
            api_secret=values["LIVEKIT_API_SECRET"],
            sip_address=values["LIVEKIT_SIP_ADDRESS"],
            logs=Path(logs) if logs else None,
        )

    def api(self) -> api.LiveKitAPI:
        return api.LiveKitAPI(self.url, self.api_key, self.api_secret)

    def sip_uri(self, number: str) -> str:
        return f"sip:{number}@{self.sip_address}"

    def sip_log(self) -> str:
        """livekit-sip's log so far ('' when it is not ours to read)."""
        if self.logs is None:
            return ""
        return (self.logs / "livekit-sip.log").read_text(encoding="utf-8", errors="replace")

    def logged_sip_call_ids(self, livekit_call_id: str) -> set[str]:
        """The `sipCallID`s livekit-sip logged on lines about `livekit_call_id` (`SCL_...`)."""
        found: set[str] = set()
        for line in self.sip_log().splitlines():
            if livekit_call_id in line:
                found.update(re.findall(r'"sipCallID":\s*"([^"]+)"', line))
        return found


def unique(prefix: str) -> str:
    """A name no other test uses (trunk numbers, agent names, rooms)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@contextlib.asynccontextmanager
async def running_server(server: AgentServer) -> AsyncIterator[AgentServer]:
    """Run an `AgentServer` until exit, returning once it is registered with the server."""
    registered = asyncio.Event()
    server.on("worker_registered", lambda *_: registered.set())
    task = asyncio.create_task(server.run(devmode=True))
    try:
        waiter = asyncio.create_task(registered.wait())
        done, _ = await asyncio.wait(
            {task, waiter}, timeout=REGISTER_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
        if task in done:
            task.result()  # raises why it stopped
            raise RuntimeError("the agent server stopped before it registered")
        if not registered.is_set():
            raise TimeoutError(f"the agent server did not register in {REGISTER_TIMEOUT_S:g}s")
        yield server
    finally:
        await server.aclose()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def worker_options() -> dict[str, object]:
    """`AgentServer` options for a worker inside a test: jobs in threads of this process, no
    HTTP port to collide on, and never unavailable because the machine is busy."""
    return {
        "job_executor_type": JobExecutorType.THREAD,
        "load_fnc": lambda *_: 0.0,
        "port": 0,
        "num_idle_processes": 0,
    }
