"""The verify call over SIP: the same `CreateSIPParticipant` request a run sends (trunk,
X- headers, attributes, ringing timeout), held for a few seconds, then hung up.

No simulated caller is dispatched: the line stays silent, which is all the agent needs to
answer, start its session and sync the call once it is hung up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from livekit import api
from livekit.protocol import models as proto_models
from livekit.protocol import room as proto_room

from ringback.core.correlation.native import native_id_kind
from ringback.simulator.batch.outcome import FailureKind
from ringback.simulator.dial.dialer import (
    CALL_ID_ATTRIBUTE,
    LIVEKIT_ID_ATTRIBUTE,
    DialSettings,
    room_metadata,
    sip_request,
)
from ringback.simulator.dial.failures import DialFailure, dial_failure_for
from ringback.simulator.dial.participants import end_call, get_sip_participant
from ringback.simulator.plan import PlannedCall

from .diagnosis import LIVEKIT_SILENT, UnknownCallId

READ_GRANT_FIX = (
    "Use an API key with the roomAdmin grant: Ringback reads the dialled Call-ID from the SIP "
    "participant (GetParticipant, attribute sip.callIDFull); until then the call links only by "
    "its X- headers."
)
HUNG_UP_FIX = (
    "Keep the agent on the line for a few seconds after it answers (it hung up before the "
    "participant could be read), then run verify again; until then the call links only by its "
    "X- headers."
)


@dataclass
class VerifyCall:
    """What happened to the verify call."""

    failure: DialFailure | None = None
    answered_after_s: float | None = None
    sip_call_id: str | None = None
    """The INVITE's Call-ID (`sip.callIDFull`)."""
    livekit_call_id: str | None = None
    held_s: float | None = None
    ended_by_agent: bool = False
    reads: int = 0
    """How many times the SIP participant was read."""
    read_failure: DialFailure | None = None
    """Why reading the SIP participant failed (e.g. a key without roomAdmin)."""
    native_call_id: str | None = None
    """What `sip.callIDFull` held when it was a provider-native id."""
    warnings: list[str] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.answered_after_s is not None

    def note(self, participant: proto_models.ParticipantInfo) -> None:
        self.reads += 1
        full = participant.attributes.get(CALL_ID_ATTRIBUTE)
        if full and self.sip_call_id is None:
            kind = native_id_kind(full)
            if kind is None:
                self.sip_call_id = full
            elif self.native_call_id is None:
                self.native_call_id = kind
                self.warnings.append(f"{CALL_ID_ATTRIBUTE} holds {kind}, not a SIP Call-ID")
        self.livekit_call_id = self.livekit_call_id or (
            participant.attributes.get(LIVEKIT_ID_ATTRIBUTE) or None
        )

    def unknown_call_id(self) -> UnknownCallId:
        """Why `sip_call_id` is None: the participant could not be read, the agent hung up
        before it was, or LiveKit did not report `sip.callIDFull`."""
        if self.read_failure is not None:
            refused = self.read_failure.kind is FailureKind.LIVEKIT_ACCESS
            return UnknownCallId(
                f"Ringback could not read the SIP participant to learn it "
                f"({self.read_failure.reason})",
                READ_GRANT_FIX
                if refused
                else "Check the connection to LIVEKIT_URL and run verify again.",
            )
        if self.reads == 0 and self.ended_by_agent:
            return UnknownCallId(
                "the agent hung up before Ringback could read the SIP participant "
                f"({CALL_ID_ATTRIBUTE})",
                HUNG_UP_FIX,
            )
        if self.native_call_id is not None:
            return UnknownCallId(
                f"LiveKit's {CALL_ID_ATTRIBUTE} held {self.native_call_id}, not the dialled "
                "Call-ID",
                LIVEKIT_SILENT.fix,
            )
        return LIVEKIT_SILENT


async def place_test_call(
    lkapi: api.LiveKitAPI,
    call: PlannedCall,
    settings: DialSettings,
    *,
    hold_s: float,
    poll_interval_s: float,
    on_call_id: Callable[[str], Awaitable[None]] | None = None,
) -> VerifyCall:
    """Dial `call` once, hold it `hold_s` seconds once answered, then hang up and delete
    the room. Failures come back in `VerifyCall.failure`, never raised (but cancellation)."""
    result = VerifyCall()
    started = time.monotonic()
    up = False
    try:
        await lkapi.room.create_room(
            proto_room.CreateRoomRequest(name=call.room_name, metadata=room_metadata(call))
        )
        info = await lkapi.sip.create_sip_participant(sip_request(call, settings))
        result.answered_after_s = time.monotonic() - started
        result.livekit_call_id = info.sip_call_id or None
        up = True
        answered = time.monotonic()
        up = await _hold(lkapi, call, result, hold_s, poll_interval_s)
        result.held_s = time.monotonic() - answered
    except (api.ServerError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        if not result.answered:
            result.failure = dial_failure_for(exc)
        else:  # reading the participant failed
            result.read_failure = dial_failure_for(exc)
            if result.sip_call_id is not None:  # else `unknown_call_id` says it
                result.warnings.append(f"lost track of the call: {result.read_failure.reason}")
    finally:
        await end_call(lkapi, call, result.warnings, hang_up=up)
    if result.sip_call_id and on_call_id is not None:
        await on_call_id(result.sip_call_id)
    return result


async def _hold(
    lkapi: api.LiveKitAPI, call: PlannedCall, result: VerifyCall, hold_s: float, poll_s: float
) -> bool:
    """Read the participant (its Call-ID) until `hold_s` has passed; False when the agent
    hung up first."""
    deadline = time.monotonic() + hold_s
    while True:
        participant = await get_sip_participant(lkapi, call)
        if participant is None or participant.state == proto_models.ParticipantInfo.DISCONNECTED:
            result.ended_by_agent = True
            return False
        result.note(participant)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return True
        await asyncio.sleep(min(poll_s, remaining))


__all__ = ["VerifyCall", "place_test_call"]
