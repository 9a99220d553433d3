"""Turn a failed dial into a failure kind and a reason a person can act on."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import aiohttp
from livekit import api

from ringback.simulator.batch.outcome import FailureKind

from .connection import ACCESS_CODES, access_hint

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

_NO_ANSWER = (
    "nobody answered before the ringing timeout. This also means nothing answers at "
    "agent.sip_uri at all (over UDP an address nobody listens on looks the same: check the "
    "host, port and transport), and on LiveKit SIP that the INVITE matched no inbound trunk "
    "(LiveKit drops those without a reply: check the dialled number and the trunk's numbers "
    "and allowed_addresses) or that the agent never published audio (LiveKit keeps a call "
    "ringing until someone in the room does)"
)
_UNREACHABLE_REASON = (
    "could not reach the agent's SIP address ({detail}): check the host, port and transport "
    "of agent.sip_uri, and that nothing (a firewall, a stopped PBX) is in the way"
)
_BAD_CREDENTIALS = (
    "SIP 401/407: the agent's endpoint challenged the call for digest authentication and "
    "refused the credentials sent; check agent.username / agent.password"
)
_NO_CREDENTIALS = (
    "SIP 401/407: the agent's endpoint requires digest authentication and the suite gives "
    "no credentials; set agent.username / agent.password"
)
# What livekit-sip says when it carries no SIP status in the error's metadata (older releases,
# and failures that never got a final response).
_DIAL_ERROR = re.compile(r"dial err=.*?: (?P<detail>[^:]+)$")
_SEND_ERROR = re.compile(r"sendto: (?P<detail>[^.]+)\. transaction transport error")
_SIP_STATUS = re.compile(r"sip status:? ?(?P<code>[1-6]\d\d)", re.IGNORECASE)


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


def dial_failure_for(exc: BaseException) -> DialFailure:
    """Classify what `CreateSIPParticipant` (or a request around it) raised."""
    if isinstance(exc, api.SipCallError) and exc.sip_status_code is not None:
        code, status = exc.sip_status_code, exc.sip_status
        kind = kind_of_sip_status(code)
        text = f"{code} {status}" if status else str(code)
        return DialFailure(kind, f"SIP {text}: {_EXPLAIN[kind]}", code, status)
    if isinstance(exc, api.ServerError):
        if exc.code in ACCESS_CODES:
            return DialFailure(FailureKind.LIVEKIT_ACCESS, access_hint(exc))
        return _from_livekit_sip(exc) or DialFailure(
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


def _from_livekit_sip(exc: api.ServerError) -> DialFailure | None:
    """A failed dial that livekit-sip described in words only."""
    message = (exc.message or "").strip()
    if exc.code == "canceled" or message.endswith(": canceled") or message == "canceled":
        return DialFailure(FailureKind.TIMEOUT, _NO_ANSWER)
    if "no auth header in response" in message or "max auth retry" in message:
        return DialFailure(FailureKind.AUTH, _BAD_CREDENTIALS)
    if "required auth, but no username or password" in message:
        return DialFailure(FailureKind.AUTH, _NO_CREDENTIALS)
    if found := _DIAL_ERROR.search(message) or _SEND_ERROR.search(message):
        detail = found.group("detail").strip()
        return DialFailure(FailureKind.UNREACHABLE, _UNREACHABLE_REASON.format(detail=detail))
    if "transaction failed to complete" in message:
        return DialFailure(
            FailureKind.UNREACHABLE, _UNREACHABLE_REASON.format(detail="no SIP response")
        )
    if found := _SIP_STATUS.search(message):
        code = int(found.group("code"))
        kind = kind_of_sip_status(code)
        return DialFailure(kind, f"SIP {code}: {_EXPLAIN[kind]}", code)
    return None


@dataclass(frozen=True)
class SipStatusAdvice:
    """A SIP final response in plain words, and what to change."""

    meaning: str
    fix: str


_ADVICE: dict[int, SipStatusAdvice] = {
    401: SipStatusAdvice(
        "the agent's endpoint asks for digest authentication and did not accept what was sent "
        "(no credentials, or a wrong username or password)",
        "give the credentials the endpoint expects: agent.username / agent.password in the "
        "suite (or --username and AGENT_SIP_PASSWORD); Ringback updates its managed trunk "
        "with them",
    ),
    403: SipStatusAdvice(
        "the agent's endpoint refused the call: the credentials are wrong, or it does not "
        "accept calls from LiveKit's addresses or from this caller number",
        "check agent.username / agent.password, and allow LiveKit SIP on the endpoint (its IP "
        "allow-list, or the inbound trunk's allowed_addresses / allowed_numbers); set "
        "agent.caller_number if it only accepts known numbers",
    ),
    404: SipStatusAdvice(
        "the agent's endpoint does not know the dialled user or number",
        "check the user part of agent.sip_uri (sip:USER@host) or agent.phone_number: it must "
        "match a number or user the endpoint routes to the agent (on LiveKit: an inbound "
        "trunk's numbers and a dispatch rule)",
    ),
    407: SipStatusAdvice(
        "a SIP proxy in front of the agent asks for credentials that were not accepted",
        "give the proxy's credentials as agent.username / agent.password",
    ),
    408: SipStatusAdvice(
        "nobody answered before the ringing timeout, or the endpoint never replied",
        "make sure the agent is running and taking calls (its worker registered, a dispatch "
        "rule matching the number), that the host, port and transport reach it (firewall, "
        "udp vs tcp), and raise the ringing timeout if it answers slowly",
    ),
    480: SipStatusAdvice(
        "the agent's endpoint is reachable but nobody is available to take the call",
        "start the agent (its worker must be registered and have free capacity), then retry",
    ),
    486: SipStatusAdvice(
        "the agent's endpoint answered busy: it has no free capacity or refuses concurrent calls",
        "make sure an agent is free to take the call (worker capacity, concurrent-call limit "
        "on the trunk), then retry",
    ),
    487: SipStatusAdvice(
        "the call was cancelled before it was answered (usually the ringing timeout)",
        "make sure the agent answers within the ringing timeout, or raise it",
    ),
    488: SipStatusAdvice(
        "the agent's endpoint cannot accept the call's media (codecs or encryption)",
        "match agent.media_encryption to what the endpoint requires (disable, allow, require) "
        "and allow a common codec (PCMU/PCMA/Opus)",
    ),
    503: SipStatusAdvice(
        "the agent's endpoint is temporarily unavailable (overloaded or not running)",
        "check the agent's service is up, then retry",
    ),
    600: SipStatusAdvice(
        "every destination behind the endpoint answered busy",
        "free up capacity on the agent's side, then retry",
    ),
    603: SipStatusAdvice(
        "the agent's endpoint declined the call",
        "check the endpoint's call-acceptance rules (allowed callers, time of day, blocklists)",
    ),
    604: SipStatusAdvice(
        "the dialled user or number does not exist anywhere behind the endpoint",
        "check the user part of agent.sip_uri or agent.phone_number",
    ),
}


def advice_for_status(code: int) -> SipStatusAdvice:
    """Plain words and a fix for a SIP final response code."""
    if code in _ADVICE:
        return _ADVICE[code]
    kind = kind_of_sip_status(code)
    if kind is FailureKind.SERVER_ERROR:
        return SipStatusAdvice(
            "the agent's endpoint failed with a server error",
            "check the logs of the agent's SIP server or PBX for this call",
        )
    return SipStatusAdvice(
        "the agent's endpoint rejected the call",
        "check the endpoint's logs for why it rejected the INVITE",
    )
