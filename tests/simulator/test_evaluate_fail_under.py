"""`ringback-sim run` with `fail_under`: the run is evaluated and fails below the threshold."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.collector_server import running_collector
from support.text_runs import point_ringback_at, text_run

from ringback.simulator.evaluate import RunEvaluation, evaluate_call, summarise
from ringback.simulator.evaluate.gate import fail_under_gate, render_gate
from ringback.simulator.suite import load_suite
from ringback.simulator.suite.models import Suite

EVAL_SUITE = Path(__file__).parents[1] / "fixtures" / "evaluate" / "support_text_eval.yaml"


async def test_a_run_below_the_suites_fail_under_exits_1_with_the_failing_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_collector(tmp_path) as collector:
        point_ringback_at(monkeypatch, collector, tmp_path)
        result = await text_run(EVAL_SUITE, tmp_path)
    assert result.exit_code == 1, result.output
    assert "4 completed, 0 failed" in result.output
    assert "pass rate 50.0% (2/4 calls) below fail_under 90.0%" in result.output
    gate = result.output.split("pass rate", 1)[1]
    assert gate.count("small-talk#") == 2
    reason = "tool_called: tool issue_refund was never called; tools called: none"
    assert gate.count(reason) == 2
    assert "order-status#" not in gate


def _evaluation(linked: bool) -> tuple[Suite, RunEvaluation]:
    suite = load_suite(EVAL_SUITE).suite
    body = {"call_id": "c1", "transcript_with_tool_calls": [], "duration_ms": 1000}
    calls = [
        evaluate_call(suite.scenarios[1], body if linked else None, None, result_id="r1"),
    ]
    return suite, summarise("run-1", suite, calls)


def test_the_gate_needs_the_collector_store_and_respects_interrupts() -> None:
    suite = load_suite(EVAL_SUITE).suite  # run.fail_under: 0.9
    said: list[str] = []
    assert fail_under_gate(None, suite, 0.5, 0, said.append) == 1
    assert fail_under_gate(None, suite, None, 0, said.append) == 0
    assert said == [
        "error: --fail-under needs the collector's store to evaluate the run",
        "warning: run.fail_under not applied: these results are not in the collector's store",
    ]
    assert fail_under_gate(None, suite, 0.5, 130, said.append) == 130
    plain = suite.model_copy(update={"run": suite.run.model_copy(update={"fail_under": None})})
    assert fail_under_gate(None, plain, None, 0, said.append) == 0
    assert len(said) == 2


def test_the_gate_report_lists_each_failing_call() -> None:
    suite, evaluation = _evaluation(linked=False)
    assert render_gate(evaluation, 0.9) == [
        "pass rate 0.0% (0/1 calls) below fail_under 90.0%",
        "  small-talk#0 (r1):",
        "    linked: no agent side is linked to this call: the agent under test never synced it "
        "(is the Ringback plugin installed and pointed at this collector?)",
        "    tool_not_called: no agent side is linked to this call, so this could not be checked",
        "    tool_called: no agent side is linked to this call, so this could not be checked",
    ]
    empty = summarise("run-1", suite, [])
    assert render_gate(empty, 0.5) == ["pass rate n/a (0/0 calls) below fail_under 50.0%"]
