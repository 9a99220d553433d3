"""Place one planned call through the LiveKit SIP API and follow it until it ends.

Per call: create the room (metadata: the ids), dispatch the simulated caller into it, then
`CreateSIPParticipant` on the trunk with the planned X- headers, waiting for the answer and
retrying per the suite's policy; once answered, read the SIP Call-ID from the participant's
`sip.callIDFull` and poll until the call is over; always delete the room afterwards.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TypeVar

import aiohttp
from google.protobuf.duration_pb2 import Duration
from livekit import api
from livekit.protocol import agent_dispatch as proto_dispatch
from livekit.protocol import models as proto_models
from livekit.protocol import room as proto_room
from livekit.protocol import sip as proto_sip

from ringback.core.correlation.native import native_id_kind
from ringback.core.errors import RingbackError
from ringback.simulator.batch.outcome import (
    CallOutcome,
    CallPlaced,
    DialAttempt,
    FailureKind,
    OutcomeStatus,
)
from ringback.simulator.batch.transport import CallObserver
from ringback.simulator.plan import PlannedCall
from ringback.simulator.suite.models import DialRetry, Suite

from .connection import ACCESS_CODES
from .failures import DialFailure, dial_failure_for
from .participants import end_call, get_sip_participant

log = logging.getLogger(__name__)
T = TypeVar("T")

CALL_ID_ATTRIBUTE = "sip.callIDFull"
"""The INVITE's Call-ID header, as LiveKit SIP reports it on the participant."""
LIVEKIT_ID_ATTRIBUTE = "sip.callID"
"""LiveKit's own `SCL_...` id."""
MAX_POLL_ERRORS = 10


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Stopped(RingbackError):
    """The batch was asked to stop while this call was waiting."""


@dataclass(frozen=True)
class DialSettings:
    trunk_id: str
    sip_call_to: str
    caller_number: str
    """`sip_number`; empty: the trunk's number."""
    caller_agent_name: str
    ringing_timeout_s: float
    retry: DialRetry = field(default_factory=DialRetry)
    poll_interval_s: float = 2.0
    """How often an answered call is checked for its end (one GetParticipant per call)."""
    hangup_grace_s: float = 15.0
    """How long past its max duration a call may run before Ringback hangs it up itself."""
    short_call_s: float = 2.0
    """An answered call hung up sooner than this held no conversation: it gets a warning."""

    @classmethod
    def for_suite(
        cls, suite: Suite, trunk_id: str, *, poll_interval_s: float = 2.0
    ) -> DialSettings:
        target = suite.agent.dial_target
        if not target:
            raise ValueError(
                f"agent.sip_uri {suite.agent.sip_uri!r} has no user part to dial; write e.g. "
                "sip:agent@pbx.example.com"
            )
        return cls(
            trunk_id=trunk_id,
            sip_call_to=target,
            caller_number=suite.agent.caller_number or "",
            caller_agent_name=suite.livekit.caller_agent_name,
            ringing_timeout_s=suite.run.ringing_timeout.total_seconds(),
            retry=suite.run.dial_retry,
            poll_interval_s=poll_interval_s,
        )


def _duration(seconds: float) -> Duration:
    value = Duration()
    value.FromTimedelta(timedelta(seconds=seconds))
    return value


def room_metadata(call: PlannedCall) -> str:
    return json.dumps(
        {
            "managed_by": "ringback",
            "run_id": call.run_id,
            "scenario_id": call.scenario_id,
            "result_id": call.result_id,
            "repeat": call.repeat,
        },
        separators=(",", ":"),
    )


def sip_request(call: PlannedCall, settings: DialSettings) -> proto_sip.CreateSIPParticipantRequest:
    """The `CreateSIPParticipant` request for one attempt (a fresh one each time: the client
    fills in fields of the request it is given)."""
    return proto_sip.CreateSIPParticipantRequest(
        sip_trunk_id=settings.trunk_id,
        sip_call_to=settings.sip_call_to,
        sip_number=settings.caller_number,
        room_name=call.room_name,
        participant_identity=call.participant_identity,
        participant_name="agent under test",
        participant_attributes=call.participant_attributes,
        headers=call.headers,
        # The agent's X- headers on its 200 OK become sip.h.x-* attributes, for debugging.
        include_headers=proto_sip.SIPHeaderOptions.SIP_X_HEADERS,
        ringing_timeout=_duration(settings.ringing_timeout_s),
        # LiveKit counts the max duration from the INVITE; the scenario's runs from the answer
        # (the caller hangs up then): LiveKit's is the backstop after the longest ringing
        max_call_duration=_duration(call.max_duration_s + settings.ringing_timeout_s),
        wait_until_answered=True,
    )


@dataclass
class _Call:
    """What is known about a call so far."""

    plan: PlannedCall
    trunk_id: str
    started_at: datetime = field(default_factory=_now)
    attempts: list[DialAttempt] = field(default_factory=list)
    failure: DialFailure | None = None
    livekit_call_id: str | None = None
    sip_call_id: str | None = None
    participant_id: str | None = None
    answered_at: datetime | None = None
    up: bool = False
    """Answered and not known to have ended."""
    end_reason: str | None = None
    hung_up_at: datetime | None = None
    """When the SIP leg was seen gone."""
    cancelled: str | None = None
    warnings: list[str] = field(default_factory=list)

    def note(self, participant: proto_models.ParticipantInfo) -> None:
        attributes = participant.attributes
        full = attributes.get(CALL_ID_ATTRIBUTE)
        if full and self.sip_call_id is None:
            kind = native_id_kind(full)
            if kind is None:
                self.sip_call_id = full
            elif not any(CALL_ID_ATTRIBUTE in w for w in self.warnings):
                self.warnings.append(
                    f"{CALL_ID_ATTRIBUTE} holds {kind}, not a SIP Call-ID; not recorded as one"
                )
        scl = attributes.get(LIVEKIT_ID_ATTRIBUTE)
        if scl and not self.livekit_call_id:
            self.livekit_call_id = scl
        if participant.sid and not self.participant_id:
            self.participant_id = participant.sid

    def outcome(self, *, short_call_s: float) -> CallOutcome:
        plan = self.plan
        if self.cancelled is not None:
            status, reason = OutcomeStatus.CANCELLED, self.cancelled
        elif self.answered_at is not None:
            status, reason = OutcomeStatus.COMPLETED, None
        elif self.failure is not None and self.failure.kind in _AGENT_SIDE:
            status, reason = OutcomeStatus.FAILED, self.failure.reason
        else:
            status = OutcomeStatus.ERROR
            reason = self.failure.reason if self.failure else "the call was not placed"
        failure = self.failure if status is not OutcomeStatus.COMPLETED else None
        if self.answered_at is not None and self.hung_up_at is not None:
            held = (self.hung_up_at - self.answered_at).total_seconds()
            if held < short_call_s:
                self.warnings.append(
                    f"the call was hung up {held:.1f} s after it was answered, too soon for any "
                    "conversation: the agent hung up at once, or the line dropped (see the "
                    "agent's logs for this call)"
                )
        if self.answered_at is not None and self.sip_call_id is None:
            self.warnings.append(
                f"LiveKit never reported {CALL_ID_ATTRIBUTE} for this call, so it can only be "
                "linked by its X-Result-Id header"
            )
        return CallOutcome.of(
            plan,
            status,
            trunk_id=self.trunk_id,
            livekit_call_id=self.livekit_call_id,
            sip_call_id=self.sip_call_id,
            participant_id=self.participant_id,
            sip_status_code=failure.sip_status_code if failure else None,
            sip_status=failure.sip_status if failure else None,
            failure_kind=failure.kind if failure else None,
            reason=reason,
            end_reason=self.end_reason,
            attempts=self.attempts,
            started_at=self.started_at,
            answered_at=self.answered_at,
            ended_at=_now(),
            warnings=self.warnings,
        )


_AGENT_SIDE = frozenset(
    {
        FailureKind.BUSY,
        FailureKind.NOT_FOUND,
        FailureKind.TIMEOUT,
        FailureKind.AUTH,
        FailureKind.UNAVAILABLE,
        FailureKind.SERVER_ERROR,
        FailureKind.REJECTED,
        FailureKind.UNREACHABLE,
    }
)


class Dialer:
    """Places calls one at a time per `place()`; share one per batch."""

    def __init__(
        self,
        lkapi: api.LiveKitAPI,
        settings: DialSettings,
        *,
        observer: CallObserver | None = None,
        pace: Callable[[], Awaitable[object]] | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self._api = lkapi
        self.settings = settings
        self._observer = observer
        self._pace = pace
        """Waits for a calls-per-second token before a retried INVITE."""
        self._stop = stop or asyncio.Event()
        self._retry_on = {FailureKind(kind) for kind in settings.retry.on}

    async def place(self, call: PlannedCall) -> CallOutcome:
        """Dial `call`, follow it to its end, clean up; failures come back in the outcome."""
        state = _Call(call, self.settings.trunk_id)
        try:
            await self._unless_stopped(self._open_room(call))
            answer = await self._dial(state)
            if answer is not None:
                await self._answered(state, answer)
                await self._follow(state)
        except Stopped:
            state.cancelled = (
                "stopped by the user during the call"
                if state.answered_at
                else "stopped by the user before the call was answered"
            )
            if state.answered_at:
                state.end_reason = "cancelled"
        except asyncio.CancelledError:
            state.cancelled = "cancelled"
            await self._close(state)
            raise
        except Exception as exc:
            state.failure = dial_failure_for(exc)
            log.warning("call %s: %s", call.result_id, state.failure.reason)
        await self._close(state)
        return state.outcome(short_call_s=self.settings.short_call_s)

    async def _open_room(self, call: PlannedCall) -> None:
        await self._api.room.create_room(
            proto_room.CreateRoomRequest(name=call.room_name, metadata=room_metadata(call))
        )
        await self._api.agent_dispatch.create_dispatch(
            proto_dispatch.CreateAgentDispatchRequest(
                agent_name=self.settings.caller_agent_name,
                room=call.room_name,
                metadata=json.dumps(call.caller_metadata, separators=(",", ":"), default=str),
            )
        )

    async def _dial(self, state: _Call) -> proto_sip.SIPParticipantInfo | None:
        retry = self.settings.retry
        for number in range(1, retry.attempts + 1):
            if number > 1:
                await self._pause(retry.backoff.total_seconds())
                if self._pace is not None:
                    await self._unless_stopped(self._pace())
            if self._observer is not None:
                await self._observer.dialling(state.plan, number)
            started = _now()
            try:
                info = await self._unless_stopped(
                    self._api.sip.create_sip_participant(sip_request(state.plan, self.settings))
                )
            except Stopped:
                raise
            except Exception as exc:
                failure = dial_failure_for(exc)
                state.failure = failure
                state.attempts.append(
                    DialAttempt(
                        number=number,
                        started_at=started,
                        ended_at=_now(),
                        sip_status_code=failure.sip_status_code,
                        sip_status=failure.sip_status,
                        failure_kind=failure.kind,
                        reason=failure.reason,
                    )
                )
                log.info(
                    "call %s attempt %d/%d: %s",
                    state.plan.result_id,
                    number,
                    retry.attempts,
                    failure.reason,
                )
                if failure.kind not in self._retry_on:
                    return None
                continue
            state.failure = None
            state.attempts.append(DialAttempt(number=number, started_at=started, ended_at=_now()))
            return info
        return None

    async def _answered(self, state: _Call, info: proto_sip.SIPParticipantInfo) -> None:
        state.answered_at = _now()
        state.up = True
        state.livekit_call_id = info.sip_call_id or None
        state.participant_id = info.participant_id or None
        try:
            await self._poll(state)
        except api.ServerError as exc:
            if exc.code in ACCESS_CODES:
                raise
            log.info("call %s: participant not readable yet (%s)", state.plan.result_id, exc.code)
        log.info(
            "call %s answered: LiveKit id %s, SIP Call-ID %s",
            state.plan.result_id,
            state.livekit_call_id,
            state.sip_call_id,
        )
        if self._observer is not None:
            await self._observer.answered(
                state.plan,
                CallPlaced(
                    result_id=state.plan.result_id,
                    livekit_call_id=state.livekit_call_id,
                    sip_call_id=state.sip_call_id,
                    participant_id=state.participant_id,
                    answered_at=state.answered_at,
                    attempt=len(state.attempts),
                ),
            )

    async def _follow(self, state: _Call) -> None:
        """Poll the SIP participant until it leaves, or hang up past the max duration."""
        limit = state.plan.max_duration_s + self.settings.hangup_grace_s
        deadline = time.monotonic() + limit
        errors = 0
        while state.up:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                state.end_reason = "max_duration"
                state.warnings.append(
                    f"the call outlived its max duration ({state.plan.max_duration_s:g}s); "
                    "Ringback hung it up"
                )
                return
            await self._pause(min(self.settings.poll_interval_s, remaining))
            try:
                await self._poll(state)
                errors = 0
            except api.ServerError as exc:
                if exc.code in ACCESS_CODES:
                    raise
                errors += 1
            except (aiohttp.ClientError, OSError, TimeoutError):
                errors += 1
            if errors >= MAX_POLL_ERRORS:
                state.end_reason = "lost"
                state.warnings.append(
                    "LiveKit stopped answering about this call; Ringback hung it up"
                )
                return

    async def _poll(self, state: _Call) -> None:
        participant = await get_sip_participant(self._api, state.plan)
        if participant is None or participant.state == proto_models.ParticipantInfo.DISCONNECTED:
            state.up = False
            state.end_reason = state.end_reason or "hangup"
            state.hung_up_at = state.hung_up_at or _now()
            return
        state.note(participant)

    async def _close(self, state: _Call) -> None:
        """Hang up a call still up, then delete the room (which also ends the caller's job)."""
        hang_up, state.up = state.up, False
        await end_call(self._api, state.plan, state.warnings, hang_up=hang_up)

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless the batch stops first."""
        if self._stop.is_set():
            raise Stopped
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=max(seconds, 0.0))
        except TimeoutError:
            return
        raise Stopped

    async def _unless_stopped(self, awaitable: Awaitable[T]) -> T:
        """Await `awaitable`, abandoning it (and raising `Stopped`) if the batch stops."""
        task = asyncio.ensure_future(awaitable)
        if self._stop.is_set():
            task.cancel()
            await asyncio.wait({task})
            raise Stopped
        waiter = asyncio.ensure_future(self._stop.wait())
        try:
            done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            waiter.cancel()
            raise
        waiter.cancel()
        if task in done:
            return task.result()
        task.cancel()
        await asyncio.wait({task})
        raise Stopped
