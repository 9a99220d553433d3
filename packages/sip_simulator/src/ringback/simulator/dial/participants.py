"""The SIP participant of a dialled call: reading it, and ending the call."""

from __future__ import annotations

from collections.abc import Awaitable

import aiohttp
from livekit import api
from livekit.protocol import models as proto_models
from livekit.protocol import room as proto_room

from ringback.simulator.plan import PlannedCall


def _identity(call: PlannedCall) -> proto_room.RoomParticipantIdentity:
    return proto_room.RoomParticipantIdentity(
        room=call.room_name, identity=call.participant_identity
    )


async def get_sip_participant(
    lkapi: api.LiveKitAPI, call: PlannedCall
) -> proto_models.ParticipantInfo | None:
    """The agent's SIP participant of `call`; None once it (or its room) is gone."""
    try:
        return await lkapi.room.get_participant(_identity(call))
    except api.ServerError as exc:
        if exc.code == api.ServerErrorCode.NOT_FOUND:
            return None
        raise


async def end_call(
    lkapi: api.LiveKitAPI, call: PlannedCall, warnings: list[str], *, hang_up: bool
) -> None:
    """Remove the SIP participant when `hang_up` (a BYE), then delete the room. A failure
    goes to `warnings`; one already gone is no failure."""
    if hang_up:
        await _quietly(warnings, "hang up", lkapi.room.remove_participant(_identity(call)))
    await _quietly(
        warnings,
        "delete the room",
        lkapi.room.delete_room(proto_room.DeleteRoomRequest(room=call.room_name)),
    )


async def _quietly(warnings: list[str], what: str, request: Awaitable[object]) -> None:
    try:
        await request
    except api.ServerError as exc:
        if exc.code != api.ServerErrorCode.NOT_FOUND:
            warnings.append(f"could not {what} ({exc.code}: {exc.message})")
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        warnings.append(f"could not {what} ({type(exc).__name__})")


__all__ = ["end_call", "get_sip_participant"]
