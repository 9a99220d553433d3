"""The X- headers of each INVITE, checked before anything is dialled."""

from __future__ import annotations

from collections.abc import Mapping

from ringback.core.correlation import HeaderError, canonical_header_name, check_header
from ringback.core.errors import RingbackError
from ringback.core.protocol import SIMULATION_HEADERS
from ringback.core.secrets import is_secret_name, masked
from ringback.simulator.suite.choices import Transport

RESERVED = SIMULATION_HEADERS
"""Set by Ringback on every call; a profile cannot override them."""

MAX_NAME_CHARS = 64
MAX_VALUE_BYTES = 256
UDP_HEADER_BUDGET = 700
"""Bytes of X- headers that still let the INVITE, SDP included, fit a 1,300-byte UDP datagram
(RFC 3261 §18.1.1 moves larger requests to TCP, which a UDP-only endpoint never sees)."""
STREAM_HEADER_BUDGET = 8_192


class HeaderPlanError(RingbackError, ValueError):
    """Headers that cannot be sent; the message names the scenario and the header."""


def invite_headers(
    ids: Mapping[str, str],
    profile_headers: Mapping[str, str],
    *,
    scenario_id: str,
    profile: str | None,
    transport: Transport | None,
) -> dict[str, str]:
    """Ringback's correlation headers followed by the profile's X- headers, all validated."""
    where = f"scenario {scenario_id!r}" + (f" (profile {profile!r})" if profile else "")
    headers = dict(ids)
    problems: list[str] = []
    for raw_name, value in profile_headers.items():
        name = canonical_header_name(raw_name)
        if name in RESERVED:
            problems.append(
                f"header {name} is set by Ringback on every call; rename the profile's header"
            )
            continue
        try:
            check_header(name, value)
        except HeaderError as exc:
            problems.append(str(exc))
            continue
        if len(name) > MAX_NAME_CHARS:
            problems.append(f"header {name}: the name is longer than {MAX_NAME_CHARS} characters")
        elif len(value.encode()) > MAX_VALUE_BYTES:
            problems.append(
                f"header {name}: the value is {len(value.encode())} bytes; SIP peers often drop "
                f"headers over {MAX_VALUE_BYTES} bytes, so keep it shorter"
            )
        elif any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in value):
            problems.append(f"header {name}: the value holds control characters")
        else:
            headers[name] = value
    size = sum(len(n) + len(v.encode()) + 4 for n, v in headers.items())  # "Name: value\r\n"
    budget = (
        STREAM_HEADER_BUDGET if transport in (Transport.TCP, Transport.TLS) else UDP_HEADER_BUDGET
    )
    if size > budget:
        problems.append(
            f"the X- headers add up to {size} bytes, more than the {budget} bytes that fit "
            + (
                "a UDP INVITE; use transport: tcp or fewer/shorter headers"
                if budget == UDP_HEADER_BUDGET
                else "an INVITE; send fewer or shorter headers"
            )
        )
    if problems:
        raise HeaderPlanError(f"{where}: " + "; ".join(problems))
    return headers


def is_secret_header(name: str) -> bool:
    """Whether a header's value should be masked when shown (`ringback.core.secrets`, the
    rule `ringback doctor` and `ringback-sim verify` use too)."""
    return is_secret_name(name)


__all__ = [
    "MAX_NAME_CHARS",
    "MAX_VALUE_BYTES",
    "RESERVED",
    "STREAM_HEADER_BUDGET",
    "UDP_HEADER_BUDGET",
    "HeaderPlanError",
    "invite_headers",
    "is_secret_header",
    "masked",
]
