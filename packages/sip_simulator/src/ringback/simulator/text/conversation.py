"""The turn loop of a text-mode call: what one side says is what the other hears.

The agent speaks first when it greets (its `on_enter`); otherwise the caller opens. Then the
caller and the agent take turns until one of them hangs up (the caller's `hang_up` tool, or
the agent closing its session, e.g. with `EndCallTool`), the max duration passes, a side
fails, or neither says anything for `QUIET_ROUNDS` rounds. What a side says as it hangs up
stays in its own transcript; the other side does not hear it (the line is dead).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal

from ringback.simulator.caller.agent import MAX_DURATION, SimulatedCaller

from .party import Party

QUIET_ROUNDS = 2

Side = Literal["caller", "agent"]
EndReason = Literal["hangup", "max_duration", "silence", "error", "cancelled"]


@dataclass(frozen=True)
class Ending:
    """How a text-mode call ended."""

    by: Side | None
    """Who ended it (None: nobody spoke any more)."""
    reason: EndReason
    detail: str | None = None


async def converse(
    agent: Party, caller: Party, caller_agent: SimulatedCaller, *, max_duration_s: float
) -> Ending:
    """Run the conversation; both sessions have started. Returns how it ended (the
    sessions may still be closing)."""
    try:
        async with asyncio.timeout(max_duration_s):
            return await _turns(agent, caller, caller_agent)
    except TimeoutError:
        caller.call(caller_agent.end_call, MAX_DURATION)
        return Ending("caller", "max_duration")


async def _turns(agent: Party, caller: Party, caller_agent: SimulatedCaller) -> Ending:
    heard = agent.take()  # the greeting, if the agent greets
    if not agent.alive:
        return await _ended(agent, "agent")
    quiet = 0
    while True:
        await caller.respond(heard or None)
        said = caller.take()
        if caller_agent.ended_by is not None:
            return Ending("caller", "hangup")
        if caller.error is not None or not caller.alive:
            return Ending("caller", "error", caller.error or caller.close_error)
        await agent.respond(said or None)
        heard = agent.take()
        if not agent.alive:
            return await _ended(agent, "agent")
        quiet = 0 if said or heard else quiet + 1
        if quiet >= QUIET_ROUNDS:
            return Ending(None, "silence", f"neither side spoke for {quiet} rounds")


async def _ended(party: Party, side: Side) -> Ending:
    await party.wait_closed()
    error = party.close_error
    if error is not None:
        return Ending(side, "error", error)
    return Ending(side, "hangup")


__all__ = ["QUIET_ROUNDS", "Ending", "converse"]
