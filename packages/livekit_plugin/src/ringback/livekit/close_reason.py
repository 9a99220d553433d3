"""How a LiveKit call ended, as a Create Call API `disconnection_reason`.

Evidence, strongest first:

1. What the application said (`RingbackPlugin.set_disconnection_reason`).
2. An unrecoverable session error (`CloseReason.ERROR`) -> `error`.
3. The caller left before the session closed: the way they left (the participant's
   `disconnect_reason`) says who ended the call. `CLIENT_INITIATED` (the caller hung up),
   `USER_REJECTED` / `USER_UNAVAILABLE` (an outbound callee declined or did not answer) ->
   `user_hangup`; `ROOM_DELETED` / `ROOM_CLOSED` / `PARTICIPANT_REMOVED` (the agent deleted the
   room or removed the caller, which is how `EndCallTool` and `ctx.delete_room()` hang up) ->
   `agent_hangup`; SIP, media and connection failures -> `error`.
4. The session's own close reason: `PARTICIPANT_DISCONNECTED` -> `user_hangup`;
   `USER_INITIATED` (`session.shutdown()` / `aclose()`, which is also how the worker closes the
   session when the job ends) and `TASK_COMPLETED` -> `agent_hangup`; `JOB_SHUTDOWN` (the job
   ended while the caller was still connected: `ctx.shutdown()`, a worker drain or redeploy) ->
   `agent_hangup`, since the agent's side ended the call.
5. With no close event (the session never started or never closed), the job's shutdown reason:
   `"job crashed"` -> `error`, a simulator that left -> `user_hangup`, anything else the job
   ended -> `agent_hangup`.

Nothing at all -> `unknown`. The order is `ringback.core.ending`'s, shared with Pipecat.
"""

from __future__ import annotations

from livekit import rtc
from livekit.agents import CloseReason
from ringback.core.contract import DisconnectionReason
from ringback.core.ending import CallEnding

_DR = rtc.DisconnectReason

BY_DEPARTURE: dict[int, DisconnectionReason] = {
    _DR.CLIENT_INITIATED: DisconnectionReason.USER_HANGUP,
    _DR.USER_REJECTED: DisconnectionReason.USER_HANGUP,
    _DR.USER_UNAVAILABLE: DisconnectionReason.USER_HANGUP,
    _DR.ROOM_DELETED: DisconnectionReason.AGENT_HANGUP,
    _DR.ROOM_CLOSED: DisconnectionReason.AGENT_HANGUP,
    _DR.PARTICIPANT_REMOVED: DisconnectionReason.AGENT_HANGUP,
    _DR.SIP_TRUNK_FAILURE: DisconnectionReason.ERROR,
    _DR.MEDIA_FAILURE: DisconnectionReason.ERROR,
    _DR.CONNECTION_TIMEOUT: DisconnectionReason.ERROR,
    _DR.SIGNAL_CLOSE: DisconnectionReason.ERROR,
    _DR.JOIN_FAILURE: DisconnectionReason.ERROR,
    _DR.STATE_MISMATCH: DisconnectionReason.ERROR,
    _DR.SERVER_SHUTDOWN: DisconnectionReason.ERROR,
    _DR.AGENT_ERROR: DisconnectionReason.ERROR,
}
"""The caller's `participant.disconnect_reason` -> who ended the call (others say nothing)."""

BY_CLOSE: dict[CloseReason, DisconnectionReason] = {
    CloseReason.ERROR: DisconnectionReason.ERROR,
    CloseReason.PARTICIPANT_DISCONNECTED: DisconnectionReason.USER_HANGUP,
    CloseReason.USER_INITIATED: DisconnectionReason.AGENT_HANGUP,
    CloseReason.TASK_COMPLETED: DisconnectionReason.AGENT_HANGUP,
    CloseReason.JOB_SHUTDOWN: DisconnectionReason.AGENT_HANGUP,
}

_SHUTDOWN_REASONS: dict[str, DisconnectionReason] = {
    "job crashed": DisconnectionReason.ERROR,
    "simulation completed": DisconnectionReason.USER_HANGUP,
}


def departure_name(reason: int | None) -> str | None:
    """`CLIENT_INITIATED` for `rtc.DisconnectReason.CLIENT_INITIATED`, None when unknown."""
    if reason is None:
        return None
    try:
        return _DR.Name(reason)  # type: ignore[arg-type]
    except ValueError:
        return str(reason)


def disconnection_reason(
    *,
    close: CloseReason | None,
    departure: int | None = None,
    shutdown: str | None = None,
    ending: CallEnding | None = None,
) -> DisconnectionReason:
    """Who ended the call, from the session's close reason, how the caller left (their
    `rtc.DisconnectReason`, when they left before the close) and the job's shutdown reason,
    after the application's word in `ending` (`ringback.core.ending` decides)."""
    evidence = (
        BY_DEPARTURE.get(departure) if departure is not None else None,
        BY_CLOSE.get(close, DisconnectionReason.UNKNOWN) if close is not None else None,
        (
            _SHUTDOWN_REASONS.get(shutdown.strip().lower(), DisconnectionReason.AGENT_HANGUP)
            if shutdown is not None
            else None
        ),
    )
    return (ending if ending is not None else CallEnding()).decide(
        *evidence, fatal_error=close is CloseReason.ERROR
    )
