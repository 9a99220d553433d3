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
from ringback.simulator.dial.dialer import (
    CALL_ID_ATTRIBUTE,
    LIVEKIT_ID_ATTRIBUTE,
    DialSettings,
    room_metadata,
    sip_request,
)
from ringback.simulator.dial.failures import DialFailure, classify
from ringback.simulator.dial.participants import end_call, get_sip_participant
from ringback.simulator.plan import PlannedCall


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
    warnings: list[str] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return self.answered_after_s is not None

    def note(self, participant: proto_models.ParticipantInfo) -> None:
        full = participant.attributes.get(CALL_ID_ATTRIBUTE)
        if full and self.sip_call_id is None:
            kind = native_id_kind(full)
            if kind is None:
                self.sip_call_id = full
            elif not self.warnings:
                self.warnings.append(f"{CALL_ID_ATTRIBUTE} holds {kind}, not a SIP Call-ID")
        self.livekit_call_id = self.livekit_call_id or (
            participant.attributes.get(LIVEKIT_ID_ATTRIBUTE) or None
        )


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
            result.failure = classify(exc)
        else:
            result.warnings.append(f"lost track of the call: {classify(exc).reason}")
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
