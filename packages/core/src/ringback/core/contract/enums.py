"""Enumerations of the Create Call API."""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    """Who a timeline segment belongs to."""

    USER = "user"
    AGENT = "agent"
    AGENT_FUNCTION = "agent_function"
    """A tool call the agent made."""
    AGENT_RESULT = "agent_result"
    """The result of a tool call."""
    NODE_TRANSITION = "node_transition"
    """A flow node or agent change."""


class CallType(str, Enum):
    WEB_CALL = "web_call"
    PHONE_CALL = "phone_call"


class CallStatus(str, Enum):
    """Status of a synced call.

    The published clients disagree (`call_ended` vs `completed`/`error`); Ringback always sends
    `call_ended` for a finished call and reports how it ended in `disconnection_reason`.
    """

    CALL_ENDED = "call_ended"


class DisconnectionReason(str, Enum):
    USER_HANGUP = "user_hangup"
    AGENT_HANGUP = "agent_hangup"
    ERROR = "error"
    TIMEOUT = "timeout"
    UNKNOWN = "unknown"
