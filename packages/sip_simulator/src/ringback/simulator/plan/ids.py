"""Run and result ids: alphanumeric, so they survive every provider's header forwarding.

A run id is a ULID (26 Crockford base32 characters, time-ordered); a result id is 32 lower-case
hex characters. Both match what the hosted service accepts in `X-Correlation-Id`.
"""

from __future__ import annotations

import os
import re
import time
import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RUN_ID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
RESULT_ID = re.compile(r"^[0-9a-f]{32}$")


def new_run_id(*, now: float | None = None) -> str:
    """A ULID: 48 bits of milliseconds since the epoch, then 80 random bits."""
    millis = int((time.time() if now is None else now) * 1000)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def new_result_id() -> str:
    return uuid.uuid4().hex
