"""Correlation for a Pipecat bot on LiveKit SIP: the SIP participant's attributes, read through
the LiveKit server API.

Pipecat's LiveKit transport tells the bot a participant's identity, name and metadata, not its
attributes, which is where LiveKit SIP puts the SIP Call-ID (``sip.callIDFull``) and the X-
headers (``sip.h.x-*``, with ``include_headers=SIP_X_HEADERS`` on the inbound trunk). The
server API (`RoomService.GetParticipant`) returns them. One line in the transport's handler::

    @transport.event_handler("on_first_participant_joined")
    async def on_first_participant_joined(transport, participant_id):
        observer.note_correlation(await livekit_sip_correlation(ROOM, participant_id))

Needs ``pip install 'ringback-pipecat[livekit]'`` (livekit-api). Nothing here raises into the
bot: a failure is logged once and the correlation comes back empty, with a warning that the
call's record keeps.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import aiohttp
from livekit import api
from livekit.protocol import models as lk_models
from livekit.protocol import room as lk_room

from ringback.core.correlation import Correlation, Provider, extract_correlation
from ringback.core.correlation.provider import Direction

logger = logging.getLogger("ringback.pipecat")

__all__ = [
    "SIP_ATTRIBUTES_WAIT_S",
    "livekit_sip_correlation",
]

SIP_ATTRIBUTES_WAIT_S = 10.0
"""How long `livekit_sip_correlation` waits, at most, for LiveKit SIP to set the Call-ID
attributes of a participant that has just joined (they can land after it joins)."""

_FIRST_POLL_S = 0.05
_MAX_POLL_S = 0.5
_MIN_REQUEST_S = 1.0
"""The least time one server API request gets, even past the deadline."""
_SIP = lk_models.ParticipantInfo.Kind.SIP
_ACCESS = frozenset({"unauthenticated", "permission_denied"})
_RETRIED = frozenset(
    {"unavailable", "internal", "unknown", "deadline_exceeded", "resource_exhausted", "canceled"}
)
"""Server API errors worth another try before the deadline (besides `not_found`)."""
_ENDED = frozenset({"hangup", "disconnected"})


@dataclass
class _Reading:
    """What the server said about the participant so far."""

    identity: str | None = None
    kind: int | None = None
    attributes: dict[str, str] | None = None
    gone: bool = False
    """Seen, then no longer in the room (it left)."""

    @property
    def is_sip(self) -> bool:
        return self.kind == _SIP

    @property
    def ready(self) -> bool:
        """Nothing more will come: the Call-ID is there, the call is up or over, or this is
        not a SIP participant at all."""
        if self.attributes is None:
            return self.gone
        if not self.is_sip or self.gone:
            return True
        status = self.attributes.get("sip.callStatus")
        return bool(self.attributes.get("sip.callIDFull")) or status == "active" or status in _ENDED


class _Refused(Exception):
    """The server refused the request for a reason that waiting cannot fix."""


async def livekit_sip_correlation(
    room_name: str,
    participant_identity: str | None = None,
    *,
    url: str | None = None,
    api_key: str | None = None,
    api_secret: str | None = None,
    lkapi: api.LiveKitAPI | None = None,
    wait_s: float = SIP_ATTRIBUTES_WAIT_S,
) -> Correlation:
    """The SIP Call-ID and X- headers of a LiveKit SIP participant, as a `Correlation` to hand
    to `RingbackObserver.note_correlation`.

    `participant_identity` is the participant's LiveKit identity (Pipecat's ``participant_id``);
    None takes the first SIP participant in `room_name`. The attributes are read with
    `RoomService.GetParticipant` (`ListParticipants` without an identity) through `lkapi`, or a
    client made from `url`, `api_key` and `api_secret`, which default to ``LIVEKIT_URL``,
    ``LIVEKIT_API_KEY`` and ``LIVEKIT_API_SECRET`` (the key needs the ``roomAdmin`` grant).

    LiveKit SIP can set a participant's attributes after it joins, so this reads them again
    until ``sip.callIDFull`` is there or ``sip.callStatus`` is ``active`` (or the call is
    over), for at most `wait_s` seconds. A participant that is not a SIP one gives an empty
    correlation right away. Never raises: on any failure it logs one warning and returns an
    empty `Correlation` whose warning says what went wrong.
    """
    try:
        client = lkapi or api.LiveKitAPI(url, api_key, api_secret)
    except ValueError:
        return _failed(
            room_name,
            participant_identity,
            "no LiveKit server API credentials: set LIVEKIT_URL, LIVEKIT_API_KEY and "
            "LIVEKIT_API_SECRET (or pass url, api_key and api_secret)",
        )
    reading = _Reading(identity=participant_identity)
    try:
        try:
            await _read_until_ready(client, room_name, reading, wait_s)
        finally:
            if lkapi is None:
                await client.aclose()
    except _Refused as exc:
        return _failed(room_name, participant_identity, str(exc))
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        return _failed(room_name, participant_identity, f"{type(exc).__name__}: {exc}")
    return _correlation(room_name, reading, wait_s)


async def _read_until_ready(
    client: api.LiveKitAPI, room_name: str, reading: _Reading, wait_s: float
) -> None:
    deadline = time.monotonic() + max(0.0, wait_s)
    pause = _FIRST_POLL_S
    last_error: Exception | None = None
    while True:
        try:
            left = max(deadline - time.monotonic(), _MIN_REQUEST_S)
            await asyncio.wait_for(_read(client, room_name, reading), left)
            last_error = None
        except api.TwirpError as exc:
            if exc.code == "not_found":
                if reading.attributes is not None:
                    reading.gone = True  # it was there: it has left
            elif exc.code in _RETRIED:
                last_error = exc
            elif exc.code in _ACCESS:
                raise _Refused(
                    f"LiveKit refused the API key ({exc.code}: {exc.message}); it needs the "
                    "roomAdmin grant for this room"
                ) from None
            else:
                raise _Refused(f"LiveKit answered {exc.code}: {exc.message}") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            last_error = exc  # the server may be restarting: try again until the deadline
        if reading.ready:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            if last_error is not None and reading.attributes is None:
                raise last_error
            return
        await asyncio.sleep(min(pause, left))
        pause = min(pause * 2, _MAX_POLL_S)


async def _read(client: api.LiveKitAPI, room_name: str, reading: _Reading) -> None:
    if reading.identity is None:
        listed = await client.room.list_participants(
            lk_room.ListParticipantsRequest(room=room_name)
        )
        found = next((p for p in listed.participants if p.kind == _SIP), None)
        if found is None:
            return
        info = found
        reading.identity = info.identity
    else:
        info = await client.room.get_participant(
            lk_room.RoomParticipantIdentity(room=room_name, identity=reading.identity)
        )
    reading.kind = info.kind
    reading.attributes = dict(info.attributes)


def _correlation(room_name: str, reading: _Reading, wait_s: float) -> Correlation:
    where = f"participant {reading.identity!r} in room {room_name!r}"
    if reading.attributes is None:
        if reading.identity is None:
            why = f"no SIP participant joined within {wait_s:g} s"
        else:
            why = f"it was not in the room within {wait_s:g} s"
        return _failed(room_name, reading.identity, why)
    if not reading.is_sip:
        logger.info("ringback: %s is not a SIP participant; no SIP correlation to read", where)
        return Correlation()
    attributes = reading.attributes
    direction: Direction = "inbound" if attributes.get("sip.ruleID") else "outbound"
    correlation = extract_correlation(attributes, Provider.LIVEKIT, direction=direction)
    if correlation.sip_call_id is None:
        waited = "" if reading.ready else f" within {wait_s:g} s"
        logger.warning(
            "ringback: the SIP %s had no sip.callIDFull attribute%s (sip.callStatus=%s); the "
            "call is synced without its SIP Call-ID",
            where,
            waited,
            attributes.get("sip.callStatus", "unset"),
        )
    return correlation


def _failed(room_name: str, identity: str | None, why: str) -> Correlation:
    who = f"participant {identity!r}" if identity else "the SIP participant"
    logger.warning(
        "ringback: could not read the SIP Call-ID and X- headers of %s in LiveKit room %r: %s; "
        "the call is synced without them",
        who,
        room_name,
        why,
    )
    return Correlation(warnings=(f"LiveKit SIP participant not read: {why}",))
