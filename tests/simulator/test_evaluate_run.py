"""`evaluate_run` over a real collector store filled by a whole text-transport run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.collector_server import running_collector
from support.text_runs import point_ringback_at, text_run

from ringback.livekit.testing import Reply, ScriptedLLM
from ringback.simulator.evaluate import evaluate_run
from ringback.simulator.suite import load_suite

EVAL_SUITE = Path(__file__).parents[1] / "fixtures" / "evaluate" / "support_text_eval.yaml"


async def test_a_text_run_is_evaluated_from_the_collector_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = load_suite(EVAL_SUITE).suite
    async with running_collector(tmp_path) as collector:
        point_ringback_at(monkeypatch, collector, tmp_path)
        result = await text_run(
            EVAL_SUITE,
            tmp_path,
            "--fail-under",
            "0.5",  # overrides the suite's 0.9: 2 of 4 calls pass
        )
        assert result.exit_code == 0, result.output
        assert "pass rate 50.0% (2/4 calls) meets --fail-under 50.0%" in result.output
        (run,) = await collector.store.list_runs(1)

        evaluation = await evaluate_run(collector.store, 1, run.id, suite)
        # a result whose agent never synced, and one from a scenario the suite lacks
        await collector.store.register_result(1, run.id, "a" * 32, scenario_id="order-status")
        await collector.store.register_result(1, run.id, "b" * 32, scenario_id="retired")
        judge = ScriptedLLM(
            respond=lambda _: Reply(text='{"passed": true, "reasoning": "It said shipped."}'),
            model="judge-1",
        )
        judged = await evaluate_run(collector.store, 1, run.id, suite, judge=judge)

    assert (evaluation.run_id, evaluation.suite) == (run.id, "support-text-eval")
    assert (evaluation.total, evaluation.passed, evaluation.pass_rate) == (4, 2, 0.5)
    by_scenario = {s.scenario_id: s for s in evaluation.scenarios}
    orders, small_talk = by_scenario["order-status"], by_scenario["small-talk"]
    assert (orders.calls, orders.passed, orders.pass_rate, orders.label) == (
        2,
        2,
        1.0,
        "Where is my order",
    )
    assert [(t.kind, t.passed, t.failed, t.skipped) for t in orders.assertions] == [
        ("linked", 2, 0, 0),
        ("tool_called", 2, 0, 0),
        ("said", 2, 0, 0),
        ("said", 2, 0, 0),
        ("no_errors", 2, 0, 0),
        ("agent_expectations", 0, 0, 2),
    ]
    assert (small_talk.calls, small_talk.passed, small_talk.pass_rate) == (2, 0, 0.0)
    for call in evaluation.failed_calls:
        assert call.scenario_id == "small-talk"
        assert call.linked
        assert call.caller_linked
        assert call.failure_reasons() == [
            "tool_called: tool issue_refund was never called; tools called: none"
        ]
    for call in evaluation.calls:
        if call.scenario_id == "order-status":
            tool = call.assertions[1]
            assert tool.reason.startswith("tool lookup_order called at ")
            assert tool.reason.endswith(' s with {"order_id": "A1001"}')
    # the text transport reports LLM time to first token on every agent turn (2 per call)
    ttft = evaluation.latency["llm_node_ttft"]
    assert ttft.count == 8
    assert ttft.max_ms is not None
    assert ttft.p50_ms is not None
    assert ttft.p95_ms is not None
    assert ttft.p50_ms <= ttft.p95_ms <= ttft.max_ms
    assert "e2e_latency" not in evaluation.latency  # no audio, no end-to-end latency
    assert json.loads(evaluation.model_dump_json())["pass_rate"] == 0.5

    assert (judged.total, judged.passed) == (6, 2)
    judged_orders = [c for c in judged.calls if c.scenario_id == "order-status" and c.linked]
    for call in judged_orders:
        verdict = call.assertions[-1]
        assert (verdict.kind, verdict.passed) == ("agent_expectations", True)
        assert verdict.detail["reasoning"] == "It said shipped."
    unsynced = next(c for c in judged.calls if c.result_id == "a" * 32)
    assert not unsynced.linked
    assert unsynced.failure_reasons()[0].startswith("linked: no agent side is linked")
    assert unsynced.assertions[-1].passed is False  # the judge cannot pass a call it cannot see
    retired = next(c for c in judged.calls if c.result_id == "b" * 32)
    assert retired.failure_reasons()[1:] == [
        "scenario: scenario 'retired' is not in suite 'support-text-eval'; evaluate the run "
        "with the suite that ran it"
    ]
    assert [s.scenario_id for s in judged.scenarios] == ["order-status", "small-talk", "retired"]
