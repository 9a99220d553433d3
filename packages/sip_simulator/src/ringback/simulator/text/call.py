"""One planned call in text mode: the agent under test and the simulated caller, each in its
own text-mode `AgentSession` with its own `RingbackPlugin`, talking until the call ends.

The agent's side is recorded exactly as a production agent's would be, with what a SIP call
would have given it: the planned X- headers (`X-Result-Id`, ...) and a synthetic SIP Call-ID,
`<result_id>@text.ringback.invalid` (`.invalid` is reserved: it can never be a real host), so
the collector links it by X-Result-Id or by Call-ID just like a dialled call. The caller's
side is marked as the simulator's side, with the ids.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from livekit.agents import Agent, AgentSession
from livekit.agents.llm import LLM
from livekit.agents.utils import is_given

from ringback.core.contract import CallType, DisconnectionReason
from ringback.simulator.batch.outcome import CallOutcome, CallPlaced, FailureKind, OutcomeStatus
from ringback.simulator.batch.transport import CallObserver
from ringback.simulator.caller.agent import SimulatedCaller
from ringback.simulator.caller.brief import CallerBrief, CallerBriefError
from ringback.simulator.caller.worker import DEFAULT_AGENT_NAME
from ringback.simulator.plan import PlannedCall
from ringback.simulator.store.linking import AGENT_SIDE, SIDE_KEY, SIMULATION_KEY

from .agent_ref import AgentFactory, agent_label
from .conversation import Ending, converse
from .party import Party

logger = logging.getLogger("ringback.simulator.text")

SYNTHETIC_CALL_ID_DOMAIN = "text.ringback.invalid"
TRANSPORT = "text"

LLMSource = LLM[Any] | str | Callable[[PlannedCall], LLM[Any] | str]
"""An LLM instance, a LiveKit Inference model string, or a function making one per call
(LLM instances keep per-call state, so give a function when calls run concurrently)."""


def synthetic_call_id(result_id: str) -> str:
    """The SIP Call-ID a text-mode call reports: `<result_id>@text.ringback.invalid`."""
    return f"{result_id}@{SYNTHETIC_CALL_ID_DOMAIN}"


@dataclass
class TextCallSettings:
    """What every text-mode call of a run shares."""

    agent: AgentFactory
    agent_llm: LLMSource | None = None
    """The agent's LLM when its class sets none."""
    caller_llm: LLMSource | None = None
    """The improvising caller's LLM (default: the suite's `caller.llm`); unused when a
    scenario has scripted turns."""
    agent_name: str | None = None
    """The agent side's agent name (`agent_remote_identifier` unless `RINGBACK_AGENT_ID` or
    `agent_id` says otherwise); default: the agent's class or factory name."""
    caller_agent_name: str = DEFAULT_AGENT_NAME
    ringback: Mapping[str, Any] = field(default_factory=dict)
    """`RingbackPlugin` delivery keywords for both sides (`base_url`, `api_key`, ...)."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _llm(source: LLMSource | None, call: PlannedCall) -> LLM[Any] | str | None:
    if source is None or isinstance(source, (LLM, str)):
        return source
    return source(call)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


@dataclass
class _Call:
    plan: PlannedCall
    started_at: datetime = field(default_factory=_now)
    answered_at: datetime | None = None
    warnings: list[str] = field(default_factory=list)

    def outcome(
        self,
        status: OutcomeStatus,
        *,
        reason: str | None = None,
        end_reason: str | None = None,
        failure_kind: FailureKind | None = None,
    ) -> CallOutcome:
        plan = self.plan
        return CallOutcome.of(
            plan,
            status,
            sip_call_id=synthetic_call_id(plan.result_id),
            failure_kind=failure_kind,
            reason=reason,
            end_reason=end_reason,
            started_at=self.started_at,
            answered_at=self.answered_at,
            ended_at=_now(),
            warnings=self.warnings,
        )


async def run_text_call(
    call: PlannedCall,
    settings: TextCallSettings,
    *,
    observer: CallObserver | None = None,
    stop: asyncio.Event | None = None,
) -> CallOutcome:
    """Play one planned call in text mode and return its outcome (never raises but for
    cancellation). `stop` hangs the call up (status `cancelled`)."""
    state = _Call(call)
    if observer is not None:
        await observer.dialling(call, 1)
    try:
        brief = CallerBrief.from_metadata(call.caller_metadata)
    except CallerBriefError as exc:
        return state.outcome(
            OutcomeStatus.ERROR, reason=str(exc), failure_kind=FailureKind.INTERNAL
        )

    try:
        agent = settings.agent()
    except Exception as exc:
        logger.exception("text call %s: the agent could not be created", call.result_id)
        return state.outcome(
            OutcomeStatus.FAILED, reason=f"the agent could not be created: {_describe(exc)}"
        )
    try:
        caller_agent = SimulatedCaller(brief)
        agent_session = AgentSession[Any](**_agent_models(agent, settings, call))
        caller_session = AgentSession[Any](**_caller_models(brief, settings, call))
    except Exception as exc:
        logger.exception("text call %s: could not set up the sessions", call.result_id)
        return state.outcome(
            OutcomeStatus.ERROR,
            reason=f"could not set up the call: {_describe(exc)}",
            failure_kind=FailureKind.INTERNAL,
        )

    agent_party = Party(
        "agent",
        agent_session,
        job_id=f"text-{call.result_id}",
        agent_name=settings.agent_name or agent_label(settings.agent),
        room=call.room_name,
    )
    caller_party = Party(
        "caller",
        caller_session,
        job_id=f"text-{call.result_id}-caller",
        agent_name=settings.caller_agent_name,
        room=call.room_name,
    )
    sip_call_id = synthetic_call_id(call.result_id)
    # Both sides carry the planned SIP facts so they link as a dialled call's would, but no
    # telephony took part: the call is a web call.
    agent_party.record(
        sip_correlation_id=sip_call_id,
        sip_headers=call.headers,
        call_type=CallType.WEB_CALL,
        metadata={SIMULATION_KEY: {SIDE_KEY: AGENT_SIDE, "transport": TRANSPORT}},
        **settings.ringback,
    )
    caller_party.record(
        sip_correlation_id=sip_call_id,
        call_id=brief.caller_call_id,
        call_type=CallType.WEB_CALL,
        metadata=_caller_metadata(brief),
        **settings.ringback,
    )
    try:
        outcome = await _play(state, agent, agent_party, caller_agent, caller_party, observer, stop)
    finally:
        await _close(agent_party, caller_party, state)
    # Closing can add warnings (a side whose recording was not delivered).
    return outcome.model_copy(update={"warnings": list(state.warnings)})


async def _play(
    state: _Call,
    agent: Agent,
    agent_party: Party,
    caller_agent: SimulatedCaller,
    caller_party: Party,
    observer: CallObserver | None,
    stop: asyncio.Event | None,
) -> CallOutcome:
    call = state.plan
    try:
        await caller_party.start(caller_agent)
    except Exception as exc:
        logger.exception("text call %s: the simulated caller could not start", call.result_id)
        return state.outcome(
            OutcomeStatus.ERROR,
            reason=f"the simulated caller could not start: {_describe(exc)}",
            failure_kind=FailureKind.INTERNAL,
        )
    try:
        await agent_party.start(agent)
    except Exception as exc:
        logger.exception("text call %s: the agent could not start", call.result_id)
        return state.outcome(
            OutcomeStatus.FAILED, reason=f"the agent could not start: {_describe(exc)}"
        )
    state.answered_at = _now()
    if observer is not None:
        placed = CallPlaced(
            result_id=call.result_id,
            livekit_call_id=None,
            sip_call_id=synthetic_call_id(call.result_id),
            participant_id=None,
            answered_at=state.answered_at,
            attempt=1,
        )
        await observer.answered(call, placed)

    ending = await _until_stopped(
        converse(agent_party, caller_party, caller_agent, max_duration_s=call.max_duration_s),
        stop,
    )
    await _hang_up(ending, agent_party, caller_party)
    if ending.reason == "cancelled":
        return state.outcome(
            OutcomeStatus.CANCELLED, reason="stopped by the user", end_reason="cancelled"
        )
    if ending.reason == "error" and ending.by == "caller":
        return state.outcome(
            OutcomeStatus.ERROR,
            reason=f"the simulated caller failed: {ending.detail}",
            failure_kind=FailureKind.INTERNAL,
        )
    if ending.reason == "max_duration":
        state.warnings.append(
            f"the call outlived its max duration ({call.max_duration_s:g}s); Ringback hung it up"
        )
    reason = f"the agent failed: {ending.detail}" if ending.reason == "error" else ending.detail
    return state.outcome(OutcomeStatus.COMPLETED, end_reason=ending.reason, reason=reason)


async def _until_stopped(conversation: Awaitable[Ending], stop: asyncio.Event | None) -> Ending:
    talking = asyncio.ensure_future(conversation)
    if stop is None:
        return await talking
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({talking, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if talking.done():
        return talking.result()
    talking.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await talking
    return Ending("caller", "cancelled")


async def _hang_up(ending: Ending, agent_party: Party, caller_party: Party) -> None:
    """End the call for both sides. The side that did not end it is recorded first, as its
    peer hanging up, and then closed, so its recording does not claim that it hung up
    itself."""
    if ending.by == "agent":
        ender, other = agent_party, caller_party
    else:
        ender, other = caller_party, agent_party
    # Text mode has no room to tell the other side who left: its peer hung up.
    peer_left = ending.reason in ("hangup", "max_duration", "cancelled")
    await other.finish_recording(DisconnectionReason.USER_HANGUP if peer_left else None)
    await other.hang_up()
    # A hang-up or the max duration is already closing the ender's session; else close it.
    if ending.reason not in ("hangup", "max_duration") or await ender.wait_closed() is None:
        await ender.hang_up()


async def _close(agent_party: Party, caller_party: Party, state: _Call) -> None:
    """Whatever happened: both sessions closed, both recordings handed over."""
    for party in (caller_party, agent_party):
        try:
            await party.hang_up()
            result = await party.finish_recording()
        except Exception:
            logger.exception("text call %s: closing the %s side", state.plan.result_id, party.name)
            continue
        if result is not None and not (result.delivered or result.disabled):
            state.warnings.append(f"the {party.name}'s side of the call: {result.summary()}")


def _agent_models(agent: Agent, settings: TextCallSettings, call: PlannedCall) -> dict[str, Any]:
    if is_given(agent.llm) and agent.llm is not None:
        return {}  # the agent brings its own
    chosen = _llm(settings.agent_llm, call)
    if chosen is None:
        raise ValueError("the agent sets no LLM of its own; give one (--agent-llm, or agent_llm=)")
    return {"llm": chosen}


def _caller_models(
    brief: CallerBrief, settings: TextCallSettings, call: PlannedCall
) -> dict[str, Any]:
    if brief.scripted:
        return {}  # ScriptedTurns plays the turns
    chosen = _llm(settings.caller_llm, call)
    return {"llm": chosen if chosen is not None else brief.caller.llm}


def _caller_metadata(brief: CallerBrief) -> dict[str, Any]:
    meta = brief.recording_metadata()
    meta[SIMULATION_KEY]["transport"] = TRANSPORT
    return meta


__all__ = [
    "SYNTHETIC_CALL_ID_DOMAIN",
    "LLMSource",
    "TextCallSettings",
    "run_text_call",
    "synthetic_call_id",
]
