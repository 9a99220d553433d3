"""`ringback-sim run` says whether the run passed: the pass rate and each failing call's
reasons are always printed, a failing call fails the run unless `fail_under` sets a lower
bar, and a run whose calls could not be synced or evaluated fails before it starts."""

from __future__ import annotations

import asyncio
import socket
import sys
from pathlib import Path

import pytest
from support.dialing import ENV
from support.text_runs import TEST_AGENT
from typer.testing import CliRunner

from ringback.livekit.testing import LiveKitStandIn
from ringback.simulator.cli import app
from ringback.simulator.store import Store

EVAL_SUITE = Path(__file__).parents[1] / "fixtures" / "evaluate" / "support_text_eval.yaml"


@pytest.fixture
def suite_without_bar(tmp_path: Path) -> Path:
    """support_text_eval.yaml (2 of its 4 calls pass) with no `fail_under`."""
    path = tmp_path / "suite.yaml"
    path.write_text(EVAL_SUITE.read_text().replace(", fail_under: 0.9", ""))
    return path


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The run's store; Ringback's delivery left at its defaults (no RINGBACK_BASE_URL)."""
    url = str(tmp_path / "collector.sqlite3")
    monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", url)
    monkeypatch.setenv("RINGBACK_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("RINGBACK_BASE_URL", raising=False)
    monkeypatch.delenv("RINGBACK_API_KEY", raising=False)
    return url


def text_run(suite: Path, tmp_path: Path, *extra: str) -> tuple[int, str]:
    args = ["run", str(suite), "--transport", "text", "--agent", TEST_AGENT]
    result = CliRunner().invoke(app, [*args, "--results-dir", str(tmp_path / "runs"), *extra])
    return result.exit_code, result.output


def test_a_failing_call_fails_a_run_with_no_bar_and_says_why(
    suite_without_bar: Path, database: str, tmp_path: Path
) -> None:
    code, output = text_run(suite_without_bar, tmp_path)

    assert code == 1, output
    assert "4 completed, 0 failed" in output
    verdict = output.split("pass rate", 1)[1]
    assert verdict.startswith(
        " 50.0% (2/4 calls): 2 failed; every call must pass unless run.fail_under or "
        "--fail-under sets a lower bar"
    )
    assert verdict.count("small-talk#") == 2
    assert verdict.count("tool_called: tool issue_refund was never called") == 2


def test_a_lower_bar_that_is_met_passes_the_run(
    suite_without_bar: Path, database: str, tmp_path: Path
) -> None:
    code, output = text_run(suite_without_bar, tmp_path, "--fail-under", "0.5")

    assert code == 0, output
    assert "pass rate 50.0% (2/4 calls) meets --fail-under 50.0%" in output
    assert output.count("tool_called: tool issue_refund was never called") == 2


def test_a_text_run_with_no_collector_configured_collects_in_process(
    suite_without_bar: Path, database: str, tmp_path: Path
) -> None:
    code, output = text_run(suite_without_bar, tmp_path, "--fail-under", "0.5")

    assert code == 0, output
    assert "RINGBACK_BASE_URL is unset: this run's calls are collected in-process at" in output

    async def stored() -> tuple[int, list[str]]:
        async with await Store.open(database) as store:
            (run,) = await store.list_runs(1)
            results = await store.list_results(1, run.id)
            sides = [
                side for r in results for side in ("agent", "caller") if getattr(r, f"{side}_call")
            ]
            return len(results), sorted(sides)

    results, sides = asyncio.run(stored())
    assert (results, sides) == (4, ["agent"] * 4 + ["caller"] * 4)
    assert not any((tmp_path / "outbox").rglob("*.json"))  # nothing left undelivered


def test_a_sip_run_with_no_collector_answering_fails_before_dialling(
    suite_without_bar: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("RINGBACK_BASE_URL", f"http://127.0.0.1:{port}")
    standin = LiveKitStandIn()
    with standin.in_thread():
        for name, value in {
            "LIVEKIT_URL": standin.url,
            "LIVEKIT_API_KEY": standin.api_key,
            "LIVEKIT_API_SECRET": standin.api_secret,
            **ENV,
        }.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(app, ["run", str(suite_without_bar)])

    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1].startswith(
        f"error: no collector answers at http://127.0.0.1:{port} (RINGBACK_BASE_URL; "
        "ConnectError), so no call could be synced or evaluated: start one with "
        "`ringback-sim serve`"
    )
    assert standin.requests == []  # nothing reached LiveKit


def test_expectations_with_no_judge_are_a_warning_in_the_dry_run_and_the_run(
    suite_without_bar: Path, database: str, tmp_path: Path
) -> None:
    warning = (
        f"{suite_without_bar}: agent_expectations of order-status will not be checked: the "
        "suite has no `judge` (add `judge: {llm: ...}`), so they are reported as skipped and "
        "never pass"
    )
    dry = CliRunner().invoke(app, ["run", str(suite_without_bar), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"warning: {warning}" in dry.output
    code, output = text_run(suite_without_bar, tmp_path)
    assert code == 1, output
    assert f"warning: {warning}" in output


def test_an_unreachable_livekit_server_is_one_line_and_exit_2(
    suite_without_bar: Path,
    database: str,
    monkeypatch: pytest.MonkeyPatch,
    create_call_server_url: str,
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("RINGBACK_BASE_URL", create_call_server_url)
    for name, value in {
        "LIVEKIT_URL": f"ws://127.0.0.1:{port}",
        "LIVEKIT_API_KEY": "key",
        "LIVEKIT_API_SECRET": "a-secret-that-is-long-enough-for-hs256",
        **ENV,
    }.items():
        monkeypatch.setenv(name, value)

    result = CliRunner().invoke(app, ["run", str(suite_without_bar)])
    assert result.exit_code == 2, result.output
    last = result.output.splitlines()[-1]
    assert last.startswith("error: could not reach the LiveKit server (Cannot connect to host")
    assert last.endswith("; check LIVEKIT_URL")
    assert "Traceback" not in result.output

    debug = CliRunner().invoke(app, ["--debug", "run", str(suite_without_bar)])
    assert debug.exit_code == 2
    assert "Traceback (most recent call last)" in debug.output
    assert debug.output.splitlines()[-1] == last


@pytest.mark.parametrize(
    "args",
    [
        ["run", "SUITE", "--transport", "text", "--agent", TEST_AGENT],
        ["serve", "--port", "0"],
        ["keys", "list"],
        ["report", "R1", "--suite", "SUITE"],
    ],
)
def test_a_postgresql_url_without_its_driver_is_one_line_and_exit_2(
    args: list[str], suite_without_bar: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)  # as on a machine without the extra
    monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", "postgresql://ringback:pw@127.0.0.1/db")
    args = [str(suite_without_bar) if a == "SUITE" else a for a in args]

    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1].startswith(
        "error: the database postgresql+asyncpg://ringback:***@127.0.0.1/db needs the asyncpg "
        "driver, which is not installed: pip install 'ringback-simulator[postgres]'"
    )
    assert "pw@" not in result.output
