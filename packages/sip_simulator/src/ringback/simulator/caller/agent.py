"""`SimulatedCaller`: the LiveKit `Agent` that plays a scenario's caller."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from livekit.agents import Agent, AgentSession, RunContext, function_tool
from livekit.agents.llm import LLM

from .brief import CallerBrief
from .script import HANG_UP_TOOL, ScriptedTurns

logger = logging.getLogger("ringback.simulator.caller")

HANG_UP = "hang_up"
"""`ended_by` when the caller used its hang-up tool."""
MAX_DURATION = "max_duration"
"""`ended_by` when the call reached the scenario's max duration."""


class SimulatedCaller(Agent):
    """Plays `brief`'s caller: its persona as instructions, and a `hang_up` tool.

    With scripted turns (and no `llm` given) it says them in order, one per agent reply,
    through `ScriptedTurns`, then hangs up; otherwise it improvises with the session's LLM
    (or `llm`). Hanging up closes the session once the goodbye has been said; whoever runs
    the session ends the call from there (the worker deletes the room).

    `end_grace_s`: on a real call, how long a scripted caller with no lines left waits for
    the agent to hang up before it does, as a person who said goodbye waits for the click
    (without it, both sides would race to hang up after the last words).
    """

    def __init__(
        self, brief: CallerBrief, *, llm: LLM[Any] | str | None = None, end_grace_s: float = 0.0
    ) -> None:
        if llm is None and brief.scripted:
            llm = ScriptedTurns(brief.scenario.turns, hang_up_tool=HANG_UP_TOOL)
        kwargs: dict[str, Any] = {} if llm is None else {"llm": llm}
        super().__init__(instructions=brief.persona(), **kwargs)
        self.brief = brief
        self.end_grace_s = end_grace_s if brief.scripted else 0.0
        self.ended_by: str | None = None
        """Why the caller ended the call (`hang_up`, `max_duration`), or None (the agent
        did)."""

    @function_tool(name=HANG_UP_TOOL)
    async def hang_up(self, context: RunContext[Any]) -> None:
        """End the phone call. Use it only after you have said goodbye: when your goal is met,
        or when it clearly cannot be met."""
        session = context.session
        # Returning None asks for no reply; hang up once this turn (the goodbye) has been said.
        context.speech_handle.add_done_callback(lambda _: self._hang_up_after_grace(session))

    def _hang_up_after_grace(self, session: AgentSession[Any]) -> None:
        if self.end_grace_s <= 0:
            self._hang_up(session)
            return
        timer = asyncio.get_running_loop().call_later(self.end_grace_s, self._hang_up, session)
        session.once("close", lambda _: timer.cancel())

    def _hang_up(self, session: AgentSession[Any]) -> None:
        self._mark(HANG_UP)
        session.shutdown()

    def end_call(self, reason: str = MAX_DURATION) -> None:
        """Hang up now, mid-sentence if need be (the max duration does this)."""
        self._mark(reason)
        try:
            session = self.session
        except RuntimeError:
            return  # not running (yet, or any more)
        session.shutdown(drain=False)

    def _mark(self, reason: str) -> None:
        if self.ended_by is None:
            self.ended_by = reason
            logger.info("simulated caller %s: hanging up (%s)", self.brief.result_id, reason)


__all__ = ["HANG_UP", "MAX_DURATION", "SimulatedCaller"]
