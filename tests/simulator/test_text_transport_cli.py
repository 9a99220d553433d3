"""`ringback-sim run SUITE --transport text --agent module:Class`: the suite's calls played
in-process, results written like a dialled run's, both sides synced; bad `--agent` references
are clear errors before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from support.create_call_server import CreateCallServer
from test_caller_brief import TEXT_SUITE
from typer.testing import CliRunner

from ringback.simulator.batch.outcome import OutcomeStatus
from ringback.simulator.batch.sink import read_outcomes
from ringback.simulator.cli.run import run_app
from ringback.simulator.text import synthetic_call_id


@pytest.fixture
def synced(
    threaded_create_call_server: CreateCallServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> CreateCallServer:
    monkeypatch.setenv("RINGBACK_BASE_URL", threaded_create_call_server.url)
    monkeypatch.setenv("RINGBACK_OUTBOX_DIR", str(tmp_path / "outbox"))
    return threaded_create_call_server


def invoke(*args: str) -> tuple[int, str, str]:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        pass

    app.add_typer(run_app)
    result = CliRunner().invoke(app, ["run", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_a_text_run_plays_every_call_and_syncs_both_sides(
    synced: CreateCallServer, tmp_path: Path
) -> None:
    results = tmp_path / "runs"
    code, out, err = invoke(
        str(TEXT_SUITE),
        "--transport",
        "text",
        "--agent",
        "support.caller_agents:TextSupport",
        "--results-dir",
        str(results),
    )
    assert code == 0, err
    (path,) = results.glob("*.jsonl")
    run_id = path.stem
    outcomes = read_outcomes(path)
    assert sorted(o.scenario_id for o in outcomes) == ["order-status", "small-talk"]
    for outcome in outcomes:
        assert outcome.run_id == run_id
        assert outcome.status is OutcomeStatus.COMPLETED
        assert outcome.sip_call_id == synthetic_call_id(outcome.result_id)
        assert f"Call-ID {outcome.sip_call_id}" in out
    assert f"run {run_id}: 2 completed, 0 failed, 0 errors" in out

    requests = synced.requests
    assert len(requests) == 4
    identities = sorted(r.query["agent_remote_identifier"] for r in requests)
    assert identities == ["TextSupport", "TextSupport", "ringback-caller", "ringback-caller"]
    for outcome in outcomes:
        agent = next(
            r.body
            for r in requests
            if r.body.get("sip_headers", {}).get("X-Result-Id") == outcome.result_id
        )
        assert agent["sip_call_id"] == outcome.sip_call_id
        assert agent["sip_headers"]["X-Run-Id"] == run_id
        caller = next(
            r.body for r in requests if r.body["call_id"] == f"{outcome.result_id}-caller"
        )
        assert caller["general_meta_data_raw"]["simulation"]["side"] == "caller"

    # a resumed run finds nothing left to play
    code, out, err = invoke(
        str(TEXT_SUITE),
        "--transport",
        "text",
        "--agent",
        "support.caller_agents:make_text_support",
        "--results-dir",
        str(results),
        "--resume",
        run_id,
    )
    assert code == 0, err
    assert "2 skipped (finished earlier)" in out
    assert len(synced.requests) == 4


def test_a_factory_and_an_agent_name(synced: CreateCallServer, tmp_path: Path) -> None:
    code, _, err = invoke(
        str(TEXT_SUITE),
        "--transport",
        "text",
        "--agent",
        "support.caller_agents:make_text_support",
        "--agent-name",
        "support-bot",
        "--filter",
        "small-talk",
        "--results-dir",
        str(tmp_path),
    )
    assert code == 0, err
    identities = sorted(r.query["agent_remote_identifier"] for r in synced.requests)
    assert identities == ["ringback-caller", "support-bot"]


def test_a_factory_returning_something_else_fails_each_call(
    synced: CreateCallServer, tmp_path: Path
) -> None:
    code, _, _ = invoke(
        str(TEXT_SUITE),
        "--transport",
        "text",
        "--agent",
        "support.caller_agents:not_an_agent",
        "--results-dir",
        str(tmp_path),
    )
    assert code == 1
    (path,) = tmp_path.glob("*.jsonl")
    for outcome in read_outcomes(path):
        assert outcome.status is OutcomeStatus.FAILED
        assert "returned NotAnAgent, not a livekit.agents.Agent" in (outcome.reason or "")
    assert synced.requests == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--transport", "text"], "--transport text needs --agent module:Class"),
        (
            ["--agent", "support.caller_agents:TextSupport"],
            "--agent only apply with --transport text",
        ),
        (["--transport", "text", "--agent", "support.caller_agents"], "must be module:Class"),
        (
            ["--transport", "text", "--agent", "no_such_pkg.agents:Agent"],
            "no module named 'no_such_pkg'",
        ),
        (
            ["--transport", "text", "--agent", "support.caller_agents:Missing"],
            "has no attribute 'Missing'",
        ),
        (
            ["--transport", "text", "--agent", "support.caller_agents:NotAnAgent"],
            "not a livekit.agents.Agent subclass",
        ),
        (
            ["--transport", "text", "--agent", "support.caller_agents:NeedsArguments"],
            "NeedsArguments() needs arguments (name)",
        ),
        (
            ["--transport", "text", "--agent", "support.caller_agents:ScriptedLLM"],
            "not a livekit.agents.Agent subclass",
        ),
        (
            ["--transport", "text", "--agent", "support.caller_agents:Reply"],
            "not a livekit.agents.Agent subclass",
        ),
        (
            ["--transport", "text", "--agent", "missing/agent.py:Support"],
            "no file missing/agent.py",
        ),
    ],
)
def test_bad_agent_references_are_clear_errors(args: list[str], message: str) -> None:
    code, _, err = invoke(str(TEXT_SUITE), *args)
    assert code == 2
    assert message in " ".join(err.split())


def test_an_agent_module_that_fails_to_import(tmp_path: Path) -> None:
    broken = tmp_path / "broken_agent.py"
    broken.write_text("raise RuntimeError('no API key configured')\n")
    code, _, err = invoke(str(TEXT_SUITE), "--transport", "text", "--agent", f"{broken}:Support")
    assert code == 2
    assert "failed: RuntimeError: no API key configured" in " ".join(err.split())
