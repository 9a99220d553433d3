"""How a stored call finds its simulation result, and which side of the call it is.

A call links to a result, in this order of preference:

1. `X-Result-Id` in `sip_headers` (header names are case-insensitive);
2. on the caller side only, `general_meta_data_raw.simulation.result_id`;
3. `X-Correlation-Id` in `sip_headers`;
4. otherwise its `sip_call_id`, when it equals the Call-ID the simulator dialled.

Linking happens whichever arrives first: a call stored before its result is registered links
when the result is registered (or its dialled Call-ID is set). A call that links to nothing
is production traffic. Result ids are 32 hex or 26 base32 characters; hex is compared in lower
case and base32 in upper case, so a header whose case was changed in transit still links.

The simulator's own (caller) side of a call is marked in its body with
`general_meta_data_raw["simulation"]["side"] == "caller"` (see `caller_side_metadata`); every
other call is the agent's side. Both attach to the same result under those two roles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ringback.core.protocol import (
    CORRELATION_ID_HEADER,
    RESULT_ID_HEADER,
    RESULT_ID_SHAPE,
    canonical_result_id,
)

SIMULATION_KEY = "simulation"
"""The `general_meta_data_raw` key holding simulation details on the caller side."""
SIDE_KEY = "side"
CALLER_SIDE = "caller"
"""`general_meta_data_raw.simulation.side` of the simulator's own recording of a call."""
AGENT_SIDE = "agent"


MAX_REF_CHARS = 256
MAX_SIP_CALL_ID_CHARS = 1024


class LinkedBy(str, Enum):
    """What linked a call to its result."""

    X_RESULT_ID = "x-result-id"
    SIMULATION_METADATA = "simulation-metadata"
    X_CORRELATION_ID = "x-correlation-id"
    SIP_CALL_ID = "sip-call-id"


def require_result_id(value: str) -> str:
    """`canonical_result_id` or a `ValueError` that says what a result id must look like."""
    canonical = canonical_result_id(value)
    if canonical is None:
        raise ValueError(
            f"result id {value!r} must be {RESULT_ID_SHAPE} (e.g. uuid4().hex), "
            "so it survives every provider's header forwarding"
        )
    return canonical


def caller_side_metadata(
    *,
    result_id: str | None = None,
    run_id: str | None = None,
    scenario_id: str | None = None,
) -> dict[str, Any]:
    """`general_meta_data_raw` keys marking a call as the simulator's (caller) side.

    Pass it as the recorder's metadata (`CallOptions(metadata=...)`); with `result_id` the
    call links to that result even without X- headers.
    """
    simulation: dict[str, Any] = {SIDE_KEY: CALLER_SIDE}
    for key, value in (("result_id", result_id), ("run_id", run_id), ("scenario_id", scenario_id)):
        if value:
            simulation[key] = value
    return {SIMULATION_KEY: simulation}


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header's value by case-insensitive name (stripped; None when absent or empty)."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        if key.strip().lower() == wanted and isinstance(value, str) and value.strip():
            return value.strip()
    return None


@dataclass(frozen=True, slots=True)
class LinkKeys:
    """What a call offers for linking, and its side."""

    side: str = AGENT_SIDE
    result_ref: str | None = None
    result_ref_source: LinkedBy | None = None
    correlation_ref: str | None = None
    sip_call_id: str | None = None

    def refs(self) -> list[tuple[str, LinkedBy]]:
        """Result-id references in order of preference."""
        found: list[tuple[str, LinkedBy]] = []
        if self.result_ref and self.result_ref_source:
            found.append((self.result_ref, self.result_ref_source))
        if self.correlation_ref:
            found.append((self.correlation_ref, LinkedBy.X_CORRELATION_ID))
        return found


def _ref(value: str | None) -> str | None:
    if value is None:
        return None
    canonical = canonical_result_id(value)
    if canonical is not None:
        return canonical
    return value if len(value) <= MAX_REF_CHARS else None


def link_keys(
    general_meta: Mapping[str, Any] | None,
    sip_headers: Mapping[str, str] | None,
    sip_call_id: str | None,
) -> LinkKeys:
    """Read a call's side and link references from its body's fields."""
    simulation = (general_meta or {}).get(SIMULATION_KEY)
    simulation = simulation if isinstance(simulation, Mapping) else {}
    side_value = simulation.get(SIDE_KEY)
    is_caller = isinstance(side_value, str) and side_value.strip().lower() == CALLER_SIDE
    result_ref = _ref(header(sip_headers, RESULT_ID_HEADER))
    source: LinkedBy | None = LinkedBy.X_RESULT_ID if result_ref else None
    if result_ref is None and is_caller:
        meta_ref = simulation.get("result_id")
        result_ref = _ref(meta_ref.strip()) if isinstance(meta_ref, str) and meta_ref else None
        source = LinkedBy.SIMULATION_METADATA if result_ref else None
    call_id = sip_call_id.strip() if sip_call_id else None
    if call_id and len(call_id) > MAX_SIP_CALL_ID_CHARS:
        call_id = None  # no dialled Call-ID is that long; keep it in the body only
    return LinkKeys(
        side=CALLER_SIDE if is_caller else AGENT_SIDE,
        result_ref=result_ref,
        result_ref_source=source,
        correlation_ref=_ref(header(sip_headers, CORRELATION_ID_HEADER)),
        sip_call_id=call_id or None,
    )
