"""One check per assertion kind, on the agent side's body (the agent's view of the call)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from ringback.simulator.suite.assertions import (
    DurationSpec,
    LatencySpec,
    NodeReachedSpec,
    SaidSpec,
    ToolCalledSpec,
    ToolNotCalledSpec,
)

from . import body as B

Verdict = tuple[bool, str]


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names(calls: list[B.ToolCall]) -> str:
    names = list(dict.fromkeys(c.name for c in calls))
    return ", ".join(names) if names else "none"


def subset_mismatch(expected: Any, actual: Any, path: str = "") -> str | None:
    """Where `actual` does not contain `expected` (dicts: a nested subset; anything else:
    equal), or None when it does. A JSON string in `actual` is parsed first."""
    if isinstance(actual, str) and isinstance(expected, (dict, list)):
        actual = B.parse_params(actual)
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return f"{path or 'arguments'}: expected an object, got {_short(actual)}"
        for key, value in expected.items():
            where = f"{path}.{key}" if path else str(key)
            if key not in actual:
                return f"{where}: missing"
            problem = subset_mismatch(value, actual[key], where)
            if problem:
                return problem
        return None
    if expected != actual or isinstance(expected, bool) != isinstance(actual, bool):
        return f"{path or 'arguments'}: expected {_short(expected)}, got {_short(actual)}"
    return None


def tool_called(spec: ToolCalledSpec, body: Mapping[str, Any]) -> Verdict:
    calls = B.tool_calls(body)
    named = [c for c in calls if c.name == spec.name]
    if not named:
        return False, f"tool {spec.name} was never called; tools called: {_names(calls)}"
    if spec.arguments is None:
        return True, f"tool {spec.name} called at {B.seconds(named[0].start_ms)}"
    problems = []
    for call in named:
        problem = subset_mismatch(spec.arguments, call.params)
        if problem is None:
            return True, (
                f"tool {spec.name} called at {B.seconds(call.start_ms)} with "
                f"{_short(spec.arguments)}"
            )
        problems.append(problem)
    times = "once" if len(named) == 1 else f"{len(named)} times"
    return False, (
        f"tool {spec.name} was called {times} but never with arguments "
        f"{_short(spec.arguments)} ({problems[0]})"
    )


def tool_not_called(spec: ToolNotCalledSpec, body: Mapping[str, Any]) -> Verdict:
    named = [c for c in B.tool_calls(body) if c.name == spec.name]
    if not named:
        return True, f"tool {spec.name} was never called"
    times = "once" if len(named) == 1 else f"{len(named)} times"
    return False, (
        f"tool {spec.name} was called {times} (first at {B.seconds(named[0].start_ms)}, "
        f"with {_short(named[0].params)})"
    )


def _first_match(spec: SaidSpec, body: Mapping[str, Any]) -> tuple[B.Turn, str] | None:
    pattern = re.compile(spec.pattern)
    for turn in B.turns(body, spec.role):
        match = pattern.search(turn.text)
        if match:
            return turn, match.group(0)
    return None


def said(spec: SaidSpec, body: Mapping[str, Any]) -> Verdict:
    found = _first_match(spec, body)
    if found:
        turn, text = found
        return True, f"{spec.role} said {text!r} at {B.seconds(turn.start_ms)}"
    count = len(B.turns(body, spec.role))
    return False, (
        f"{spec.role} never said anything matching /{spec.pattern}/ "
        f"in {count} {spec.role} turn{'s' if count != 1 else ''}"
    )


def never_said(spec: SaidSpec, body: Mapping[str, Any]) -> Verdict:
    found = _first_match(spec, body)
    if found:
        turn, text = found
        return False, f"{spec.role} said {text!r} at {B.seconds(turn.start_ms)}"
    count = len(B.turns(body, spec.role))
    return True, (
        f"{spec.role} never said anything matching /{spec.pattern}/ "
        f"in {count} {spec.role} turn{'s' if count != 1 else ''}"
    )


def node_reached(spec: NodeReachedSpec, body: Mapping[str, Any]) -> Verdict:
    visits = B.nodes(body)
    for visit in visits:
        if visit.name == spec.name:
            return True, f"node {spec.name} reached at {B.seconds(visit.start_ms)}"
    reached = ", ".join(dict.fromkeys(v.name for v in visits)) or "none"
    return False, f"node {spec.name} was never reached; nodes reached: {reached}"


def latency(
    spec: LatencySpec, body: Mapping[str, Any], caller: Mapping[str, Any] | None = None
) -> Verdict:
    values = B.call_latency_samples(body, caller).get(spec.metric, [])
    if not values and spec.metric == B.HEARD_LATENCY:
        side = "has no turn the agent answered" if caller is not None else "is not linked"
        return False, f"no {spec.metric}: the simulated caller's side of the call {side}"
    if not values:
        return False, (
            f"no agent turn reported {spec.metric}; the agent's integration sends no "
            "latency metrics, or the agent never spoke"
        )
    turns = "caller turn" if spec.metric == B.HEARD_LATENCY else "agent turn"
    over = f"over {len(values)} {turns}{'s' if len(values) != 1 else ''}"
    limits = [
        (name, limit, value)
        for name, limit, value in (
            ("p50", spec.p50_ms, B.percentile(values, 0.5)),
            ("p95", spec.p95_ms, B.percentile(values, 0.95)),
            ("max", spec.max_ms, max(values)),
        )
        if limit is not None
    ]
    if not limits:
        return True, f"no limit set; max {spec.metric} {B.millis(max(values))} {over}"
    broken = [
        f"{name} {spec.metric} {B.millis(value)} > {B.millis(limit)}"
        for name, limit, value in limits
        if value > limit
    ]
    if broken:
        return False, "; ".join(broken) + f" {over}"
    kept = ", ".join(
        f"{name} {spec.metric} {B.millis(value)} <= {B.millis(limit)}"
        for name, limit, value in limits
    )
    return True, f"{kept} {over}"


def _dur(value: timedelta) -> str:
    return B.seconds(value.total_seconds() * 1000)


def duration(spec: DurationSpec, body: Mapping[str, Any]) -> Verdict:
    ms = body.get("duration_ms")
    if not isinstance(ms, (int, float)):
        return False, "the call body has no duration_ms"
    lasted = f"call lasted {B.seconds(ms)}"
    if spec.min is not None and ms < spec.min.total_seconds() * 1000:
        return False, f"{lasted}, shorter than the minimum {_dur(spec.min)}"
    if spec.max is not None and ms > spec.max.total_seconds() * 1000:
        return False, f"{lasted}, longer than the maximum {_dur(spec.max)}"
    return True, lasted


_HANGUPS = {"user_hangup": "user", "agent_hangup": "agent"}
_SWAPPED = {"user_hangup": "agent", "agent_hangup": "user"}
"""On the caller side, `agent` is the simulated caller and `user` the agent under test."""


def hung_up_by(
    expected: str, body: Mapping[str, Any], caller_body: Mapping[str, Any] | None
) -> Verdict:
    reason = str(body.get("disconnection_reason") or "unknown")
    who = _HANGUPS.get(reason)
    source = f"disconnection_reason {reason}"
    if who is None and caller_body is not None:
        caller_reason = str(caller_body.get("disconnection_reason") or "")
        if caller_reason in _SWAPPED:
            who = _SWAPPED[caller_reason]
            source = f"agent side {reason}; caller side {caller_reason}"
    if who is None:
        wanted = "the user or the agent" if expected == "either" else f"the {expected}"
        return False, f"the call ended with {source}, not a hang-up by {wanted}"
    if expected in ("either", who):
        return True, f"the {who} hung up ({source})"
    return False, f"the {who} hung up ({source}); expected the {expected} to"


def no_errors(body: Mapping[str, Any]) -> Verdict:
    found = B.errors(body)
    problems = []
    for error in found[:3]:
        where = f" at {B.seconds(float(error['at_ms']))}" if "at_ms" in error else ""
        source = f" ({error['source']})" if error.get("source") else ""
        problems.append(f"{str(error.get('message', ''))!r}{where}{source}")
    if len(found) > 3:
        problems.append(f"and {len(found) - 3} more")
    text = (
        f"{len(found)} error{'s' if len(found) != 1 else ''}: " + ", ".join(problems)
        if found
        else ""
    )
    if body.get("disconnection_reason") == "error":
        text = "; ".join(t for t in (text, "the call ended with disconnection_reason error") if t)
    return (False, text) if text else (True, "no errors recorded")
