"""Reports of a real text-transport run: written by `run`, and by `report RUN_ID`."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
from support.collector_server import running_collector
from support.text_runs import point_ringback_at, text_run
from typer.testing import CliRunner

from ringback.simulator.cli.report import report_command
from ringback.simulator.evaluate import RunEvaluation
from ringback.simulator.evaluate.stored import load_evaluation
from ringback.simulator.reports import (
    FILE_NAMES,
    CallBodies,
    ReportFormat,
    load_run,
)
from ringback.simulator.store import Store
from ringback.simulator.suite import load_suite

EVAL_SUITE = Path(__file__).parents[1] / "fixtures" / "evaluate" / "support_text_eval.yaml"


@dataclass
class FinishedRun:
    run_id: str
    database_url: str
    output: str
    report_dir: Path
    evaluation: RunEvaluation
    bodies: dict[str, CallBodies]


async def _run(tmp: Path) -> FinishedRun:
    suite = load_suite(EVAL_SUITE).suite
    with pytest.MonkeyPatch.context() as mp:
        async with running_collector(tmp) as collector:
            point_ringback_at(mp, collector, tmp)
            result = await text_run(
                EVAL_SUITE,
                tmp,
                "--report-dir",
                str(tmp / "reports"),
                "--fail-under",
                "0.5",
            )
            assert result.exit_code == 0, result.output
            (run,) = await collector.store.list_runs(1)
            loaded = await load_run(collector.store, 1, run.id, suite)
            evaluation, bodies = loaded.evaluation, loaded.bodies
            return FinishedRun(
                run.id,
                collector.settings.database_url,
                result.output,
                tmp / "reports" / run.id,
                evaluation,
                bodies,
            )


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> FinishedRun:
    return asyncio.run(_run(tmp_path_factory.mktemp("reports-run")))


def test_run_writes_every_report_into_the_report_dir(finished: FinishedRun) -> None:
    for fmt, name in FILE_NAMES.items():
        path = finished.report_dir / name
        assert path.is_file()
        assert f"report ({fmt.value}): " in finished.output
    assert (finished.evaluation.total, finished.evaluation.passed) == (4, 2)


def test_json_report_is_the_evaluation_with_timelines(finished: FinishedRun) -> None:
    data = json.loads((finished.report_dir / "report.json").read_text())
    assert data["run_id"] == finished.run_id
    assert (data["total"], data["passed"], data["pass_rate"]) == (4, 2, 0.5)
    assert data["scenarios"] == json.loads(finished.evaluation.model_dump_json())["scenarios"]
    for call in data["calls"]:
        kinds = [e["kind"] for e in call["timeline"]]
        roles = {e["role"] for e in call["timeline"] if e["kind"] == "turn"}
        assert roles == {"user", "agent"}
        assert call["caller_timeline"]
        starts = [e["start_ms"] for e in call["timeline"]]
        assert starts == sorted(starts)
        if call["scenario_id"] == "order-status":
            (tool,) = [e for e in call["timeline"] if e["kind"] == "tool"]
            assert tool["text"] == "lookup_order"
            assert tool["detail"]["params"] == {"order_id": "A1001"}
        else:
            assert "tool" not in kinds


def test_junit_counts_match_the_evaluation(finished: FinishedRun) -> None:
    root = ET.parse(finished.report_dir / "junit.xml").getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    evaluation = finished.evaluation
    for element in (root, suite):
        assert element.get("tests") == str(evaluation.total) == "4"
        assert element.get("failures") == str(len(evaluation.failed_calls)) == "2"
        assert element.get("errors") == "0"
    assert suite.get("skipped") == "0"
    cases = suite.findall("testcase")
    assert sorted(c.get("name") for c in cases) == [
        "order-status[0]",
        "order-status[1]",
        "small-talk[0]",
        "small-talk[1]",
    ]
    assert {c.get("classname") for c in cases} == {"support-text-eval"}
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {"run_id": finished.run_id, "pass_rate": "0.5000"}
    for case in cases:
        failure = case.find("failure")
        out = case.findtext("system-out") or ""
        if case.get("name", "").startswith("small-talk"):
            assert failure is not None
            assert failure.get("message") == (
                "tool_called: tool issue_refund was never called; tools called: none"
            )
        else:
            assert failure is None
            assert "SKIP agent_expectations: skipped: no judge configured" in out
            assert "skipped (not counted as passed)" in out


def test_markdown_summary(finished: FinishedRun) -> None:
    text = (finished.report_dir / "summary.md").read_text()
    assert f"# Ringback run `{finished.run_id}`" in text
    assert "pass rate **50.0%** (2/4 calls passed)" in text
    assert "| order-status (Where is my order) | 2 | 2 | 100.0% |" in text
    assert "| llm_node_ttft | 8 |" in text
    assert "  - tool_called: tool issue_refund was never called; tools called: none" in text


def test_html_report_is_self_contained(finished: FinishedRun) -> None:
    page = (finished.report_dir / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert f'<code id="run-id">{finished.run_id}</code>' in page
    assert '<span class="rate" id="pass-rate">50.0%</span>' in page
    for needle in ("http:", "https:", "//", "src=", "href=", "<script", "<link", "url(", "@import"):
        assert needle not in page, needle
    # who spoke when, on each side of each call: the agent's and the simulated caller's
    assert page.count('<svg class="lanes"') == 8
    assert page.count("<h4>Timeline (simulated caller's side)</h4>") == 4
    # each agent turn's latency, in a chart per call, with its axis and legend
    assert page.count('<svg class="turns"') == 4
    assert page.count('class="legend">LLM TTFT</text>') == 4
    assert page.count('<svg class="hist"') == 2  # llm_node_ttft, heard_latency (caller side)
    assert page.count("latency (ms)</text>") == 2  # the x axis of each histogram, in ms
    assert page.count(">turns</text>") == 2  # and its y axis
    assert "p99 " in page
    assert "lookup_order" in page
    assert "lookup_order({&quot;order_id&quot;: &quot;A1001&quot;})</code> &rarr; <code>" in page
    assert page.count('<table class="usage">') == 4  # what each call used, and its cost
    assert page.count('<span class="pass">linked</span>') == 4


def _report_app() -> typer.Typer:
    cli = typer.Typer()
    cli.command("report")(report_command)
    cli.command("noop")(lambda: None)  # keep `report` a named subcommand
    return cli


def test_report_command_reads_the_collector_store(
    finished: FinishedRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", finished.database_url)
    out = tmp_path / "out"
    args = ["report", finished.run_id, "--suite", str(EVAL_SUITE), "--out", str(out)]
    result = CliRunner().invoke(_report_app(), [*args, "--format", "junit", "--format", "md"])
    assert result.exit_code == 0, result.output
    assert f"run {finished.run_id}: pass rate 50.0% (2/4 calls)" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["junit.xml", "summary.md"]
    assert (out / "summary.md").read_text() == (finished.report_dir / "summary.md").read_text()

    result = CliRunner().invoke(_report_app(), args)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == set(FILE_NAMES.values())
    assert ReportFormat.HTML.value in result.output


def test_report_keeps_the_kept_evaluation_unless_asked_to_evaluate_again(
    finished: FinishedRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", finished.database_url)
    edited = tmp_path / "edited.yaml"  # the same suite, its failing assertion since removed
    edited.write_text(
        EVAL_SUITE.read_text().replace("      - tool_called: {name: issue_refund}\n", "")
    )
    args = ["report", finished.run_id, "--suite", str(edited), "--out", str(tmp_path / "out")]

    kept = CliRunner().invoke(_report_app(), args)
    assert kept.exit_code == 0, kept.output
    assert f"run {finished.run_id}: pass rate 50.0% (2/4 calls), the evaluation kept" in kept.output
    assert "--re-evaluate to evaluate again" in kept.output

    again = CliRunner().invoke(_report_app(), [*args, "--re-evaluate"])
    assert again.exit_code == 0, again.output
    assert "pass rate 100.0% (4/4 calls), evaluated now and kept with the run" in again.output

    async def stored() -> RunEvaluation | None:
        async with await Store.open(finished.database_url) as store:
            return await load_evaluation(store, 1, finished.run_id)

    replaced = asyncio.run(stored())
    assert replaced is not None
    assert (replaced.passed, replaced.total) == (4, 4)


def test_report_refuses_a_suite_the_run_did_not_use(
    finished: FinishedRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", finished.database_url)

    async def stored() -> RunEvaluation | None:
        async with await Store.open(finished.database_url) as store:
            return await load_evaluation(store, 1, finished.run_id)

    other = tmp_path / "other.yaml"
    other.write_text(
        "name: billing\nagent: {sip_uri: 'sip:agent@pbx.example.com'}\n"
        "scenarios:\n  - {id: invoice, instructions: Ask about an invoice.}\n"
    )
    args = ["report", finished.run_id, "--suite", str(other), "--out", str(tmp_path / "x")]
    before = asyncio.run(stored())
    assert before is not None
    for extra in ([], ["--re-evaluate"]):
        result = CliRunner().invoke(_report_app(), [*args, *extra])
        assert result.exit_code == 2, result.output
        assert result.output.startswith(
            f"error: run {finished.run_id} is of suite 'support-text-eval'; suite 'billing' "
            "lacks none of its scenarios order-status, small-talk: pass the suite file the run "
            "used"
        )
    assert not (tmp_path / "x").exists()

    assert asyncio.run(stored()) == before  # the kept evaluation is untouched


def test_report_command_rejects_an_unknown_run(
    finished: FinishedRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", finished.database_url)
    args = ["report", "nope", "--suite", str(EVAL_SUITE), "--out", str(tmp_path / "x")]
    result = CliRunner().invoke(_report_app(), args)
    assert result.exit_code == 2
    assert "error: no run 'nope' in workspace 1 of this collector" in result.output
    assert not (tmp_path / "x").exists()


async def test_store_bodies_are_the_linked_calls(finished: FinishedRun) -> None:
    async with await Store.open(finished.database_url) as store:
        assert await store.get_run(1, finished.run_id) is not None
    for call in finished.evaluation.calls:
        pair = finished.bodies[call.result_id or ""]
        assert pair.agent is not None
        assert pair.caller is not None
