"""The simulated-caller worker: a LiveKit Agents `AgentServer` whose jobs play one caller each.

`ringback-sim run` dispatches `caller_agent_name` (default `ringback-caller`) into every call's
room with the caller's brief as the job metadata. `entrypoint` reads the brief, starts the
caller's `AgentSession` in the room (STT/LLM/TTS from the brief: LiveKit Inference model
strings), records the caller's side with the Ringback LiveKit plugin (marked as the caller
side, with the ids, so the collector attaches it to the same result), hangs up at the max
duration, and ends the call (deletes the room, shuts the job down) when the session closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from livekit import rtc
from livekit.agents import (
    AgentServer,
    AgentSession,
    CloseEvent,
    ConversationItemAddedEvent,
    JobContext,
    UserStateChangedEvent,
)
from livekit.agents.llm import LLM
from livekit.agents.stt import STT
from livekit.agents.tts import TTS
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.agents.utils import is_given
from livekit.agents.vad import VAD

from ringback.core.contract import DisconnectionReason
from ringback.livekit import RingbackPlugin

from .agent import MAX_DURATION, SimulatedCaller
from .brief import CallerBrief, CallerBriefError
from .voices import caller_voices

logger = logging.getLogger("ringback.simulator.caller")

DEFAULT_AGENT_NAME = "ringback-caller"
OPENING_WAIT_S = 8.0
"""Seconds the caller waits, once the agent has answered, for the agent to speak
before it opens the conversation itself."""
OPENING_INSTRUCTIONS = "The call is connected but the other side has not said anything yet."
SCRIPT_END_GRACE_S = 3.0
"""On a real call, how long a scripted caller out of lines waits for the agent to hang up."""


@dataclass
class CallerCall:
    """A running simulated caller: its agent, session and recorder."""

    brief: CallerBrief
    caller: SimulatedCaller
    session: AgentSession[None]
    plugin: RingbackPlugin
    closed: asyncio.Future[CloseEvent]
    """Set with the session's close event: the call is over for the caller."""
    _timers: list[asyncio.TimerHandle | asyncio.Task[Any]] = field(default_factory=list)

    async def wait(self) -> CloseEvent:
        """Wait until the call is over for the caller."""
        return await asyncio.shield(self.closed)

    def _cancel_timers(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()


async def start_caller(
    ctx: JobContext,
    brief: CallerBrief,
    *,
    llm: LLM[Any] | str | None = None,
    stt: STT[Any] | str | None = None,
    tts: TTS[Any] | str | None = None,
    vad: NotGivenOr[VAD | None] = NOT_GIVEN,
    room: NotGivenOr[rtc.Room | None] = NOT_GIVEN,
    ringback: Mapping[str, Any] | None = None,
    end_job: bool = True,
) -> CallerCall:
    """Start `brief`'s caller in the job's room and return once its session runs.

    Models default to the brief's: LiveKit Inference strings, or `offline` voices; any
    livekit-agents plugin instance may be passed instead (`llm` is unused for a scripted
    scenario). `room=None`
    runs the session in text mode (no audio, no room). `ringback` holds `RingbackPlugin`
    delivery keywords (`base_url`, `api_key`, `outbox_dir`, ...; default: `RINGBACK_*`).
    With `end_job`, the session's close deletes the room (which hangs up the agent's SIP
    leg) and shuts the job down.
    """
    room_io = room if is_given(room) else ctx.room
    # scripted turns need no model; on a real call, let the agent hang up first
    caller = SimulatedCaller(brief, end_grace_s=SCRIPT_END_GRACE_S if room_io else 0.0)
    models: dict[str, Any] = {}
    if not brief.scripted:
        models["llm"] = llm if llm is not None else brief.caller.llm
    if room_io is not None:
        models.update(caller_voices(brief.caller, stt=stt, tts=tts))
        if is_given(vad):
            models["vad"] = vad
    session: AgentSession[None] = AgentSession(**models)
    plugin = RingbackPlugin(
        session,
        ctx,
        call_id=brief.caller_call_id,
        metadata=brief.recording_metadata(),
        **dict(ringback or {}),
    )
    loop = asyncio.get_running_loop()
    call = CallerCall(brief, caller, session, plugin, loop.create_future())

    def on_close(ev: CloseEvent) -> None:
        call._cancel_timers()
        if not call.closed.done():
            call.closed.set_result(ev)
        if end_job:
            _end_job(ctx, caller.ended_by or ev.reason.value)

    session.on("close", on_close)
    if room_io is None:
        await session.start(caller)
        call._timers.append(loop.call_later(brief.max_duration_s, _at_max_duration, call))
    else:
        # the room has its agent (the one under test): the caller only talks to it
        await session.start(caller, room=room_io, session_host=False)
        call._timers.append(asyncio.create_task(_on_answer(ctx, call)))
    return call


def _at_max_duration(call: CallerCall) -> None:
    """The scenario's time is up: the caller hangs up, and its side records a timeout."""
    call.plugin.set_disconnection_reason(DisconnectionReason.TIMEOUT)
    call.caller.end_call(MAX_DURATION)


async def _answered(ctx: JobContext) -> None:
    """Return once the agent's SIP leg is up: it joins the room ringing, and is answered when
    its `sip.callStatus` turns `active` (a leg without a status is up as it joins)."""
    leg = await ctx.wait_for_participant(kind=rtc.ParticipantKind.PARTICIPANT_KIND_SIP)
    up = asyncio.Event()

    def changed(_: object, participant: rtc.Participant) -> None:
        if participant.identity == leg.identity and _is_up(participant):
            up.set()

    ctx.room.on("participant_attributes_changed", changed)
    try:
        if not _is_up(leg):
            await up.wait()
    finally:
        ctx.room.off("participant_attributes_changed", changed)


def _is_up(participant: rtc.Participant) -> bool:
    return participant.attributes.get("sip.callStatus", "active") == "active"


async def _on_answer(ctx: JobContext, call: CallerCall) -> None:
    """From the answer on: the max duration runs, and the caller opens the conversation if
    the agent stays silent."""
    try:
        await _answered(ctx)
        loop = asyncio.get_running_loop()
        call._timers.append(loop.call_later(call.brief.max_duration_s, _at_max_duration, call))
        await _open_if_silent(call.session)
    except Exception:
        logger.exception("simulated caller %s: lost track of the call", call.brief.result_id)


def _end_job(ctx: JobContext, reason: str) -> None:
    """The caller is done: delete the room (hanging up the SIP leg), then end the job."""
    ctx.delete_room()
    ctx.shutdown(reason=f"simulated caller: {reason}")


async def _open_if_silent(session: AgentSession[None]) -> None:
    """Open the conversation when the agent has said nothing a while after answering."""
    heard = asyncio.Event()

    def on_item(ev: ConversationItemAddedEvent) -> None:
        if getattr(ev.item, "role", None) == "user":
            heard.set()

    def on_user_state(ev: UserStateChangedEvent) -> None:
        if ev.new_state == "speaking":
            heard.set()

    session.on("conversation_item_added", on_item)
    session.on("user_state_changed", on_user_state)
    try:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(heard.wait(), OPENING_WAIT_S)
        if not heard.is_set():
            session.generate_reply(instructions=OPENING_INSTRUCTIONS)
    finally:
        session.off("conversation_item_added", on_item)
        session.off("user_state_changed", on_user_state)


async def entrypoint(ctx: JobContext) -> None:
    """The worker's job entrypoint: play the caller described by the job metadata."""
    try:
        brief = CallerBrief.from_metadata(ctx.job.metadata)
    except CallerBriefError as exc:
        logger.error("simulated caller: %s; ending the call", exc)
        _end_job(ctx, "invalid brief")
        return
    try:
        await start_caller(ctx, brief)
    except Exception:
        # Without a caller the agent would talk to an empty room until the max duration.
        logger.exception("simulated caller %s: could not start; ending the call", brief.result_id)
        _end_job(ctx, "failed to start")


def build_server(*, agent_name: str = DEFAULT_AGENT_NAME, **server_options: Any) -> AgentServer:
    """An `AgentServer` running `entrypoint` as `agent_name` (explicit dispatch only).

    `server_options` go to `AgentServer` (e.g. `num_idle_processes`, `shutdown_process_timeout`,
    `ws_url`; the LiveKit connection defaults to `LIVEKIT_URL` / `LIVEKIT_API_KEY` /
    `LIVEKIT_API_SECRET`).
    """
    server = AgentServer(**server_options)
    server.rtc_session(entrypoint, agent_name=agent_name)
    return server


async def serve(
    server: AgentServer,
    *,
    devmode: bool = False,
    drain_timeout: int | None = None,
    stop: asyncio.Event | None = None,
    unregistered: bool = False,
) -> None:
    """Run `server` until SIGINT/SIGTERM (or `stop`), then drain its calls and close it."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    running = asyncio.create_task(server.run(devmode=devmode, unregistered=unregistered))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not running.done():
            logger.info("simulated-caller worker: draining active calls")
            with contextlib.suppress(asyncio.TimeoutError):
                await server.drain(timeout=drain_timeout)
    finally:
        stopping.cancel()
        for sig in handled:
            loop.remove_signal_handler(sig)
        await server.aclose()
    await running


__all__ = [
    "DEFAULT_AGENT_NAME",
    "CallerCall",
    "build_server",
    "entrypoint",
    "serve",
    "start_caller",
]
