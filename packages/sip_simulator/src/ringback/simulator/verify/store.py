"""The verify call in the collector's store: its run and result (registered the way a real
run registers them, so linking works the same), the wait for the agent's side, and the
unlinked calls that arrived meanwhile."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ringback.simulator.plan import PlannedCall
from ringback.simulator.store import Store, StoredCall

MAX_CANDIDATES = 50
"""Unlinked calls looked at when nothing links (newest first)."""


@dataclass(frozen=True)
class Candidate:
    """An unlinked agent-side call that arrived while verify waited."""

    call: StoredCall
    mentions: int
    """How many of the verify call's ids its body mentions (0: nothing ties it to it)."""


@dataclass(frozen=True)
class Registration:
    """The verify run and result, and the newest call stored before the call was placed."""

    store: Store
    workspace_id: int
    call: PlannedCall
    marker: int
    """Calls with a larger id arrived after the verify call started."""

    @property
    def result_id(self) -> str:
        return self.call.result_id

    async def set_dialled_call_id(self, sip_call_id: str) -> None:
        """Record the dialled Call-ID; a call already synced with it links now."""
        await self.store.set_dialled_call_id(self.workspace_id, self.result_id, sip_call_id)

    async def wait_for_agent_call(
        self, *, timeout_s: float, poll_interval_s: float
    ) -> tuple[StoredCall | None, float]:
        """The agent's side once it is linked (None after `timeout_s`), and the seconds
        waited."""
        started = time.monotonic()
        deadline = started + max(timeout_s, 0.0)
        while True:
            linked = await self.store.get_result(self.workspace_id, self.result_id)
            if linked is not None and linked.agent_call is not None:
                return linked.agent_call, time.monotonic() - started
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None, time.monotonic() - started
            await asyncio.sleep(min(poll_interval_s, remaining))

    async def candidates(self, evidence: Sequence[str | None]) -> list[Candidate]:
        """Agent-side calls that arrived since the call started and link to nothing, the
        likeliest first: those mentioning more of `evidence` (ids of this call), then the
        newest."""
        summaries = await self.store.list_calls(
            self.workspace_id, linked=False, side="agent", limit=MAX_CANDIDATES
        )
        found: list[StoredCall] = []
        for summary in summaries:
            if summary.id <= self.marker:
                continue
            call = await self.store.get_call(self.workspace_id, summary.id)
            if call is not None:
                found.append(call)
        wanted = [e.lower() for e in evidence if e]

        def mentions(call: StoredCall) -> int:
            text = json.dumps(call.body).lower()
            return sum(1 for e in wanted if e in text)

        scored = [Candidate(call, mentions(call)) for call in found]
        return sorted(scored, key=lambda c: (c.mentions, c.call.id), reverse=True)

    async def finish(self) -> None:
        await self.store.finish_run(self.workspace_id, self.call.run_id)


async def register(
    store: Store, workspace_id: int, call: PlannedCall, *, name: str, transport: str
) -> Registration:
    """Create the verify run and its one result, as `ringback-sim run` does for its calls."""
    await store.create_run(
        workspace_id,
        run_id=call.run_id,
        name=name,
        metadata={"verify": {"transport": transport}},
    )
    await store.register_result(
        workspace_id,
        call.run_id,
        call.result_id,
        scenario_id=call.scenario_id,
        metadata={"headers": sorted(call.headers), "verify": True},
    )
    newest = await store.list_calls(workspace_id, limit=1)
    return Registration(store, workspace_id, call, newest[0].id if newest else 0)


__all__ = ["MAX_CANDIDATES", "Candidate", "Registration", "register"]
