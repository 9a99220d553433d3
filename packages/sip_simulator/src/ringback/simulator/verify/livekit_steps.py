"""The LiveKit steps: the credentials work, the outbound trunk exists or can be set up, and
one short call to the agent is answered (a SIP failure explained in words)."""

from __future__ import annotations

import aiohttp
from google.protobuf.message import DecodeError
from livekit import api
from livekit.protocol import room as proto_room

from ringback.simulator.batch.outcome import FailureKind
from ringback.simulator.dial.connection import LiveKitAccessError, LiveKitConnection
from ringback.simulator.dial.failures import DialFailure, advice_for_status
from ringback.simulator.dial.trunks import TrunkError, TrunkManager, TrunkResolution
from ringback.simulator.suite.models import AgentEndpoint

from .call import VerifyCall
from .checklist import Checklist
from .diagnosis import LIVEKIT_SILENT
from .models import StepId

PROBE_ROOM = "ringback-verify-probe"
"""Listing rooms by this name is the cheapest authenticated request (it never exists)."""
_UNREACHABLE = (aiohttp.ClientError, OSError, TimeoutError)
_NOT_LIVEKIT = (
    "Check LIVEKIT_URL is your LiveKit project's URL, e.g. wss://my-project.livekit.cloud (or "
    "http://host:7880 for a self-hosted server)."
)
_GRANTS = (
    "Use an API key with the grants Ringback needs: roomList, roomCreate and roomAdmin for "
    "rooms, sip.admin for trunks and sip.call to dial (LiveKit Cloud project keys have all)."
)


async def check_credentials(
    checklist: Checklist, lkapi: api.LiveKitAPI, connection: LiveKitConnection
) -> bool:
    """Step 1: an authenticated request to LIVEKIT_URL succeeds."""
    checklist.start()
    url = connection.url
    try:
        await lkapi.room.list_rooms(proto_room.ListRoomsRequest(names=[PROBE_ROOM]))
    except api.ServerError as exc:
        if exc.code == api.ServerErrorCode.UNAUTHENTICATED:
            return checklist.failed(
                StepId.CREDENTIALS,
                f"LiveKit at {url} did not accept the API key and secret "
                f"({exc.code}: {exc.message})",
                "Set LIVEKIT_API_KEY and LIVEKIT_API_SECRET to a key pair of the project at "
                "LIVEKIT_URL (LiveKit Cloud: the project's Settings → API keys; self-hosted: "
                "the keys: section of livekit.yaml).",
            )
        if exc.code == api.ServerErrorCode.PERMISSION_DENIED:
            return checklist.failed(
                StepId.CREDENTIALS,
                f"LiveKit at {url} accepted the API key but refused the request "
                f"({exc.code}: {exc.message})",
                _GRANTS,
            )
        return checklist.failed(
            StepId.CREDENTIALS,
            f"{url} answered, but not as the LiveKit server API ({exc.code}: {exc.message})",
            _NOT_LIVEKIT,
        )
    except _UNREACHABLE as exc:
        return checklist.failed(
            StepId.CREDENTIALS,
            f"could not reach LIVEKIT_URL {url}: {type(exc).__name__}: {exc}",
            "Check LIVEKIT_URL (e.g. wss://my-project.livekit.cloud) and that this machine can "
            "reach it (DNS, proxy, firewall).",
        )
    except Exception as exc:  # e.g. a web page that answers 200: a protobuf DecodeError
        why = (
            "its answer does not decode as a LiveKit response"
            if isinstance(exc, DecodeError)
            else f"{type(exc).__name__}: {exc}"
        )
        return checklist.failed(
            StepId.CREDENTIALS,
            f"{url}: this URL did not answer as the LiveKit server API ({why})",
            _NOT_LIVEKIT,
        )
    return checklist.passed(StepId.CREDENTIALS, f"{url} accepted the API key and secret")


def _describe_trunk(resolution: TrunkResolution) -> str:
    name = f" ({resolution.name})" if resolution.name else ""
    return {
        "given": f"outbound trunk {resolution.trunk_id} exists",
        "created": f"created Ringback's outbound trunk {resolution.trunk_id}{name}",
        "reused": f"Ringback's outbound trunk {resolution.trunk_id}{name} is up to date",
        "updated": f"updated Ringback's outbound trunk {resolution.trunk_id}{name}",
    }[resolution.action]


async def check_trunk(
    checklist: Checklist,
    lkapi: api.LiveKitAPI,
    endpoint: AgentEndpoint,
    *,
    fingerprint_key: str,
) -> str | None:
    """Step 2: the trunk given by id exists, or Ringback's managed trunk for the endpoint
    exists or can be created / updated (the same trunk `ringback-sim run` uses). Returns its
    id."""
    checklist.start()
    try:
        resolution = await TrunkManager(lkapi, fingerprint_key=fingerprint_key).resolve(endpoint)
    except LiveKitAccessError as exc:
        checklist.failed(StepId.TRUNK, str(exc), _GRANTS)
        return None
    except TrunkError as exc:
        if endpoint.trunk_id:
            fix = (
                "Give the id of an outbound trunk of this LiveKit project (`lk sip outbound "
                "list`), or give agent.sip_uri instead and let Ringback manage a trunk."
            )
        else:
            fix = (
                "Check agent.sip_uri's host and port and the transport; the LiveKit project "
                "must have SIP (telephony) enabled."
            )
        checklist.failed(StepId.TRUNK, str(exc), fix)
        return None
    except _UNREACHABLE as exc:
        checklist.failed(
            StepId.TRUNK,
            f"lost LiveKit while setting up the trunk: {type(exc).__name__}: {exc}",
            "Check the connection to LIVEKIT_URL and run verify again.",
        )
        return None
    checklist.passed(StepId.TRUNK, _describe_trunk(resolution))
    return resolution.trunk_id


def _failure_fix(failure: DialFailure, ringing_timeout_s: float) -> tuple[str, str]:
    """(detail, fix) for a call that was not answered."""
    if failure.sip_status_code is not None:
        advice = advice_for_status(failure.sip_status_code)
        status = f" {failure.sip_status}" if failure.sip_status else ""
        return f"SIP {failure.sip_status_code}{status}: {advice.meaning}", _sentence(advice.fix)
    if failure.kind is FailureKind.LIVEKIT_ACCESS:
        return failure.reason, _GRANTS
    if failure.kind is FailureKind.TIMEOUT:
        return (
            f"no answer within the ringing timeout ({ringing_timeout_s:g} s): {failure.reason}",
            "Make sure the agent is running and answers; raise --ringing-timeout if it is slow.",
        )
    return (
        failure.reason,
        "Check the trunk and agent.sip_uri (or phone_number), then run verify again.",
    )


def _sentence(text: str) -> str:
    text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def check_answered(checklist: Checklist, call: VerifyCall, *, ringing_timeout_s: float) -> bool:
    """Step 3: the call was answered; a failure says why in words."""
    if call.failure is not None or not call.answered:
        failure = call.failure or DialFailure(FailureKind.INTERNAL, "the call was not placed")
        detail, fix = _failure_fix(failure, ringing_timeout_s)
        return checklist.failed(StepId.CALL, detail, fix)
    parts = [f"answered after {call.answered_after_s:.1f} s"]
    if call.sip_call_id:
        parts.append(f"Call-ID {call.sip_call_id}")
    elif (unknown := call.unknown_call_id()) is LIVEKIT_SILENT:
        parts.append("LiveKit did not report its Call-ID (sip.callIDFull)")
    else:
        parts.append(f"the Call-ID is unknown: {unknown.reason}")
    if call.livekit_call_id:
        parts.append(f"LiveKit id {call.livekit_call_id}")
    held = f"{call.held_s:.1f} s" if call.held_s is not None else "briefly"
    parts.append(
        f"the agent hung up after {held}" if call.ended_by_agent else f"hung up after {held}"
    )
    parts.extend(call.warnings)
    return checklist.passed(StepId.CALL, "; ".join(parts))


__all__ = ["PROBE_ROOM", "check_answered", "check_credentials", "check_trunk"]
