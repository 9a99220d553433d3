"""`ringback-sim run`: the dry run shows every call's exact headers with secrets masked and
touches nothing; a real run dials through LiveKit (the stand-in, in a thread), writes its
results, resumes, and exits with a code that says what happened."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from support.dialing import ENV, PASSWORD, SUPPORT_SUITE
from typer.testing import CliRunner

from ringback.livekit.testing import DialScript, LiveKitStandIn
from ringback.simulator.batch.sink import JsonlRunStore
from ringback.simulator.cli.run import make_run_app, run_app

FAST = ["--calls-per-second", "500", "--poll-interval", "0.005"]


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveKitStandIn]:
    server = LiveKitStandIn()
    with server.in_thread():
        monkeypatch.setenv("LIVEKIT_URL", server.url)
        monkeypatch.setenv("LIVEKIT_API_KEY", server.api_key)
        monkeypatch.setenv("LIVEKIT_API_SECRET", server.api_secret)
        yield server


@pytest.fixture(autouse=True)
def _suite_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def cli(sub_app: typer.Typer) -> typer.Typer:
    """`ringback-sim` as the lead registers it: the run app added to a command group."""
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        pass

    app.add_typer(sub_app)
    return app


def invoke(*args: str, app: typer.Typer = run_app) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli(app), ["run", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_dry_run_prints_every_call_with_masked_headers(standin: LiveKitStandIn) -> None:
    code, out, err = invoke(str(SUPPORT_SUITE), "--dry-run")
    assert code == 0
    assert out.count("INVITE headers:") == 6
    assert out.count("X-Customer-Tier: premium") == 3
    assert out.count("X-Auth-Token: ***") == 3
    assert "abc123" not in out
    assert PASSWORD not in out + err
    assert "digest user ringback (password set, not shown)" in out
    assert "testing variables customer_name" in out
    assert "Jane Smith" not in out
    assert "main_agent_variables.tier: not an X- header" in err
    assert standin.requests == []  # nothing reached LiveKit


def test_dry_run_masks_signatures_and_session_tokens(tmp_path: Path) -> None:
    """The one secret-name list (ringback.core.secrets), as doctor and verify use it."""
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        SUPPORT_SUITE.read_text().replace(
            "X-Auth-Token: abc123",
            "X-Auth-Token: abc123, X-Webhook-Signature: sig-5e4d3c2b1a, "
            "X-Session-Token: sess-7f6e5d4c",
        )
    )
    code, out, _ = invoke(str(suite), "--dry-run")
    assert code == 0
    assert out.count("X-Webhook-Signature: ***") == 3
    assert out.count("X-Session-Token: ***") == 3
    code, out, _ = invoke(str(suite), "--dry-run", "--json", "--filter", "refund-*")
    assert code == 0
    headers = [c["headers"] for c in json.loads(out)]
    assert {(h["X-Webhook-Signature"], h["X-Session-Token"]) for h in headers} == {("***", "***")}
    assert "sig-5e4d3c2b1a" not in out
    assert "sess-7f6e5d4c" not in out


def test_dry_run_needs_no_livekit_and_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    code, out, _ = invoke(str(SUPPORT_SUITE), "--dry-run", "--json", "--tag", "orders")
    assert code == 0
    calls = json.loads(out)
    assert [c["scenario_id"] for c in calls] == ["order-status"] * 3
    assert set(calls[0]["headers"]) == {
        "X-Run-Id",
        "X-Scenario-Id",
        "X-Result-Id",
        "X-Correlation-Id",
    }
    code, out, _ = invoke(str(SUPPORT_SUITE), "--dry-run", "--json", "--filter", "refund-*")
    assert {c["scenario_id"] for c in json.loads(out)} == {"refund-happy-path"}
    assert {c["headers"]["X-Auth-Token"] for c in json.loads(out)} == {"***"}


def test_a_run_dials_records_and_resumes(standin: LiveKitStandIn, tmp_path: Path) -> None:
    results = tmp_path / "runs"
    code, out, err = invoke(str(SUPPORT_SUITE), *FAST, "--results-dir", str(results))
    assert code == 0, err
    assert len(standin.of("CreateSIPParticipant")) == 6
    (file,) = results.glob("*.jsonl")
    run_id = file.stem
    records = [json.loads(line) for line in file.read_text().splitlines()]
    assert [r["type"] for r in records].count("call_finished") == 6
    assert records[0]["type"] == "run_started"
    assert records[-1]["type"] == "run_finished"
    assert records[-1]["summary"]["completed"] == 6
    text = file.read_text()
    assert PASSWORD not in text
    assert "abc123" not in text
    assert PASSWORD not in out + err
    assert f"run {run_id}: 6 completed" in out
    assert standin.rooms == {}

    code, out, _ = invoke(
        str(SUPPORT_SUITE), *FAST, "--results-dir", str(results), "--resume", run_id
    )
    assert code == 0
    assert len(standin.of("CreateSIPParticipant")) == 6  # nothing left to dial
    assert "6 skipped" in out


def test_failed_calls_exit_one(standin: LiveKitStandIn, tmp_path: Path) -> None:
    # 403 is never retried, so the suite's 5 s retry backoff does not come into play
    standin.dial = lambda req, attempt: DialScript(sip_status_code=403, sip_status="Forbidden")
    code, out, _ = invoke(
        str(SUPPORT_SUITE), *FAST, "--filter", "order-*", "--results-dir", str(tmp_path)
    )
    assert code == 1
    assert out.count("failed order-status") == 3
    assert "SIP 403 Forbidden" in out


def test_a_missing_livekit_variable_is_named(
    standin: LiveKitStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIVEKIT_API_SECRET")
    code, _, err = invoke(str(SUPPORT_SUITE))
    assert code == 2
    assert "LIVEKIT_API_SECRET is not set" in err
    assert standin.requests == []


def test_a_refused_key_is_a_clear_error(
    standin: LiveKitStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIVEKIT_API_SECRET", "z" * 40)
    code, _, err = invoke(str(SUPPORT_SUITE), "--results-dir", str(tmp_path))
    assert code == 2
    assert "LiveKit did not accept the API credentials" in err
    assert "z" * 40 not in err
    assert standin.recorded("CreateSIPParticipant") == []


def test_header_injection_is_refused_before_dialling(
    standin: LiveKitStandIn, tmp_path: Path
) -> None:
    suite = tmp_path / "evil.yaml"
    suite.write_text(
        "name: evil\n"
        'agent: {sip_uri: "sip:agent@pbx.example.com"}\n'
        "test_profiles:\n"
        "  p:\n"
        "    information:\n"
        '      main_agent_variables: {X-Note: "hi\\r\\nX-Admin: yes"}\n'
        "scenarios:\n"
        "  - {id: one, profile: p, instructions: Hi.}\n"
    )
    code, _, err = invoke(str(suite), "--results-dir", str(tmp_path))
    assert code == 2
    assert "scenario 'one'" in err
    assert "X-Note" in err
    assert standin.requests == []


def test_resuming_an_unknown_run_is_an_error(tmp_path: Path) -> None:
    code, _, err = invoke(
        str(SUPPORT_SUITE), "--resume", "01J0000000000000000000000Z", "--results-dir", str(tmp_path)
    )
    assert code == 2
    assert "no results for run 01J0000000000000000000000Z" in err


def test_the_store_is_pluggable(standin: LiveKitStandIn, tmp_path: Path) -> None:
    made: list[Path] = []

    def factory(directory: Path) -> JsonlRunStore:
        made.append(directory)
        return JsonlRunStore(tmp_path / "elsewhere")

    code, _, _ = invoke(str(SUPPORT_SUITE), *FAST, "--filter", "order-*", app=make_run_app(factory))
    assert code == 0
    assert len(list((tmp_path / "elsewhere").glob("*.jsonl"))) == 1
