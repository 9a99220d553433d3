"""One side of a text-mode call: an `AgentSession` in text mode inside its own job context.

Each side gets its own fake `JobContext` (`livekit.agents.testing.fake_job_context`), so code
that reaches for the job (`get_job_context()`, `EndCallTool`) works as in a worker, and the
two sessions never share one. Everything that starts work on a session runs in that side's
context.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from livekit.agents import (
    Agent,
    AgentSession,
    CloseEvent,
    ConversationItemAddedEvent,
    ErrorEvent,
    JobContext,
)
from livekit.agents.testing import fake_job_context

from ringback.core.contract import DisconnectionReason
from ringback.core.delivery import SubmitResult
from ringback.livekit import RingbackPlugin

logger = logging.getLogger("ringback.simulator.text")
T = TypeVar("T")

CLOSE_WAIT_S = 10.0
"""Seconds a side that hung up may take to close its session (its last words drain)."""


class Party:
    """An `AgentSession` in text mode, what it said that the other side has not heard yet,
    and its Ringback recording."""

    def __init__(
        self, name: str, session: AgentSession[Any], *, job_id: str, agent_name: str, room: str
    ) -> None:
        self.name = name
        self.session = session
        with fake_job_context(job_id=job_id) as job:
            job.job.agent_name = agent_name
            job.job.room.name = room
            self.context = contextvars.copy_context()
        self.job: JobContext = job
        self.plugin: RingbackPlugin | None = None
        self.closed: asyncio.Future[CloseEvent] = asyncio.get_running_loop().create_future()
        self.error: str | None = None
        """The last turn's failure (an LLM error), if any."""
        self._closing = False
        self._unheard: list[str] = []
        session.on("conversation_item_added", self._on_item)
        session.on("close", self._on_close)
        session.on("error", self._on_error)

    # ── running things in this side's job context ─────────────────────────────
    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self.context.run(fn, *args, **kwargs)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.create_task(coro, context=self.context)

    # ── lifecycle ─────────────────────────────────────────────────────────────
    def record(self, **keywords: Any) -> RingbackPlugin:
        """Attach a `RingbackPlugin` (before `start`)."""
        self.plugin = self.call(RingbackPlugin, self.session, self.job, **keywords)
        return self.plugin

    async def start(self, agent: Agent) -> None:
        await self.run(self.session.start(agent))
        await self.settle()

    @property
    def alive(self) -> bool:
        """Neither closed nor closing."""
        return not self._closing and not self.closed.done()

    async def respond(self, heard: str | None) -> None:
        """One turn: reply to `heard` (or speak unprompted when None), until idle.
        A failed turn (an exception, or an unrecoverable model error) is kept in `error`;
        it never raises."""
        self.error = None
        if not self.alive:
            return
        try:
            if heard:
                await self.call(self.session.run, user_input=heard)
            else:
                await self.call(self.session.generate_reply)
        except Exception as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            logger.info("text call: the %s's turn failed: %s", self.name, self.error)
        await self.settle()

    async def settle(self) -> bool:
        """Wait until the session is idle (handoffs and their greetings included); False
        when it is closing."""
        if not self.alive:
            return False
        try:
            await self.run(self.session.wait_for_idle())
        except Exception:  # the session is closing
            self._closing = True
            return False
        await asyncio.sleep(0)  # let done-callbacks of the finished speech run (end-call tools)
        return self.alive

    def take(self) -> str:
        """What this side said since the last `take`."""
        text = " ".join(t for t in self._unheard if t.strip()).strip()
        self._unheard.clear()
        return text

    async def wait_closed(self, timeout: float = CLOSE_WAIT_S) -> CloseEvent | None:
        try:
            return await asyncio.wait_for(asyncio.shield(self.closed), timeout)
        except asyncio.TimeoutError:
            return None

    async def hang_up(self) -> None:
        """Close the session now (the call is over for this side)."""
        if not self.closed.done():
            self._closing = True
            await self.run(self.session.aclose())

    async def finish_recording(
        self, reason: DisconnectionReason | None = None
    ) -> SubmitResult | None:
        """The call is over for this side: deliver its recording (idempotent), ended for
        `reason` when given."""
        if self.plugin is None:
            return None
        if reason is not None:
            self.plugin.set_disconnection_reason(reason)
        return await self.run(self.plugin.finish())

    @property
    def close_error(self) -> str | None:
        if not self.closed.done() or self.closed.cancelled():
            return None
        error = self.closed.result().error
        if error is None:
            return None
        cause = getattr(error, "error", error)
        return f"{type(cause).__name__}: {cause}"

    # ── events ────────────────────────────────────────────────────────────────
    def _on_item(self, ev: ConversationItemAddedEvent) -> None:
        item = ev.item
        if getattr(item, "role", None) == "assistant":
            text = getattr(item, "text_content", None)
            if text:
                self._unheard.append(text)

    def _on_error(self, ev: ErrorEvent) -> None:
        # A failed generation ends the turn silently; an unrecoverable one fails the turn.
        if getattr(ev.error, "recoverable", True) is False:
            cause = getattr(ev.error, "error", ev.error)
            self.error = f"{type(cause).__name__}: {cause}"

    def _on_close(self, ev: CloseEvent) -> None:
        if not self.closed.done():
            self.closed.set_result(ev)


__all__ = ["Party"]
