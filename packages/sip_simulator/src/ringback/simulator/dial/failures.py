"""Turn a failed dial into a failure kind and a reason a person can act on."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from livekit import api

from .connection import ACCESS_CODES, access_hint
from .outcome import FailureKind

_BY_CODE: dict[int, FailureKind] = {
    486: FailureKind.BUSY,
    600: FailureKind.BUSY,
    404: FailureKind.NOT_FOUND,
    604: FailureKind.NOT_FOUND,
    408: FailureKind.TIMEOUT,
    480: FailureKind.TIMEOUT,
    487: FailureKind.TIMEOUT,
    401: FailureKind.AUTH,
    403: FailureKind.AUTH,
    407: FailureKind.AUTH,
    503: FailureKind.UNAVAILABLE,
}

_EXPLAIN: dict[FailureKind, str] = {
    FailureKind.BUSY: "the agent's endpoint answered busy",
    FailureKind.NOT_FOUND: "the agent's endpoint does not know the dialled user or number",
    FailureKind.TIMEOUT: "nobody answered before the ringing timeout",
    FailureKind.AUTH: (
        "the agent's endpoint refused the credentials; check agent.username / agent.password"
    ),
    FailureKind.UNAVAILABLE: "the agent's endpoint is temporarily unavailable",
    FailureKind.SERVER_ERROR: "the agent's endpoint failed with a server error",
    FailureKind.REJECTED: "the agent's endpoint rejected the call",
}


@dataclass(frozen=True)
class DialFailure:
    kind: FailureKind
    reason: str
    sip_status_code: int | None = None
    sip_status: str | None = None


def kind_of_sip_status(code: int | None) -> FailureKind:
    """busy (486/600), not_found (404/604), timeout (408/480/487), auth (401/403/407),
    unavailable (503), server_error (other 5xx), rejected (anything else)."""
    if code is None:
        return FailureKind.REJECTED
    if code in _BY_CODE:
        return _BY_CODE[code]
    if 500 <= code < 600:
        return FailureKind.SERVER_ERROR
    return FailureKind.REJECTED


def classify(exc: BaseException) -> DialFailure:
    """Classify what `CreateSIPParticipant` (or a request around it) raised."""
    if isinstance(exc, api.SipCallError) and exc.sip_status_code is not None:
        code, status = exc.sip_status_code, exc.sip_status
        kind = kind_of_sip_status(code)
        text = f"{code} {status}" if status else str(code)
        return DialFailure(kind, f"SIP {text}: {_EXPLAIN[kind]}", code, status)
    if isinstance(exc, api.ServerError):
        if exc.code in ACCESS_CODES:
            return DialFailure(FailureKind.LIVEKIT_ACCESS, access_hint(exc))
        return DialFailure(
            FailureKind.LIVEKIT, f"LiveKit refused the request ({exc.code}): {exc.message}"
        )
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return DialFailure(
            FailureKind.TIMEOUT,
            "no answer from LiveKit before the ringing timeout (plus a margin) ran out",
        )
    if isinstance(exc, aiohttp.ClientError):
        return DialFailure(
            FailureKind.LIVEKIT, f"could not reach LiveKit: {type(exc).__name__}: {exc}"
        )
    return DialFailure(FailureKind.INTERNAL, f"{type(exc).__name__}: {exc}")
