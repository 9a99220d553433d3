"""`ringback-sim demo` end to end, offline: the collector, the bundled suite in text transport,
the Pipecat call, linking, evaluation and the exit code."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from ringback.simulator.cli.demo import demo_command
from ringback.simulator.collector.embedded import embedded_collector
from ringback.simulator.collector.settings import CollectorSettings
from ringback.simulator.demo import bundled_suite
from ringback.simulator.demo import run as demo_run
from ringback.simulator.store import Store


def demo_app() -> typer.Typer:
    app = typer.Typer()
    app.command("demo")(demo_command)
    app.command("other")(lambda: None)  # two commands, so `demo` is a subcommand
    return app


def ringback_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("RINGBACK_")}


@pytest.fixture
def user_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """A user's own Ringback settings, which the demo must neither use nor change."""
    monkeypatch.setenv("RINGBACK_BASE_URL", "https://ringback.example.com")
    monkeypatch.setenv("RINGBACK_AGENT_ID", "my-production-agent")
    monkeypatch.setenv("RINGBACK_WORKSPACE_ID", "7")
    monkeypatch.setenv("RINGBACK_OUTBOX_DIR", str(tmp_path / "my-outbox"))
    return ringback_env()


def test_the_demo_passes_links_both_sides_and_stores_the_pipecat_call(
    user_env: dict[str, str],
) -> None:
    result = CliRunner().invoke(demo_app(), ["demo"])

    assert result.exit_code == 0, result.output
    out = result.output
    assert "Collector: http://127.0.0.1:" in out
    assert "Pass rate: 100% (3/3 calls)" in out
    for scenario in ("order-status", "unknown-order", "small-talk"):
        assert f"PASS  {scenario}" in out
    assert out.count("both sides linked: agent call ") == 3
    assert "NOT fully linked" not in out
    assert "Latency llm_node_ttft: p50 " in out
    assert "Pipecat call stored: demo-pipecat-" in out
    assert "unlinked: production traffic" in out
    assert "use --keep DIR to keep it" in out
    assert out.rstrip().splitlines()[-2] == "Demo passed."
    assert ringback_env() == user_env
    assert not (Path(user_env["RINGBACK_OUTBOX_DIR"])).exists()


def test_keep_leaves_the_database_results_and_reports(
    tmp_path: Path, user_env: dict[str, str]
) -> None:
    keep = tmp_path / "demo"
    result = CliRunner().invoke(demo_app(), ["demo", "--keep", str(keep)])

    assert result.exit_code == 0, result.output
    assert ringback_env() == user_env
    assert f"Database: {keep / 'collector.sqlite3'}" in result.output
    assert (keep / "suite.yaml").is_file()
    (results,) = (keep / "runs").glob("*.jsonl")
    events = [json.loads(line)["type"] for line in results.read_text().splitlines()]
    assert events.count("call_finished") == 3
    assert events[-1] == "run_finished"
    assert not list((keep / "outbox" / "pending").rglob("*.json"))  # everything delivered
    assert "Reports:  " + str(keep / "reports") in result.output
    assert any((keep / "reports").iterdir())

    async def stored() -> tuple[int, int, list[str]]:
        async with await Store.open(str(keep / "collector.sqlite3")) as store:
            (run,) = await store.list_runs(1)
            linked = [
                r
                for r in await store.list_results(1, run.id)
                if r.agent_call is not None and r.caller_call is not None
            ]
            production = [c.agent_id for c in await store.list_calls(1, linked=False)]
            return len(linked), len(bundled_suite().scenarios), production

    linked, scenarios, production = asyncio.run(stored())
    assert linked == scenarios == 3
    assert production == ["demo-pipecat-bot"]

    # what it says to browse the kept run works: the collector with --no-auth serves its page
    (browse,) = [line for line in result.output.splitlines() if line.startswith("Browse it:")]
    database = str(keep / "collector.sqlite3")
    assert f"ringback-sim serve --database-url {database} --no-auth" in browse
    run_path = browse.split("http://127.0.0.1:7450", 1)[1].split()[0]

    async def browsed() -> tuple[int, str]:
        settings = CollectorSettings(database_url=database, port=0, no_auth=True)
        async with embedded_collector(settings) as collector, httpx.AsyncClient() as http:
            page = await http.get(collector.url + run_path)
            return page.status_code, page.text

    status, page = asyncio.run(browsed())
    assert status == 200
    assert all(s.id in page for s in bundled_suite().scenarios)


def test_a_failing_assertion_fails_the_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    text = demo_run.bundled_suite_text().replace('pattern: "(?i)shipped"}', 'pattern: "refund"}')
    monkeypatch.setattr(demo_run, "bundled_suite_text", lambda: text)

    result = CliRunner().invoke(demo_app(), ["demo"])

    assert result.exit_code == 1, result.output
    assert "FAIL  order-status" in result.output
    assert "Pass rate: 67% (2/3 calls)" in result.output
    assert "Demo FAILED" in result.output


@pytest.mark.parametrize(
    ("env", "args", "says"),
    [
        ({}, [], "LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET are not set"),
        (
            {"LIVEKIT_URL": "ws://127.0.0.1:1", "LIVEKIT_API_KEY": "k", "LIVEKIT_API_SECRET": "s"},
            [],
            "say where your LiveKit SIP service answers: --sip-address HOST[:PORT]",
        ),
        (
            {"LIVEKIT_URL": "ws://127.0.0.1:1", "LIVEKIT_API_KEY": "k", "LIVEKIT_API_SECRET": "s"},
            ["--sip-address", "sip:agent@127.0.0.1"],
            "should be HOST[:PORT] only",
        ),
        (
            # nothing listens on port 1: the server is unreachable, said in one line
            {"LIVEKIT_URL": "ws://127.0.0.1:1", "LIVEKIT_API_KEY": "k", "LIVEKIT_API_SECRET": "s"},
            ["--sip-address", "127.0.0.1:5060"],
            "could not reach the LiveKit server at ws://127.0.0.1:1",
        ),
    ],
)
def test_over_sip_a_setup_the_demo_cannot_use_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], args: list[str], says: str
) -> None:
    for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "LIVEKIT_SIP_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(demo_app(), ["demo", "--transport", "sip", *args])
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert "Traceback" not in result.output
