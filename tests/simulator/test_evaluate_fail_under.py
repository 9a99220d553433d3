"""The bar of a finished run: every call passes unless `fail_under` sets a lower one; the run
is evaluated and its exit code says whether it cleared the bar."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.collector_server import running_collector
from support.text_runs import point_ringback_at, text_run

from ringback.simulator.evaluate import RunEvaluation, evaluate_call, summarise
from ringback.simulator.evaluate.gate import Bar, render_gate, run_exit_code
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
    assert "pass rate 50.0% (2/4 calls) below run.fail_under 90.0%" in result.output
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


def test_the_bar_is_the_flag_then_the_suite_then_every_call() -> None:
    suite = load_suite(EVAL_SUITE).suite  # run.fail_under: 0.9
    plain = suite.model_copy(update={"run": suite.run.model_copy(update={"fail_under": None})})
    assert Bar.for_run(suite, 0.5) == Bar(0.5, "--fail-under")
    assert Bar.for_run(suite, None) == Bar(0.9, "run.fail_under")
    assert Bar.for_run(plain, None) == Bar(1.0, "every call must pass")


def test_without_a_fail_under_one_failing_call_fails_the_run() -> None:
    suite, evaluation = _evaluation(linked=False)
    plain = suite.model_copy(update={"run": suite.run.model_copy(update={"fail_under": None})})
    said: list[str] = []
    assert run_exit_code(evaluation, plain, None, 0, said.append) == 1
    assert said[0] == (
        "pass rate 0.0% (0/1 calls): 1 failed; every call must pass unless run.fail_under or "
        "--fail-under sets a lower bar"
    )
    assert run_exit_code(evaluation, plain, 0.0, 0, said.append) == 0  # a lower bar, met
    assert run_exit_code(evaluation, plain, None, 130, said.append) == 130  # not gated


def test_a_run_that_passes_says_so_and_keeps_the_batchs_own_code() -> None:
    suite = load_suite(EVAL_SUITE).suite
    plain = suite.model_copy(update={"run": suite.run.model_copy(update={"fail_under": None})})
    body = {"call_id": "c1", "transcript_with_tool_calls": [], "duration_ms": 1000}
    scenario = plain.scenarios[1].model_copy(update={"assertions": []})
    evaluation = summarise("run-1", plain, [evaluate_call(scenario, body, None, result_id="r1")])
    said: list[str] = []
    assert run_exit_code(evaluation, plain, None, 0, said.append) == 0
    assert said == ["pass rate 100.0% (1/1 calls): every call passed"]
    assert run_exit_code(evaluation, plain, None, 1, said.append) == 1  # stopped on an error


def test_the_gate_report_lists_each_failing_call() -> None:
    suite, evaluation = _evaluation(linked=False)
    assert render_gate(evaluation, Bar(0.9, "run.fail_under")) == [
        "pass rate 0.0% (0/1 calls) below run.fail_under 90.0%",
        "  small-talk#0 (r1):",
        "    linked: no agent side is linked to this call: the agent under test never synced it "
        "(is the Ringback plugin installed and pointed at this collector?)",
        "    tool_not_called: no agent side is linked to this call, so this could not be checked",
        "    tool_called: no agent side is linked to this call, so this could not be checked",
    ]
    empty = summarise("run-1", suite, [])
    assert render_gate(empty, Bar(0.5, "--fail-under")) == [
        "pass rate n/a (0/0 calls) below --fail-under 50.0%"
    ]
    assert render_gate(empty, Bar(1.0, "every call must pass")) == [
        "pass rate n/a (0/0 calls): no call to evaluate"
    ]
