"""The whole loop on one machine: the collector, `ringback-sim run --transport text`, both
sides of every call synced through the Ringback plugin, and each linked to its result."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.collector_server import running_collector
from support.text_runs import point_ringback_at, text_run
from test_caller_brief import TEXT_SUITE

from ringback.core.protocol import RUN_ID


async def test_a_text_run_links_both_sides_of_every_call_in_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_collector(tmp_path) as collector:
        point_ringback_at(monkeypatch, collector, tmp_path)
        result = await text_run(TEXT_SUITE, tmp_path)
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
