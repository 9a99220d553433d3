"""`--dry-run`: every planned call with its exact INVITE headers, nothing dialled.

Header values that look secret are masked; the SIP password is never read, only whether
one is set.
"""

from __future__ import annotations

from typing import Any

from ringback.simulator.plan import RunPlan, masked
from ringback.simulator.suite.durations import format_duration
from ringback.simulator.suite.models import Suite

from .trunks import endpoint_key


def dry_run_calls(plan: RunPlan) -> list[dict[str, Any]]:
    """The planned calls as data (what `--dry-run --json` prints)."""
    return [
        {
            "result_id": call.result_id,
            "scenario_id": call.scenario_id,
            "repeat": call.repeat,
            "room_name": call.room_name,
            "participant_identity": call.participant_identity,
            "headers": masked(call.headers),
            "participant_attributes": call.participant_attributes,
            "testing_variables": sorted(call.caller_metadata.get("testing_variables", {})),
            "max_duration_s": call.max_duration_s,
        }
        for call in plan.calls
    ]


def _endpoint(suite: Suite) -> list[str]:
    agent = suite.agent
    lines: list[str] = []
    if agent.sip_uri:
        transport = agent.transport.value if agent.transport else "auto transport"
        auth = f", digest user {agent.username} (password set, not shown)" if agent.username else ""
        lines.append(f"agent:   {agent.sip_uri} over {transport}{auth}")
    else:
        lines.append(f"agent:   {agent.phone_number}")
    if agent.trunk_id:
        lines.append(f"trunk:   {agent.trunk_id} (given; used as is)")
    else:
        lines.append(
            f"trunk:   Ringback-managed outbound trunk for {endpoint_key(agent)} "
            "(created, reused or updated when the run starts)"
        )
    if agent.caller_number:
        lines.append(f"from:    {agent.caller_number}")
    return lines


def render_dry_run(suite: Suite, plan: RunPlan) -> str:
    run = suite.run
    retry = run.dial_retry
    lines = [
        f"dry run of {plan.suite!r}, run {plan.run_id}: {len(plan.calls)} calls (nothing dialled)",
        *_endpoint(suite),
        f"caller:  agent {suite.livekit.caller_agent_name!r} dispatched into each room",
        f"limits:  concurrency {run.concurrency}, {run.calls_per_second:g} calls/s, ringing "
        f"timeout {format_duration(run.ringing_timeout)}, {retry.attempts} attempts "
        f"(retry on {', '.join(retry.on) or 'nothing'}, {format_duration(retry.backoff)} apart)",
    ]
    width = len(str(len(plan.calls)))
    for n, call in enumerate(dry_run_calls(plan), start=1):
        lines.append("")
        lines.append(
            f"{n:>{width}}. {call['scenario_id']} #{call['repeat']}  result {call['result_id']}"
        )
        pad = " " * (width + 2)
        lines.append(f"{pad}room {call['room_name']}, participant {call['participant_identity']}")
        lines.append(f"{pad}INVITE headers:")
        lines.extend(f"{pad}  {name}: {value}" for name, value in call["headers"].items())
        attributes = ", ".join(f"{k}={v}" for k, v in call["participant_attributes"].items())
        lines.append(f"{pad}participant attributes: {attributes}")
        variables = ", ".join(call["testing_variables"]) or "none"
        lines.append(
            f"{pad}caller only (never sent to the agent): testing variables {variables}; "
            f"max duration {call['max_duration_s']:g}s"
        )
    return "\n".join(lines)
