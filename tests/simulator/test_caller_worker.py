"""The simulated-caller worker under LiveKit's real job machinery: the caller's side of each
call reaches the Create Call API marked as the caller side with its ids, the hang-up and the
max duration end the job, a bad brief ends the call at once, and `ringback-sim worker`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from support.caller_jobs import caller_job, text_caller_entry
from support.create_call_server import CreateCallServer
from support.livekit_jobs import run_job
from test_caller_brief import TEXT_SUITE, planned
from typer.testing import CliRunner

from ringback.simulator.caller import build_server, entrypoint, serve
from ringback.simulator.caller import worker as worker_module
from ringback.simulator.cli.worker import worker_command
from ringback.simulator.store.linking import CALLER_SIDE, link_keys


def texts(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (s["role"], s.get("text") or "")
        for s in body["transcript_with_tool_calls"]
        if s["role"] in ("user", "agent")
    ]


def tools(body: dict[str, Any]) -> list[str]:
    return [
        s["tool"]["name"]
        for s in body["transcript_with_tool_calls"]
        if s["role"] == "agent_function"
    ]


def metadata(server: CreateCallServer, outbox: Path, scenario: str, **test: Any) -> dict[str, Any]:
    call = planned(scenario)
    ringback = {"base_url": server.url, "outbox_dir": str(outbox)}
    return {**call.caller_metadata, "test": {"ringback": ringback, **test}}


async def test_a_scripted_caller_job_syncs_the_caller_side(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    meta = metadata(
        create_call_server,
        outbox_dir,
        "order-status",
        agent_says=["Support, how can I help?", "It has shipped.", "Goodbye!", "Still there?"],
    )
    async with run_job(text_caller_entry, caller_job("scripted", meta)) as executor:
        await asyncio.wait_for(executor.join(), 30)  # the hang-up ends the job by itself
    (request,) = create_call_server.requests
    assert request.query["agent_remote_identifier"] == "ringback-caller"  # the job's agent name
    body = request.body
    result_id = meta["result_id"]
    assert body["call_id"] == f"{result_id}-caller"
    assert body["general_meta_data_raw"]["simulation"] == {
        "side": CALLER_SIDE,
        "result_id": result_id,
        "run_id": meta["run_id"],
        "scenario_id": "order-status",
        "suite": "support-text",
        "scripted": True,
    }
    keys = link_keys(
        body["general_meta_data_raw"], body.get("sip_headers"), body.get("sip_call_id")
    )
    assert (keys.side, keys.result_ref) == (CALLER_SIDE, result_id)
    # the caller's own words are `agent` turns of its recording; the agent's are `user` turns
    assert texts(body) == [
        ("user", "Support, how can I help?"),
        ("agent", "Hi, where is my order A1001?"),
        ("user", "It has shipped."),
        ("agent", "Great, thanks. Bye!"),
        ("user", "Goodbye!"),
    ]
    assert tools(body) == ["hang_up"]
    assert body["disconnection_reason"] == "agent_hangup"  # the simulator's side hung up
    assert body["general_meta_data_raw"]["livekit"]["job_id"] == "scripted"
    assert "Jane Smith" not in json.dumps(body)


async def test_an_improvising_caller_in_a_process_job(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    meta = metadata(
        create_call_server,
        outbox_dir,
        "small-talk",
        agent_says=["Hello, support.", "Anything else?"],
        caller_replies=[
            {"text": "Hi! Just calling to say hello."},
            {"text": "No, bye!", "tools": [["hang_up", {}]]},
        ],
    )
    meta["scenario"]["turns"] = []  # improvise with the fake LLM
    async with run_job(text_caller_entry, caller_job("improv", meta), process=True) as executor:
        await asyncio.wait_for(executor.join(), 60)
    (request,) = create_call_server.requests
    body = request.body
    assert body["call_id"] == f"{meta['result_id']}-caller"
    assert body["general_meta_data_raw"]["simulation"]["scripted"] is False
    assert texts(body)[-1] == ("agent", "No, bye!")
    assert body["general_meta_data_raw"]["ai_models"]["llm_model"] == "scripted-llm"


async def test_the_max_duration_hangs_up_and_ends_the_job(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    meta = metadata(create_call_server, outbox_dir, "order-status", agent_says=[])
    meta["max_duration_s"] = 0.2  # the agent never speaks: only the max duration ends it
    async with run_job(text_caller_entry, caller_job("max", meta)) as executor:
        await asyncio.wait_for(executor.join(), 30)
    (request,) = create_call_server.requests
    body = request.body
    assert body["general_meta_data_raw"]["simulation"]["result_id"] == meta["result_id"]
    assert body["general_meta_data_raw"]["livekit"]["close_reason"] == "user_initiated"
    assert body["disconnection_reason"] == "timeout"  # the scenario's time ran out
    assert texts(body) == []


async def test_a_bad_brief_ends_the_call_at_once(
    create_call_server: CreateCallServer, caplog: pytest.LogCaptureFixture
) -> None:
    async with run_job(entrypoint, caller_job("bad", '{"scenario": 3}')) as executor:
        await asyncio.wait_for(executor.join(), 30)
    assert "the job metadata is not a caller brief" in caplog.text
    assert create_call_server.requests == []


def worker_cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        pass

    app.command("worker")(worker_command)
    return app


def test_the_worker_command_needs_the_livekit_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(worker_cli(), ["worker"])
    assert result.exit_code == 2
    assert "LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET not set" in result.stderr


def test_the_worker_command_registers_the_suites_caller_agent_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIVEKIT_URL", "wss://example.livekit.cloud")
    monkeypatch.setenv("LIVEKIT_API_KEY", "key")
    monkeypatch.setenv("LIVEKIT_API_SECRET", "secret")
    built: dict[str, Any] = {}

    def fake_build_server(**kwargs: Any) -> str:
        built.update(kwargs)
        return "server"

    async def fake_serve(server: object, **kwargs: Any) -> None:
        built.update(server=server, **kwargs)

    monkeypatch.setattr(worker_module, "build_server", fake_build_server)
    monkeypatch.setattr(worker_module, "serve", fake_serve)
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        TEXT_SUITE.read_text().replace(
            "name: support-text", "name: s\nlivekit: {caller_agent_name: qa-caller}"
        )
    )
    result = CliRunner().invoke(worker_cli(), ["worker", "--dev", "--suite", str(suite)])
    assert result.exit_code == 0, result.stderr
    assert built == {
        "agent_name": "qa-caller",
        "server": "server",
        "devmode": True,
        "drain_timeout": 60,
    }
    assert CliRunner().invoke(worker_cli(), ["worker", "--agent-name", "other"]).exit_code == 0
    assert built["agent_name"] == "other"
    assert CliRunner().invoke(worker_cli(), ["worker"]).exit_code == 0
    assert built["agent_name"] == "ringback-caller"


async def test_serve_runs_the_server_until_stopped() -> None:
    server = build_server(agent_name="ringback-caller", num_idle_processes=0, port=0)
    stop = asyncio.Event()
    server.on("worker_started", lambda *_: stop.set())
    await asyncio.wait_for(serve(server, devmode=True, stop=stop, unregistered=True), 30)
