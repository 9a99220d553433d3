"""Helpers for the dialling and batch tests: suites aimed at the LiveKit stand-in, and a
one-call way to run a batch against it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from livekit import api

from ringback.simulator.batch import BatchRunner, MemorySink
from ringback.simulator.batch.outcome import CallOutcome, RunSummary
from ringback.simulator.dial import SipTransport
from ringback.simulator.plan import RunPlan, plan_run
from ringback.simulator.suite import Suite, load_suite

ROOT = Path(__file__).parents[2]
SUPPORT_SUITE = ROOT / "tests" / "fixtures" / "suites" / "support.yaml"
PASSWORD = "s3cret-pw"
ENV = {"AGENT_SIP_USER": "ringback", "AGENT_SIP_PASSWORD": PASSWORD}
FAST_RETRY = {"attempts": 2, "backoff": 0, "on": ["busy", "timeout", "unavailable"]}


def support_suite(**run: Any) -> Suite:
    """The example suite (two scenarios × 3 repeats), with run settings overridden."""
    suite = load_suite(SUPPORT_SUITE, env=ENV).suite
    data = suite.model_dump(mode="json")
    data["agent"]["password"] = PASSWORD
    data["run"].update({"dial_retry": FAST_RETRY, **run})
    return Suite.model_validate(data)


def simple_suite(
    scenario_ids: Sequence[str], *, password: str | None = PASSWORD, **run: Any
) -> Suite:
    """One scenario per id, no profile, repeat 1."""
    agent: dict[str, Any] = {"sip_uri": "sip:agent@pbx.example.com:5060", "transport": "tcp"}
    if password is not None:
        agent.update(username="ringback", password=password)
    return Suite.model_validate(
        {
            "name": "simple",
            "agent": agent,
            "run": {"dial_retry": FAST_RETRY, **run},
            "scenarios": [{"id": i, "instructions": f"Play {i}."} for i in scenario_ids],
        }
    )


async def run_batch(
    lkapi: api.LiveKitAPI,
    suite: Suite,
    *,
    plan: RunPlan | None = None,
    previous: Sequence[CallOutcome] = (),
    sink: MemorySink | None = None,
    **options: Any,
) -> tuple[RunSummary, MemorySink]:
    """Run `suite` (or `plan`) to the end with fast polling and a high rate limit."""
    sink = sink or MemorySink()
    options.setdefault("calls_per_second", 1000.0)
    poll_interval_s = options.pop("poll_interval_s", 0.002)
    transport = SipTransport(lkapi, fingerprint_key="test-key", poll_interval_s=poll_interval_s)
    runner = BatchRunner(suite, transport, sink=sink, **options)
    summary = await runner.run(plan or plan_run(suite), previous=previous)
    return summary, sink
