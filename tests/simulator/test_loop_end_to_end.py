"""The whole loop on one machine: the collector, `ringback-sim run --transport text`, both
sides of every call synced through the Ringback plugin, and each linked to its result."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from support.collector_server import running_collector
from test_caller_brief import TEXT_SUITE
from typer.testing import CliRunner

from ringback.simulator.cli import app
from ringback.simulator.plan.ids import RUN_ID


async def test_a_text_run_links_both_sides_of_every_call_in_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_collector(tmp_path) as collector:
        monkeypatch.setenv("RINGBACK_BASE_URL", collector.url)
        monkeypatch.setenv("RINGBACK_API_KEY", collector.key)
        monkeypatch.setenv("RINGBACK_OUTBOX_DIR", str(tmp_path / "outbox"))
        monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", collector.settings.database_url)
        args = [
            "run",
            str(TEXT_SUITE),
            "--transport",
            "text",
            "--agent",
            "support.caller_agents:TextSupport",
            "--results-dir",
            str(tmp_path / "runs"),
        ]
        result = await asyncio.to_thread(CliRunner().invoke, app, args)
        assert result.exit_code == 0, result.output

        (run,) = await collector.store.list_runs(1)
        assert RUN_ID.match(run.id)
        results = await collector.store.list_results(1, run.id)
        assert len(results) == 2
        for linked in results:
            agent, caller = linked.agent_call, linked.caller_call
            assert agent is not None, f"agent side of {linked.result.id} not linked"
            assert caller is not None, f"caller side of {linked.result.id} not linked"
            assert agent.body["sip_headers"]["X-Result-Id"] == linked.result.id
            assert agent.body["sip_call_id"] == linked.result.dialled_sip_call_id
            assert caller.body["call_id"] == f"{linked.result.id}-caller"
        # nothing synced is left unlinked (no production traffic in this run)
        assert await collector.store.list_calls(1, linked=False) == []
    assert not list((tmp_path / "outbox" / "pending").rglob("*.json"))
