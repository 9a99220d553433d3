"""The wire protocol, defined once: where a call is posted, what each answer means, and the
headers and ids that link a simulated call to its result.

The client (`ringback.core.delivery`), the collector, the simulator's planner and dialler,
`ringback doctor` and `ringback-sim verify` all read these from here.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from enum import Enum

# ── the Create Call API ────────────────────────────────────────────────────────
CALL_PATH = "/api/v1/public/call"
"""`POST` one finished call (a `CallRecord` body) here, with `?workspace_id=` and
`agent_remote_identifier=`."""


class Answer(str, Enum):
    """What the server's HTTP status to a posted call means."""

    STORED = "stored"
    """201: a new call; 200: the same body again (an idempotent retry)."""
    CONFLICT = "conflict"
    """409: the server holds a different body under this `call_id`."""
    AUTH = "auth"
    """401 / 403: the key (or its workspace) is refused."""
    REDIRECT = "redirect"
    """3xx: not an answer from the Create Call API (a proxy, a wrong base URL)."""
    REJECTED = "rejected"
    """Another 4xx: the body will never be accepted as it is."""
    RETRY = "retry"
    """408 / 425 / 429 / 5xx, or anything else: try again later."""


_RETRY_4XX = frozenset({408, 425, 429})


def answer_for(status: int) -> Answer:
    """The meaning of the HTTP `status` the Create Call endpoint answered."""
    if 200 <= status < 300:
        return Answer.STORED
    if status == 409:
        return Answer.CONFLICT
    if status in (401, 403):
        return Answer.AUTH
    if 300 <= status < 400:
        return Answer.REDIRECT
    if 400 <= status < 500 and status not in _RETRY_4XX:
        return Answer.REJECTED
    return Answer.RETRY


# ── the headers a simulated call carries ───────────────────────────────────────
RUN_ID_HEADER = "X-Run-Id"
SCENARIO_ID_HEADER = "X-Scenario-Id"
RESULT_ID_HEADER = "X-Result-Id"
CORRELATION_ID_HEADER = "X-Correlation-Id"
"""Carries the result id too, so agents instrumented for the hosted service link as well."""
SIMULATION_HEADERS = (RUN_ID_HEADER, SCENARIO_ID_HEADER, RESULT_ID_HEADER, CORRELATION_ID_HEADER)
"""Set on every INVITE the simulator sends; a test profile cannot override them."""
RESULT_ID_HEADERS = (RESULT_ID_HEADER, CORRELATION_ID_HEADER)
"""Either one links a synced call to its result."""

# ── ids: alphanumeric, so they survive every provider's header forwarding ──────
RESULT_ID_SHAPE = "32 hex or 26 base32 characters"
"""A result id in words, for messages."""

_HEX32 = re.compile(r"[0-9a-fA-F]{32}")
_BASE32_26 = re.compile(r"[0-9A-Za-z]{26}")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RUN_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
"""A run id as the simulator makes one: a ULID."""
RESULT_ID = re.compile(r"^[0-9a-f]{32}$")
"""A result id as the simulator makes one: 32 lower-case hex characters."""


def new_run_id(*, now: float | None = None) -> str:
    """A ULID (26 Crockford base32 characters, time-ordered): 48 bits of milliseconds since
    the epoch, then 80 random bits."""
    millis = int((time.time() if now is None else now) * 1000)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_result_id() -> str:
    """A fresh result id: 32 lower-case hex characters."""
    return uuid.uuid4().hex


def canonical_result_id(value: object) -> str | None:
    """The comparable form of a result id (hex lower-cased, base32 upper-cased), or None
    when `value` is not 32 hex or 26 base32 characters (surrounding spaces aside)."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if _HEX32.fullmatch(value):
        return value.lower()
    if _BASE32_26.fullmatch(value):
        return value.upper()
    return None


def is_result_id(value: object) -> bool:
    """True when `value` has the shape of a result id, so a call carrying it can link."""
    return canonical_result_id(value) is not None


def same_result_id(a: str, b: str) -> bool:
    """Whether two header values name the same result id as the collector compares them
    (case-insensitively when both are result ids; exactly otherwise)."""
    left, right = canonical_result_id(a), canonical_result_id(b)
    if left is not None and right is not None:
        return left == right
    return a.strip() == b.strip()


__all__ = [
    "CALL_PATH",
    "CORRELATION_ID_HEADER",
    "RESULT_ID",
    "RESULT_ID_HEADER",
    "RESULT_ID_HEADERS",
    "RESULT_ID_SHAPE",
    "RUN_ID",
    "RUN_ID_HEADER",
    "SCENARIO_ID_HEADER",
    "SIMULATION_HEADERS",
    "Answer",
    "answer_for",
    "canonical_result_id",
    "is_result_id",
    "new_result_id",
    "new_run_id",
    "same_result_id",
]
