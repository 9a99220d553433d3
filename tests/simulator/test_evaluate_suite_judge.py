"""A suite's `judge:` builds any livekit-agents LLM; `run` and `report` judge the
expectations with it and keep the verdicts with the run."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from support.collector_server import running_collector
from support.judges import ShippedJudge
from support.text_runs import point_ringback_at, text_run
from typer.testing import CliRunner

from ringback.livekit.testing import ScriptedLLM
from ringback.simulator.cli import app
from ringback.simulator.evaluate.judge_llm import HIDDEN, JudgeConfigError, make_judge
from ringback.simulator.evaluate.stored import load_evaluation
from ringback.simulator.suite.models import JudgeSettings

JUDGED_SUITE = Path(__file__).parents[1] / "fixtures" / "evaluate" / "support_text_judged.yaml"


def test_a_module_reference_builds_the_llm_with_its_options() -> None:
    judge = make_judge(JudgeSettings(llm="support.judges:shipped_judge", options={"model": "j-2"}))
    assert isinstance(judge, ScriptedLLM)
    assert judge.model == "j-2"


def test_a_livekit_inference_model_needs_livekit_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LIVEKIT_API_KEY", raising=False)
    monkeypatch.delenv("LIVEKIT_API_SECRET", raising=False)
    with pytest.raises(JudgeConfigError, match="needs LIVEKIT_API_KEY and LIVEKIT_API_SECRET"):
        make_judge(JudgeSettings(llm="openai/gpt-4.1-mini"))
    monkeypatch.setenv("LIVEKIT_API_KEY", "APIjudge")
    monkeypatch.setenv("LIVEKIT_API_SECRET", "s" * 40)
    judge = make_judge(JudgeSettings(llm="openai/gpt-4.1-mini"))
    assert judge.model == "openai/gpt-4.1-mini"
    asyncio.run(judge.aclose())


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("support.nowhere:LLM", "no module named 'support.nowhere'"),
        ("support.judges:missing", "support.judges has no attribute 'missing'"),
        ("support.judges:not_an_llm", "gave a str, not a livekit-agents llm.LLM"),
        (":LLM", "must be module:attr"),
    ],
)
def test_a_bad_reference_says_what_is_wrong(reference: str, message: str) -> None:
    with pytest.raises(JudgeConfigError, match=message):
        make_judge(JudgeSettings(llm=reference))


SECRET = "sk-live-0123456789abcdefghij"


@pytest.mark.parametrize(
    ("factory", "options"),
    [
        ("failing_factory", {"api_key": SECRET}),
        ("failing_factory", {"client": {"api_key": SECRET}}),  # nested
        ("shortening_factory", {"api_key": SECRET}),  # only a prefix is echoed
    ],
)
def test_an_option_value_never_appears_in_the_error(factory: str, options: dict) -> None:
    settings = JudgeSettings(llm=f"support.judges:{factory}", options=options)
    with pytest.raises(JudgeConfigError) as raised:
        make_judge(settings)
    message = str(raised.value)
    assert SECRET[:8] not in message
    assert f"judge.llm 'support.judges:{factory}' could not be created with options (" in message
    assert message.endswith(f"ValueError: {HIDDEN}")


def test_an_error_without_option_values_is_shown_in_full() -> None:
    settings = JudgeSettings(llm="support.judges:typo_factory", options={"modle": "gpt-x"})
    with pytest.raises(JudgeConfigError, match="unexpected keyword argument 'modle'"):
        make_judge(settings)


async def test_run_judges_with_the_suites_llm_and_keeps_the_verdicts_with_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ShippedJudge.made.clear()
    async with running_collector(tmp_path) as collector:
        point_ringback_at(monkeypatch, collector, tmp_path)
        result = await text_run(JUDGED_SUITE, tmp_path)
        assert result.exit_code == 1, result.output  # the judge failed one call; no lower bar
        assert "pass rate 50.0% (1/2 calls): 1 failed;" in result.output
        assert "agent_expectations: judge (judge-7): expectations not met" in result.output
        # one judge checked before the calls, one that judged them: both closed
        assert [(j.requests, j.closed) for j in ShippedJudge.made] == [(0, True), (2, True)]
        (run,) = await collector.store.list_runs(1)
        saved = await load_evaluation(collector.store, 1, run.id)

    assert saved is not None
    verdicts = {
        c.scenario_id: next(a for a in c.assertions if a.kind == "agent_expectations")
        for c in saved.calls
    }
    assert verdicts["order-status"].passed is True
    assert verdicts["order-status"].detail == {
        "model": "judge-7",
        "reasoning": "The agent said the order shipped.",
    }
    assert verdicts["small-talk"].passed is False
    assert verdicts["small-talk"].reason == (
        "judge (judge-7): expectations not met: Nothing shipped was said."
    )
    report = (tmp_path / "runs" / run.id / "report.json").read_text()
    assert "The agent said the order shipped." in report


async def test_report_judges_again_and_replaces_the_kept_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unjudged = tmp_path / "unjudged.yaml"
    data = yaml.safe_load(JUDGED_SUITE.read_text())
    del data["judge"]
    unjudged.write_text(yaml.safe_dump(data))
    async with running_collector(tmp_path) as collector:
        point_ringback_at(monkeypatch, collector, tmp_path)
        assert (await text_run(unjudged, tmp_path)).exit_code == 0
        (run,) = await collector.store.list_runs(1)
        before = await load_evaluation(collector.store, 1, run.id)
        assert before is not None
        assert {a.passed for c in before.calls for a in c.assertions if a.kind != "linked"} == {
            None
        }

        ShippedJudge.made.clear()
        result = await asyncio.to_thread(
            CliRunner().invoke,
            app,
            [
                *("report", run.id, "--suite", str(JUDGED_SUITE), "--re-evaluate"),
                *("--out", str(tmp_path / "rep")),
            ],
        )
        assert result.exit_code == 0, result.output
        assert [(j.requests, j.closed) for j in ShippedJudge.made] == [(2, True)]
        after = await load_evaluation(collector.store, 1, run.id)

    assert "pass rate 50.0% (1/2 calls)" in result.output
    assert after is not None
    assert [c.passed for c in after.calls if c.scenario_id == "order-status"] == [True]


async def test_a_bad_judge_stops_the_run_before_any_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        JUDGED_SUITE.read_text().replace("support.judges:shipped_judge", "support.judges:nope")
    )
    async with running_collector(tmp_path) as collector:
        point_ringback_at(monkeypatch, collector, tmp_path)
        result = await text_run(broken, tmp_path)
        runs = await collector.store.list_runs(1)
    assert result.exit_code == 2
    assert (
        "error: judge.llm 'support.judges:nope': support.judges has no attribute 'nope'"
        in result.output
    )
    assert runs == []
