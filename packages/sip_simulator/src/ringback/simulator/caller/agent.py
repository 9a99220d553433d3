"""`SimulatedCaller`: the LiveKit `Agent` that plays a scenario's caller."""

from __future__ import annotations

import logging
from typing import Any

from livekit.agents import Agent, RunContext, function_tool
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
    """

    def __init__(self, brief: CallerBrief, *, llm: LLM | str | None = None) -> None:
        if llm is None and brief.scripted:
            llm = ScriptedTurns(brief.scenario.turns, hang_up_tool=HANG_UP_TOOL)
        kwargs: dict[str, Any] = {} if llm is None else {"llm": llm}
        super().__init__(instructions=brief.persona(), **kwargs)
        self.brief = brief
        self.ended_by: str | None = None
        """Why the caller ended the call (`hang_up`, `max_duration`), or None."""

    @function_tool(name=HANG_UP_TOOL)
    async def hang_up(self, context: RunContext) -> None:
        """End the phone call. Use it only after you have said goodbye: when your goal is met,
        or when it clearly cannot be met."""
        self._mark(HANG_UP)
        session = context.session
        # Returning None asks for no reply; close once this turn (the goodbye) has been said.
        context.speech_handle.add_done_callback(lambda _: session.shutdown())

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
