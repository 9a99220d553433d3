"""The caller: which remote participant it is, when it joined and left, and what its SIP
attributes (and `lk.sip.GetRemoteHeaders`) say about the call's correlation.

Everything is copied out of the participant as it arrives: by the time the job's shutdown
callbacks run, the room is disconnected and the caller is gone from `remote_participants`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from livekit import rtc
from ringback.core.correlation import Correlation, extract_correlation

logger = logging.getLogger("ringback.livekit")

Direction = Literal["inbound", "outbound"]

SIP = rtc.ParticipantKind.PARTICIPANT_KIND_SIP
CALLER_KINDS = frozenset(
    {
        SIP,
        rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD,
        rtc.ParticipantKind.PARTICIPANT_KIND_CONNECTOR,
    }
)
"""Participants that can be the other side of the call (agents, egress, ingress cannot)."""

GET_REMOTE_HEADERS = "lk.sip.GetRemoteHeaders"
"""LiveKit SIP's participant RPC: `{"include": [...]}` -> `{"headers": {name: value}}`."""

RPC_TIMEOUT = 2.0
"""Seconds `lk.sip.GetRemoteHeaders` may take before the call carries on without it."""

MISSING_HEADERS_WARNING = (
    "No X- headers reached the agent on this SIP call: the SIP participant has no sip.h.*"
    " attributes and lk.sip.GetRemoteHeaders was unavailable ({why}). If your callers send X-"
    " headers (Ringback's simulator sends X-Run-Id, X-Scenario-Id, X-Result-Id and"
    " X-Correlation-Id), set include_headers=SIP_X_HEADERS on the LiveKit SIP trunk (or map"
    " them with headers_to_attributes) so that they reach the agent as sip.h.* attributes."
)


def attributes_of(participant: Any) -> dict[str, str]:
    """The participant's attributes as plain strings (anything else is ignored)."""
    raw = getattr(participant, "attributes", None)
    if not isinstance(raw, Mapping):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, str)}


def kind_of(participant: Any) -> int | None:
    kind = getattr(participant, "kind", None)
    return kind if isinstance(kind, int) else None


def joined_at_of(participant: Any) -> float | None:
    """Unix seconds the participant joined, when LiveKit says."""
    joined = getattr(participant, "joined_at", None)
    return joined.timestamp() if isinstance(joined, datetime) else None


def direction_of(attributes: Mapping[str, str]) -> Direction | None:
    """`inbound` when a dispatch rule placed the caller (`sip.ruleID`), `outbound` when
    LiveKit's SIP attributes are there without one (CreateSIPParticipant), else unknown."""
    if attributes.get("sip.ruleID"):
        return "inbound"
    if attributes.get("sip.callID") or attributes.get("sip.callStatus"):
        return "outbound"
    return None


@dataclass
class Party:
    """One remote participant that may be the caller."""

    identity: str
    kind: int
    attributes: dict[str, str] = field(default_factory=dict)
    joined_at: float | None = None
    active_at: float | None = None
    """When a SIP leg was up (`sip.callStatus` `active`, or joined without a status)."""
    left_at: float | None = None
    departure: int | None = None
    """`rtc.DisconnectReason` when it left."""

    @property
    def is_sip(self) -> bool:
        return self.kind == SIP

    @property
    def started_at(self) -> float | None:
        return self.active_at if self.active_at is not None else self.joined_at

    @property
    def has_header_attributes(self) -> bool:
        return any(k.lower().startswith("sip.h.") for k in self.attributes)


@dataclass
class HeaderLookup:
    """What `lk.sip.GetRemoteHeaders` gave for the caller."""

    status: str = "not_tried"
    """`not_tried`, `pending`, `ok`, `unsupported`, `timeout`, `not_connected` or `failed`."""
    headers: dict[str, str] = field(default_factory=dict)
    """Only the X- headers and Call-ID, as `sip.h.<lower-case name>` attributes."""


class CallerTracker:
    """Follows remote participants and keeps the caller's SIP data as it arrives.

    The caller is the first SIP participant seen, or, without one, the first standard
    participant. Only the caller's attributes feed the correlation, so a second SIP leg (a
    transfer target) never overwrites the call's Call-ID.
    """

    def __init__(self, *, direction: Direction | None = None) -> None:
        self.direction = direction
        self.parties: dict[str, Party] = {}
        self.lookup = HeaderLookup()
        self._sip_caller: str | None = None
        self._other_caller: str | None = None

    @property
    def caller(self) -> Party | None:
        key = self._sip_caller or self._other_caller
        return self.parties.get(key) if key else None

    @property
    def is_sip(self) -> bool:
        return self._sip_caller is not None

    def call_direction(self) -> Direction | None:
        caller = self.caller
        if self.direction is not None or caller is None:
            return self.direction
        return direction_of(caller.attributes)

    def observe(self, participant: Any, *, now: float | None = None) -> Party | None:
        """Note a participant (joined, already there, or with new attributes); returns it
        when it is the SIP caller and its attributes changed."""
        identity = getattr(participant, "identity", None)
        kind = kind_of(participant)
        if not isinstance(identity, str) or kind not in CALLER_KINDS:
            return None
        now = time.time() if now is None else now
        party = self.parties.get(identity)
        first_sight = party is None
        if party is None:
            party = self.parties[identity] = Party(
                identity, kind, joined_at=joined_at_of(participant)
            )
            if kind == SIP and self._sip_caller is None:
                self._sip_caller = identity
            elif kind != SIP and self._other_caller is None:
                self._other_caller = identity
        attributes = attributes_of(participant)
        changed = any(party.attributes.get(k) != v for k, v in attributes.items())
        party.attributes.update(attributes)
        if party.is_sip and party.active_at is None:
            status = party.attributes.get("sip.callStatus")
            if status is None or status == "active":
                # Up when first seen: since it joined. Came up later (outbound): now.
                party.active_at = party.joined_at if first_sight else now
        if identity == self._sip_caller and changed:
            return party
        return None

    def departed(self, participant: Any, *, now: float | None = None) -> Party | None:
        """Note that a participant left; returns it when it is the caller."""
        identity = getattr(participant, "identity", None)
        party = self.parties.get(identity) if isinstance(identity, str) else None
        if party is None or party.left_at is not None:
            return None
        party.left_at = time.time() if now is None else now
        reason = getattr(participant, "disconnect_reason", None)
        party.departure = reason if isinstance(reason, int) else None
        return party if party is self.caller else None

    def correlation(self) -> Correlation | None:
        """The SIP caller's correlation from everything read so far."""
        caller = self.caller
        if caller is None or not caller.is_sip:
            return None
        data = {**self.lookup.headers, **caller.attributes}
        return extract_correlation(data, provider="livekit", direction=self.call_direction())

    def missing_headers_warning(self, correlation: Correlation) -> str | None:
        """The one warning for a SIP call whose X- headers may have been dropped (only a call
        the agent answered: on one it placed, the INVITE's headers were the agent's own)."""
        caller = self.caller
        if caller is None or not caller.is_sip or correlation.sip_headers:
            return None
        if self.call_direction() == "outbound":
            return None
        if caller.has_header_attributes or self.lookup.status == "ok":
            return None  # headers are forwarded: this INVITE simply carried none
        why = "still pending" if self.lookup.status == "pending" else self.lookup.status
        return MISSING_HEADERS_WARNING.format(why=why.replace("_", " "))


def headers_from_rpc(payload: str) -> dict[str, str]:
    """The X- headers and Call-ID of a `GetRemoteHeaders` answer, as `sip.h.*` attributes."""
    data = json.loads(payload)
    headers = data.get("headers") if isinstance(data, dict) else None
    if not isinstance(headers, dict):
        raise ValueError("GetRemoteHeaders answered without a headers object")
    found: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        lowered = name.strip().lower()
        if lowered.startswith("x-") or lowered == "call-id":
            found[f"sip.h.{lowered}"] = value
    return found


async def fetch_remote_headers(room: Any, identity: str, lookup: HeaderLookup) -> bool:
    """Ask the SIP participant for its INVITE's headers; never raises. True when answered."""
    lookup.status = "pending"
    isconnected = getattr(room, "isconnected", None)
    if callable(isconnected) and not isconnected():
        lookup.status = "not_connected"
        return False
    try:
        local = room.local_participant
        payload = await asyncio.wait_for(
            local.perform_rpc(
                destination_identity=identity,
                method=GET_REMOTE_HEADERS,
                payload="{}",
                response_timeout=RPC_TIMEOUT,
            ),
            RPC_TIMEOUT + 0.5,
        )
        lookup.headers = headers_from_rpc(payload)
    except asyncio.TimeoutError:
        lookup.status = "timeout"
    except rtc.RpcError as exc:
        unsupported = {
            rtc.RpcError.ErrorCode.UNSUPPORTED_METHOD,
            rtc.RpcError.ErrorCode.UNSUPPORTED_SERVER,
            rtc.RpcError.ErrorCode.UNSUPPORTED_VERSION,
        }
        if exc.code in unsupported:
            lookup.status = "unsupported"
        elif exc.code == rtc.RpcError.ErrorCode.RESPONSE_TIMEOUT:
            lookup.status = "timeout"
        else:
            lookup.status = "failed"
        logger.debug("ringback: %s failed: %s (%s)", GET_REMOTE_HEADERS, exc.message, exc.code)
    except Exception as exc:  # not connected yet, a malformed answer, an old SDK
        lookup.status = "failed"
        logger.debug("ringback: %s failed: %s", GET_REMOTE_HEADERS, type(exc).__name__)
    else:
        lookup.status = "ok"
        return True
    return False
