"""A connected LiveKit room as an agent sees it, without a LiveKit server.

Participants are real `rtc.RemoteParticipant` objects built from the same protobuf
(`ParticipantInfo`) that `rtc.Room` builds them from; joining, attribute changes and leaving
update them and emit the room events exactly the way `rtc.Room` does (see `Room._on_room_event`).
The local participant answers `perform_rpc` from a script, like LiveKit SIP's
`lk.sip.GetRemoteHeaders`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from livekit import rtc
from livekit.agents import JobContext
from livekit.agents.testing import fake_job_context
from livekit.rtc._proto import handle_pb2, participant_pb2

SIP = rtc.ParticipantKind.PARTICIPANT_KIND_SIP
STANDARD = rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD


@dataclass
class RpcCall:
    destination_identity: str
    method: str
    payload: str
    response_timeout: float | None


class FakeLocalParticipant:
    """`perform_rpc` answers with `rpc_answer`: a str, an exception to raise, or `HOLD`."""

    HOLD = object()

    def __init__(self, identity: str = "agent") -> None:
        self.identity = identity
        self.sid = "PA_agent"
        self.rpc_answer: Any = rtc.RpcError(
            rtc.RpcError.ErrorCode.UNSUPPORTED_METHOD, "Method not supported at destination"
        )
        self.rpc_calls: list[RpcCall] = []
        self.rpc_called = asyncio.Event()

    @staticmethod
    def headers_answer(headers: Mapping[str, str]) -> str:
        """LiveKit SIP's answer shape."""
        return json.dumps({"headers": dict(headers)})

    async def perform_rpc(
        self,
        *,
        destination_identity: str,
        method: str,
        payload: str,
        response_timeout: float | None = None,
        max_round_trip_latency: float | None = None,
    ) -> str:
        self.rpc_calls.append(RpcCall(destination_identity, method, payload, response_timeout))
        self.rpc_called.set()
        answer = self.rpc_answer
        if answer is self.HOLD:
            await asyncio.Event().wait()  # never answers: the caller's timeout must fire
        if isinstance(answer, BaseException):
            raise answer
        return str(answer)


class FakeRoom(rtc.EventEmitter[str]):
    """The parts of `rtc.Room` an agent (and the job context) use once connected."""

    def __init__(self, name: str = "call-room", *, connected: bool = True) -> None:
        super().__init__()
        self.name = name
        self.local_participant = FakeLocalParticipant()
        self.connected = connected
        self._participants: dict[str, rtc.RemoteParticipant] = {}
        self._in_room: dict[str, rtc.RemoteParticipant] = {}

    @property
    def remote_participants(self) -> Mapping[str, rtc.RemoteParticipant]:
        return self._participants

    def isconnected(self) -> bool:
        return self.connected

    async def connect(self, url: str, token: str, options: Any = None) -> None:
        """Like `rtc.Room.connect`: who is already in the room appears, with no events."""
        self.connected = True
        self._participants.update(self._in_room)
        self._in_room.clear()

    def join(
        self,
        identity: str,
        *,
        kind: int = SIP,
        attributes: Mapping[str, str] | None = None,
        joined_at_ms: int = 0,
        emit: bool = True,
    ) -> rtc.RemoteParticipant:
        """Add a participant; `emit=False` for one already there when the agent connected."""
        info = participant_pb2.ParticipantInfo(
            sid=f"PA_{identity}",
            identity=identity,
            kind=kind,  # type: ignore[arg-type]
            attributes=dict(attributes or {}),
            joined_at=joined_at_ms,
        )
        owned = participant_pb2.OwnedParticipant(handle=handle_pb2.FfiOwnedHandle(id=0), info=info)
        participant = rtc.RemoteParticipant(owned)
        if not self.connected:  # in the room, but the agent is not connected yet
            self._in_room[identity] = participant
            return participant
        self._participants[identity] = participant
        if emit:
            self.emit("participant_connected", participant)
        return participant

    def update_attributes(
        self, participant: rtc.RemoteParticipant, changed: Mapping[str, str]
    ) -> None:
        """What `rtc.Room` does on `participant_attributes_changed`."""
        attributes = {**participant.attributes, **changed}
        participant._info.attributes.clear()
        participant._info.attributes.update(attributes)
        self.emit("participant_attributes_changed", dict(changed), participant)

    def leave(
        self,
        participant: rtc.RemoteParticipant,
        reason: int = rtc.DisconnectReason.CLIENT_INITIATED,
    ) -> None:
        """What `rtc.Room` does on `participant_disconnected`."""
        self._participants.pop(participant.identity, None)
        participant._info.disconnect_reason = reason  # type: ignore[assignment]
        self.emit("participant_disconnected", participant)


def job_context(room: FakeRoom, **kwargs: Any) -> contextlib.AbstractContextManager[JobContext]:
    """`fake_job_context` on a `FakeRoom` (which stands in for `rtc.Room`)."""
    return fake_job_context(room=cast(rtc.Room, room), **kwargs)
