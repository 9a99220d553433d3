"""The JSON report: the whole `RunEvaluation`, each call with its timeline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ringback.simulator.evaluate import RunEvaluation

from .models import CallBodies, timeline

SCHEMA_VERSION = 1


def render_json(evaluation: RunEvaluation, bodies: Mapping[str, CallBodies]) -> str:
    """`RunEvaluation` as JSON, each call gaining `timeline` (agent side, else caller side)
    and `caller_timeline`."""
    data: dict[str, Any] = {"schema_version": SCHEMA_VERSION, **evaluation.model_dump(mode="json")}
    for call in data["calls"]:
        pair = bodies.get(call.get("result_id") or "") or CallBodies()
        call["timeline"] = [e.model_dump(mode="json") for e in timeline(pair.agent)]
        call["caller_timeline"] = [e.model_dump(mode="json") for e in timeline(pair.caller)]
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
