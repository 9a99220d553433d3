"""The real LiveKit stack (livekit-server + livekit-sip) the `livekit_stack` tests run against.

`../shared/livekit-stack/with-stack CMD` starts one and sets `LIVEKIT_URL`, `LIVEKIT_API_KEY`,
`LIVEKIT_API_SECRET`, `LIVEKIT_SIP_ADDRESS`, `LIVEKIT_STACK_LOGS` and `RINGBACK_LIVEKIT_STACK=1`.
Any LiveKit server with SIP works the same way given the first four variables
(`LIVEKIT_SIP_ADDRESS`: the host:port its livekit-sip answers on).

Agent workers run in this process (`ringback.simulator.demo.workers`), with jobs in threads,
registered with the stack before the test dials.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from livekit import api
from livekit.agents import AgentServer

from ringback.simulator.batch.outcome import CallOutcome
from ringback.simulator.demo.collector import WORKSPACE_ID, delivery_env
from ringback.simulator.demo.collector import running_collector as demo_collector
from ringback.simulator.demo.run import bundled_suite_text
from ringback.simulator.demo.sip import (
    SipDemoTarget,
    SipRun,
    agent_line,
    run_over_sip,
    sip_suite_text,
)
from ringback.simulator.dial.connection import LiveKitConnection
from ringback.simulator.dial.inbound import AgentLine
from ringback.simulator.environ import environment
from ringback.simulator.plan import RunPlan, plan_run
from ringback.simulator.suite.models import Suite

REQUIRED = ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "LIVEKIT_SIP_ADDRESS")
HOW_TO_RUN = (
    "they need a LiveKit server with SIP: uv sync, then "
    "../shared/livekit-stack/with-stack .venv/bin/pytest -m livekit_stack; or set "
    "LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET and LIVEKIT_SIP_ADDRESS (host:port of "
    "its SIP service) to run them against your own"
)


@dataclass(frozen=True)
class Stack:
    url: str
    api_key: str
    api_secret: str
    sip_address: str
    """host:port of livekit-sip: where an agent's SIP address points."""
    logs: Path | None
    """The stack's log folder (with-stack only)."""

    @classmethod
    def from_env(cls) -> Stack | None:
        values = {name: os.environ.get(name, "").strip() for name in REQUIRED}
        if not all(values.values()):
            return None
        logs = os.environ.get("LIVEKIT_STACK_LOGS")
        return cls(
            url=values["LIVEKIT_URL"],
            api_key=values["LIVEKIT_API_KEY"],
            api_secret=values["LIVEKIT_API_SECRET"],
            sip_address=values["LIVEKIT_SIP_ADDRESS"],
            logs=Path(logs) if logs else None,
        )

    def api(self) -> api.LiveKitAPI:
        return api.LiveKitAPI(self.url, self.api_key, self.api_secret)

    def sip_uri(self, number: str) -> str:
        return f"sip:{number}@{self.sip_address}"

    def sip_log(self) -> str:
        """livekit-sip's log so far ('' when it is not ours to read)."""
        if self.logs is None:
            return ""
        return (self.logs / "livekit-sip.log").read_text(encoding="utf-8", errors="replace")

    def logged_sip_call_ids(self, livekit_call_id: str) -> set[str]:
        """The `sipCallID`s livekit-sip logged on lines about `livekit_call_id` (`SCL_...`)."""
        found: set[str] = set()
        for line in self.sip_log().splitlines():
            if livekit_call_id in line:
                found.update(re.findall(r'"sipCallID":\s*"([^"]+)"', line))
        return found


def unique(prefix: str) -> str:
    """A name no other test uses (trunk numbers, agent names, rooms)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# ── the loop over SIP, as the demo runs it, with a test's own line, agent and callers ──────


@dataclass
class Sides:
    """Both synced sides of one simulated call, as the collector stored and linked them."""

    agent: dict[str, Any]
    caller: dict[str, Any] | None
    linked_by: str | None


@dataclass
class SipLoop:
    suite: Suite
    plan: RunPlan
    run: SipRun
    sides: dict[str, Sides]
    """By result id (agent side linked)."""

    @property
    def outcomes(self) -> dict[str, CallOutcome]:
        return {o.result_id: o for o in self.run.outcomes}

    def by_scenario(self, scenario_id: str) -> tuple[CallOutcome, Sides | None]:
        (outcome,) = [o for o in self.run.outcomes if o.scenario_id == scenario_id]
        return outcome, self.sides.get(outcome.result_id)


def target_of(stack: Stack) -> SipDemoTarget:
    return SipDemoTarget(
        LiveKitConnection(stack.url, stack.api_key, stack.api_secret), stack.sip_address
    )


def sip_suite(stack: Stack, number: str, **overrides: Any) -> Suite:
    """The demo's SIP suite (offline voices on the caller), dialling `number` on the stack,
    played by callers of its own name; `overrides` replace top-level keys (`run` is merged)."""
    data = yaml.safe_load(sip_suite_text(bundled_suite_text(), target_of(stack)))
    data["agent"]["sip_uri"] = stack.sip_uri(number)
    data["livekit"]["caller_agent_name"] = unique("caller")
    for key, value in overrides.items():
        data[key] = {**data[key], **value} if key in ("run", "agent") else value
    return Suite.model_validate(data)


def own_line(**fields: Any) -> AgentLine:
    """An agent line of a test's own: its number and agent name are nobody else's."""
    return replace(
        agent_line(),
        number=unique("line"),
        agent_name=unique("agent"),
        room_prefix=f"{unique('call')}-",
        **fields,
    )


async def run_sip_loop(
    stack: Stack,
    directory: Path,
    line: AgentLine,
    suite: Suite,
    *,
    agent: AgentServer | None = None,
) -> SipLoop:
    """Run `suite` over SIP to `agent` (default: the demo agent) answering on `line`, with a
    real collector."""
    plan = plan_run(suite)
    async with demo_collector(directory) as collector:
        with environment(delivery_env(collector, directory / "outbox")):
            run = await run_over_sip(
                suite,
                target_of(stack),
                directory / "runs",
                database_url=collector.database_url,
                workspace_id=WORKSPACE_ID,
                report_dir=directory / "reports",
                line=line,
                plan=plan,
                agent=agent,
            )
        sides: dict[str, Sides] = {}
        for linked in await collector.store.list_results(WORKSPACE_ID, plan.run_id):
            agent, caller = linked.agent_call, linked.caller_call
            if agent is not None:
                sides[linked.result.id] = Sides(
                    agent.body, caller.body if caller else None, agent.linked_by
                )
    return SipLoop(suite, plan, run, sides)
