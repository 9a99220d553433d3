"""`verify --transport text`: the same checks in-process against a LiveKit Agent class, its
call synced through the RingbackPlugin to a real collector on 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from support.collector_server import RunningCollector, running_collector
from support.create_call_server import CreateCallServer
from support.dialing import support_suite
from support.text_runs import point_ringback_at
from support.verify_rig import statuses, step

from ringback.simulator.text import synthetic_call_id
from ringback.simulator.verify.context import Collector
from ringback.simulator.verify.models import Shape, StepId, StepStatus, VerifyReport
from ringback.simulator.verify.sync_steps import SyncSettings
from ringback.simulator.verify.target import verify_target
from ringback.simulator.verify.text import (
    INFERENCE_ENV,
    NO_INFERENCE_FIX,
    TextOptions,
    fallback_llm,
    verify_text,
)

TEST_AGENT = "support.caller_agents:TextSupport"
SYNC = SyncSettings(timeout_s=10, poll_interval_s=0.01)


@pytest.fixture
async def collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[RunningCollector]:
    async with running_collector(tmp_path) as running:
        point_ringback_at(monkeypatch, running, tmp_path)
        yield running


async def verify(
    collector: RunningCollector, agent: str = TEST_AGENT, *, sync: SyncSettings = SYNC
) -> VerifyReport:
    target = verify_target(support_suite(), None, profile=None, max_duration_s=60, text=True)
    return await verify_text(
        target, TextOptions(agent=agent), Collector(collector.store, 1), sync=sync
    )


@pytest.mark.parametrize(
    "agent", [TEST_AGENT, "ringback.simulator.demo.agent:DemoSupport"], ids=["test", "demo"]
)
async def test_every_step_passes_for_an_agent_class(
    collector: RunningCollector, agent: str
) -> None:
    report = await verify(collector, agent)
    assert report.ok, report.model_dump_json(indent=2)
    assert [s.id for s in report.steps] == [
        StepId.AGENT,
        StepId.CALL,
        StepId.SYNC,
        StepId.CORRELATION,
    ]
    assert report.transport == "text"
    assert report.target == agent
    assert report.dialled_sip_call_id == synthetic_call_id(report.result_id)
    assert "(its own LLM)" in step(report, StepId.AGENT).detail
    assert "the agent answered; the call ended after" in step(report, StepId.CALL).detail
    linked = await collector.store.get_result(1, report.result_id)
    assert linked is not None
    assert linked.agent_call is not None
    assert linked.caller_call is not None  # the simulated caller's side links too
    assert linked.agent_call.body["sip_headers"]["X-Customer-Tier"] == "premium"
    assert linked.result.scenario_id == "verify"


async def test_an_agent_that_does_not_load(collector: RunningCollector) -> None:
    report = await verify(collector, "support.caller_agents:Missing")
    agent = step(report, StepId.AGENT)
    assert agent.status is StepStatus.FAILED
    assert "has no attribute 'Missing'" in agent.detail
    assert agent.fix is not None
    assert "module:Class" in agent.fix
    assert statuses(report)[StepId.CALL] is StepStatus.SKIPPED
    assert await collector.store.list_runs(1) == []


async def test_a_factory_that_makes_no_agent(collector: RunningCollector) -> None:
    report = await verify(collector, "support.caller_agents:not_an_agent")
    agent = step(report, StepId.AGENT)
    assert agent.status is StepStatus.FAILED
    assert "returned NotAnAgent, not a livekit.agents.Agent" in agent.detail


async def test_sync_disabled_fails_the_sync_step_at_once(
    collector: RunningCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGBACK_ENABLED", "false")
    report = await verify(collector, sync=SyncSettings(timeout_s=600, poll_interval_s=0.01))
    assert statuses(report)[StepId.CALL] is StepStatus.PASSED
    sync = step(report, StepId.SYNC)
    assert sync.status is StepStatus.FAILED
    assert "within 0 s" in sync.detail  # nothing can arrive: no waiting
    (finding,) = sync.findings
    assert finding.shape is Shape.NOT_SYNCED
    assert "RINGBACK_ENABLED is false" in finding.detail
    assert "Unset RINGBACK_ENABLED" in finding.fix
    assert statuses(report)[StepId.CORRELATION] is StepStatus.SKIPPED


async def test_a_key_the_collector_refuses(
    collector: RunningCollector, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGBACK_API_KEY", "rbk_not-a-key-of-this-collector")
    # time for the 401 even on a loaded machine (a deadline would end the wait first)
    monkeypatch.setenv("RINGBACK_DELIVERY_DEADLINE", "60")
    report = await verify(collector)
    (finding,) = step(report, StepId.SYNC).findings
    assert "the agent's side of the call" in finding.detail
    # the text call's outcome warns about it (before verify would look into the outbox)
    assert "kept in the outbox, retried later; primary: auth_failed (HTTP 401" in finding.detail
    assert "RINGBACK_API_KEY" in finding.fix
    assert "ringback outbox flush" in finding.fix
    assert "rbk_not-a-key" not in report.model_dump_json()


async def test_a_call_delivered_to_another_collector(
    collector: RunningCollector,
    create_call_server: CreateCallServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RINGBACK_BASE_URL", create_call_server.url)
    report = await verify(collector, sync=SyncSettings(timeout_s=0.2, poll_interval_s=0.01))
    (finding,) = step(report, StepId.SYNC).findings
    assert f"delivered the call to {create_call_server.url}" in finding.detail
    assert "RINGBACK_COLLECTOR_DATABASE_URL" in finding.fix
    assert len(create_call_server.requests) == 2  # both sides went there


async def test_a_text_call_that_fails(collector: RunningCollector, tmp_path: Path) -> None:
    source = tmp_path / "flaky_agent.py"
    source.write_text(
        "from livekit.agents import Agent\n"
        "from support.caller_agents import support_llm\n\n"
        "class Flaky(Agent):\n"
        "    made = 0\n\n"
        "    def __init__(self) -> None:\n"
        "        type(self).made += 1\n"
        "        if type(self).made > 1:\n"
        "            raise RuntimeError('no API key for the second agent')\n"
        "        super().__init__(instructions='Support.', llm=support_llm())\n"
    )
    report = await verify(collector, f"{source}:Flaky")
    assert statuses(report)[StepId.AGENT] is StepStatus.PASSED
    call = step(report, StepId.CALL)
    assert call.status is StepStatus.FAILED
    assert call.detail == (
        "the agent could not be created: RuntimeError: no API key for the second agent"
    )
    assert call.fix is not None
    assert "could not be made or started" in call.fix
    assert statuses(report)[StepId.SYNC] is StepStatus.SKIPPED


async def test_an_agent_without_an_llm_says_which_one_it_gets_and_why(
    collector: RunningCollector, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in INFERENCE_ENV:
        monkeypatch.delenv(name, raising=False)
    source = tmp_path / "bare_agent.py"
    source.write_text(
        "from livekit.agents import Agent\n\n"
        "class Bare(Agent):\n"
        "    def __init__(self) -> None:\n"
        "        super().__init__(instructions='Support.')\n"
    )
    report = await verify(collector, f"{source}:Bare")
    agent = step(report, StepId.AGENT)
    assert agent.status is StepStatus.PASSED
    assert (
        "(no LLM of its own: the call uses openai/gpt-4.1-mini, the suite's caller.llm, a "
        "LiveKit Inference model (it needs LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET and "
        "makes billed calls to that project; --agent-llm picks another))"
    ) in agent.detail
    call = step(report, StepId.CALL)
    assert call.status is StepStatus.FAILED
    assert "LIVEKIT_API_KEY" in call.detail
    assert call.fix == NO_INFERENCE_FIX
    assert call.fix.startswith("Pass --agent-llm MODEL or give the agent an llm=")
    assert statuses(report)[StepId.SYNC] is StepStatus.SKIPPED


def test_the_llm_an_agent_without_one_gets() -> None:
    assert fallback_llm(TextOptions("a:B", "openai/gpt-4o"), "x/y", suite_given=True).startswith(
        "openai/gpt-4o from --agent-llm, a LiveKit Inference model"
    )
    assert fallback_llm(TextOptions("a:B"), "openai/gpt-4.1-mini", suite_given=False).startswith(
        "openai/gpt-4.1-mini, the default caller LLM"
    )
