"""Call bodies for the collector tests, built the way Ringback builds them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ringback.core.contract import CallRecord
from ringback.core.sample import sample_call
from ringback.simulator.store.linking import caller_side_metadata

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "collector"


def fixture_body(name: str) -> dict[str, Any]:
    """A published-client body from tests/fixtures/collector/."""
    return json.loads((FIXTURES / name).read_text())


def call_record(
    call_id: str,
    *,
    turns: int = 3,
    sip_call_id: str | None = None,
    sip_headers: dict[str, str] | None = None,
    caller_result_id: str | None = None,
    caller: bool = False,
) -> CallRecord:
    """A sample call with the given correlation; `caller=True` marks the simulator's side."""
    record = sample_call(turns, call_id=call_id, wall_start=1_767_000_000.0)
    update: dict[str, Any] = {"sip_call_id": sip_call_id, "sip_headers": sip_headers}
    if caller or caller_result_id:
        meta = record.general_meta_data_raw.model_dump()
        meta.update(caller_side_metadata(result_id=caller_result_id))
        update["general_meta_data_raw"] = type(record.general_meta_data_raw)(**meta)
    return record.model_copy(update=update)


def call_body(call_id: str, **kwargs: Any) -> bytes:
    return call_record(call_id, **kwargs).to_json_bytes()
