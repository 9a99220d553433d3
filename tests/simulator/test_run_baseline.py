"""A run against a baseline run: `run --baseline` and `report --baseline` say, per scenario,
how the pass rate moved, which assertions newly fail or were fixed, and how latency moved;
`--fail-on-regression` fails a run that got worse."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from support.text_runs import TEST_AGENT
from typer.testing import CliRunner

from ringback.simulator.cli import app
from ringback.simulator.evaluate import evaluate_call, summarise
from ringback.simulator.evaluate.compare import compare
from ringback.simulator.store import Store
from ringback.simulator.suite import load_suite

EVAL_SUITE = Path(__file__).parents[1] / "fixtures" / "evaluate" / "support_text_eval.yaml"
FAILING = "      - tool_called: {name: issue_refund}\n"  # small-talk's calls never do this


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = str(tmp_path / "collector.sqlite3")
    monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", url)
    monkeypatch.setenv("RINGBACK_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("RINGBACK_BASE_URL", raising=False)  # collected in-process
    return url


def suite_file(tmp_path: Path, name: str, *, failing: bool) -> Path:
    text = EVAL_SUITE.read_text().replace(", fail_under: 0.9", ", fail_under: 0.4")
    path = tmp_path / name
    path.write_text(text if failing else text.replace(FAILING, ""))
    return path


def run(tmp_path: Path, suite: Path, *extra: str) -> tuple[int, str]:
    args = ["run", str(suite), "--transport", "text", "--agent", TEST_AGENT]
    result = CliRunner().invoke(app, [*args, "--results-dir", str(tmp_path / "runs"), *extra])
    return result.exit_code, result.output


def newest_run(database: str) -> str:
    async def newest() -> str:
        async with await Store.open(database) as store:
            return (await store.list_runs(1))[0].id

    return asyncio.run(newest())


def test_a_run_that_got_worse_than_its_baseline_fails_with_fail_on_regression(
    tmp_path: Path, database: str
) -> None:
    code, output = run(tmp_path, suite_file(tmp_path, "good.yaml", failing=False))
    assert code == 0, output
    baseline = newest_run(database)

    suite = suite_file(tmp_path, "bad.yaml", failing=True)
    code, output = run(tmp_path, suite, "--baseline", baseline, "--fail-on-regression")
    assert code == 1, output  # 50% meets fail_under 0.4: the regression alone fails it
    assert "pass rate 50.0% (2/4 calls) meets run.fail_under 40.0%" in output
    current = newest_run(database)
    lines = output.splitlines()
    start = lines.index(
        f"against baseline run {baseline}: pass rate 100.0% -> 50.0%; 1 scenario(s) "
        "regressed: small-talk"
    )
    assert lines[start + 1 : start + 3] == [
        "  order-status: 100.0% -> 100.0% (=)",
        "  REGRESSED small-talk: 100.0% -> 0.0% (-100.0 pt); newly failing: tool_called",
    ]

    reports = tmp_path / "runs" / current
    comparison = json.loads((reports / "comparison.json").read_text())
    assert (comparison["baseline_run_id"], comparison["regressions"]) == (baseline, ["small-talk"])
    (small_talk,) = [s for s in comparison["scenarios"] if s["scenario_id"] == "small-talk"]
    assert (small_talk["change"], small_talk["new_failures"]) == (-1.0, ["tool_called"])
    assert (
        "| **small-talk** (regressed) | 100.0% | 0.0% | -100.0 pt |"
        in (reports / "comparison.md").read_text()
    )
    assert '<section id="baseline">' in (reports / "report.html").read_text()

    # the same comparison from `report`, which gates only when asked
    args = ["report", current, "--suite", str(suite), "--baseline", baseline]
    args += ["--out", str(tmp_path / "again")]
    shown = CliRunner().invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert "  REGRESSED small-talk: 100.0% -> 0.0% (-100.0 pt); newly failing: tool_called" in (
        shown.output
    )
    gated = CliRunner().invoke(app, [*args, "--fail-on-regression"])
    assert gated.exit_code == 1, gated.output

    # and the other way round, nothing regressed
    args = ["report", baseline, "--suite", str(suite), "--baseline", current]
    back = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "back"), "--fail-on-regression"])
    assert back.exit_code == 0, back.output
    assert "pass rate 50.0% -> 100.0%; no scenario regressed" in back.output
    assert "  small-talk: 0.0% -> 100.0% (+100.0 pt)" in back.output


def test_an_assertion_that_failed_in_the_baseline_and_passes_now_is_fixed() -> None:
    suite = load_suite(EVAL_SUITE).suite
    (small_talk,) = [s for s in suite.scenarios if s.id == "small-talk"]
    body = {"call_id": "c", "transcript_with_tool_calls": [], "duration_ms": 1000}
    called = {
        **body,
        "transcript_with_tool_calls": [
            {
                "role": "agent_function",
                "start_ms": 0,
                "end_ms": 1,
                "tool": {"name": "issue_refund", "params": {}},
            },
        ],
    }
    before = summarise("r1", suite, [evaluate_call(small_talk, body, None, result_id="a")])
    after = summarise("r2", suite, [evaluate_call(small_talk, called, None, result_id="b")])
    (change,) = compare(after, before).scenarios
    assert (change.fixed, change.new_failures, change.regressed) == (["tool_called"], [], False)
    assert compare(before, after).regressions == ["small-talk"]


def test_a_baseline_that_cannot_be_compared_stops_the_run_before_it_starts(
    tmp_path: Path, database: str
) -> None:
    suite = suite_file(tmp_path, "s.yaml", failing=False)
    code, output = run(tmp_path, suite, "--baseline", "01NOSUCHRUN")
    assert code == 2, output
    assert output.splitlines()[-1] == (
        "error: no baseline run '01NOSUCHRUN' in workspace 1 of this collector"
    )
    assert not (tmp_path / "runs").exists()  # nothing ran

    code, output = run(tmp_path, suite, "--fail-on-regression")
    assert code == 2, output
    assert output.splitlines()[-1] == (
        "error: --fail-on-regression needs --baseline RUN_ID (the run to compare with)"
    )
