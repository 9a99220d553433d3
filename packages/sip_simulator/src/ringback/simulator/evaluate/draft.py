"""A test scenario drafted from a real call: the caller's words become scripted turns, and
what the agent did (the tools it called and with what, the nodes it reached, who hung up)
becomes assertions, for the user to edit into a regression test.

`draft_scenario(body)` makes the scenario; `append_scenario(path, scenario)` adds it to a suite
file without touching the rest of the file (comments included), or says why it cannot.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ringback.core.errors import RingbackError
from ringback.simulator.suite.loader import SuiteError, parse_suite

from . import body as B

MAX_ID = 64
_NOT_ID = re.compile(r"[^A-Za-z0-9_-]+")


class FromCallError(RingbackError, ValueError):
    """The call cannot become a scenario, or the suite file cannot take it; says why."""


def scenario_id_for(call_id: str, taken: set[str]) -> str:
    """`from-<call id>` made into a scenario id (letters, digits, `-`, `_`), unique in `taken`."""
    base = ("from-" + _NOT_ID.sub("-", call_id).strip("-"))[: MAX_ID - 4].rstrip("-") or "from"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _hung_up_by(body: Mapping[str, Any]) -> str | None:
    return {"user_hangup": "user", "agent_hangup": "agent"}.get(
        str(body.get("disconnection_reason") or "")
    )


def draft_scenario(body: Mapping[str, Any], *, scenario_id: str) -> dict[str, Any]:
    """The scenario a stored call suggests: its user turns as scripted `turns`, each tool the
    agent called (with its arguments, when they are an object), each node it reached, who
    hung up, and no errors. Raises `FromCallError` for a call in which the user said nothing."""
    said = [t.text.strip() for t in B.turns(body, "user") if t.text.strip()]
    if not said:
        raise FromCallError(
            f"call {body.get('call_id')!r} has no user turn with text, so there is nothing for "
            "a simulated caller to say: pick a call with a transcript"
        )
    assertions: list[dict[str, Any]] = []
    seen_tools: set[str] = set()
    for call in B.tool_calls(body):
        if call.name in seen_tools or not call.name:
            continue
        seen_tools.add(call.name)
        spec: dict[str, Any] = {"name": call.name}
        if isinstance(call.params, Mapping) and call.params:
            spec["arguments"] = dict(call.params)
        assertions.append({"tool_called": spec})
    for node in dict.fromkeys(visit.name for visit in B.nodes(body)):
        assertions.append({"node_reached": {"name": node}})
    hung_up = _hung_up_by(body)
    if hung_up is not None:
        assertions.append({"hung_up_by": hung_up})
    assertions.append({"no_errors": True})
    call_id = str(body.get("call_id") or "")
    return {
        "id": scenario_id,
        "label": f"From call {call_id}",
        "instructions": (
            f"You are the caller of recorded call {call_id}. Say the scripted turns in order."
        ),
        "turns": said,
        "assertions": assertions,
    }


def scenario_yaml(scenario: Mapping[str, Any]) -> str:
    """The scenario as one item of a YAML `scenarios:` list, indented two spaces."""
    text = yaml.safe_dump(
        [dict(scenario)], sort_keys=False, allow_unicode=True, width=96, default_flow_style=False
    )
    return "".join(f"  {line}" if line.strip() else line for line in text.splitlines(True))


def append_scenario(path: Path, scenario: Mapping[str, Any]) -> None:
    """Add `scenario` at the end of the suite file's `scenarios:` list, leaving every other
    byte as it was. The list must be the file's last top-level key (the usual layout); the
    result must load as a suite (with the file's `${VAR}`s set or not) before it is written."""
    text = path.read_text(encoding="utf-8")
    top_level = [m.group(1) for m in re.finditer(r"^([A-Za-z_][\w-]*):", text, re.M)]
    if not top_level or top_level[-1] != "scenarios":
        raise FromCallError(
            f"{path}: `scenarios:` is not the last top-level key, so the new scenario cannot be "
            "appended without rewriting the file; paste the printed scenario into its list"
        )
    new = text if text.endswith("\n") else text + "\n"
    new += scenario_yaml(scenario)
    try:
        parse_suite(new, name=str(path), env=os.environ, unset_allowed_in=top_level)
    except SuiteError as exc:
        problems = "; ".join(str(p) for p in exc.problems[:3])
        raise FromCallError(
            f"{path} would not load with the scenario appended ({problems}); paste the printed "
            "scenario yourself"
        ) from None
    path.write_text(new, encoding="utf-8")


__all__ = [
    "FromCallError",
    "append_scenario",
    "draft_scenario",
    "scenario_id_for",
    "scenario_yaml",
]
