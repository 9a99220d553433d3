"""The end of a SIP run: answered calls get `run.link_timeout` to be synced back by the agent
before the run is evaluated, and the ones still missing are named."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from livekit.protocol import sip as ps
from support.collector_calls import call_record
from support.dialing import ENV
from typer.testing import CliRunner

from ringback.livekit.testing import DialScript, LiveKitStandIn
from ringback.simulator.batch.conclude import wait_for_agent_sides
from ringback.simulator.cli import app
from ringback.simulator.collector.prepare import prepare_call
from ringback.simulator.evaluate.stored import load_evaluation
from ringback.simulator.store import Store

SUITE = """\
name: link-wait
agent: {sip_uri: "sip:agent@pbx.example.com:5060", transport: tcp,
        username: "${AGENT_SIP_USER}", password: "${AGENT_SIP_PASSWORD}"}
run: {concurrency: 2, calls_per_second: 100, dial_retry: {attempts: 1}}
scenarios:
  - {id: alpha, instructions: Say hello., assertions: [{linked: true}]}
  - {id: beta, instructions: Say hello., assertions: [{linked: true}]}
"""


async def _ingest(store: Store, call_id: str, sip_call_id: str) -> None:
    record = call_record(call_id, sip_call_id=sip_call_id)
    await store.ingest_call(1, "support-bot", prepare_call(record.to_json_bytes()))


async def test_the_wait_ends_when_the_last_answered_call_is_synced(tmp_path: Path) -> None:
    async with await Store.open(str(tmp_path / "c.sqlite3")) as store:
        run = await store.create_run(1, name="s")
        for rid, dialled in (("a" * 32, "a@pbx"), ("b" * 32, "b@pbx"), ("c" * 32, "c@pbx")):
            await store.register_result(
                1, run.id, rid, scenario_id="s", dialled_sip_call_id=dialled
            )
        await _ingest(store, "call-a", "a@pbx")
        waits: list[int] = []
        pending: list[asyncio.Task[None]] = []

        def on_wait(missing: int, left: float) -> None:
            waits.append(missing)
            if len(waits) == 1:  # b syncs late, while the run waits for it
                pending.append(asyncio.create_task(_ingest(store, "call-b", "b@pbx")))

        missing = await wait_for_agent_sides(
            store, 1, run.id, {"a" * 32, "b" * 32}, timeout_s=60, poll_s=0.01, on_wait=on_wait
        )
        assert missing == set()
        assert waits[0] == 1  # c was never answered, so it is not waited for
        assert all(task.done() for task in pending)

        called: list[int] = []
        missing = await wait_for_agent_sides(
            store, 1, run.id, {"c" * 32}, timeout_s=0, on_wait=lambda m, s: called.append(m)
        )
        assert (missing, called) == ({"c" * 32}, [])


@pytest.fixture
def standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveKitStandIn]:
    server = LiveKitStandIn()

    def by_scenario(request: ps.CreateSIPParticipantRequest, attempt: int) -> DialScript:
        return DialScript(call_id_full=f"{request.headers['X-Scenario-Id']}@pbx.test")

    server.dial = by_scenario
    with server.in_thread():
        monkeypatch.setenv("LIVEKIT_URL", server.url)
        monkeypatch.setenv("LIVEKIT_API_KEY", server.api_key)
        monkeypatch.setenv("LIVEKIT_API_SECRET", server.api_secret)
        for name, value in ENV.items():
            monkeypatch.setenv(name, value)
        yield server


def test_a_sip_run_names_the_answered_calls_the_agent_never_synced(
    standin: LiveKitStandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    create_call_server_url: str,
) -> None:
    monkeypatch.setenv("RINGBACK_BASE_URL", create_call_server_url)  # a collector answers
    database = str(tmp_path / "collector.sqlite3")
    monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", database)
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)

    async def agent_synced_alpha_only() -> None:
        async with await Store.open(database) as store:
            await _ingest(store, "agent-alpha", "alpha@pbx.test")  # links once dialled

    asyncio.run(agent_synced_alpha_only())
    args = ["run", str(suite), "--poll-interval", "0.005", "--results-dir", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--link-timeout", "0", "--fail-under", "1"])

    assert result.exit_code == 1, result.output
    assert "2 completed, 0 failed" in result.output
    assert (
        "warning: 1 answered call was not synced back by the agent within 0s and counts as "
        "unlinked (wait longer with --link-timeout)"
    ) in result.output
    assert "pass rate 50.0% (1/2 calls) below --fail-under 100.0%" in result.output
    gate = result.output.split("pass rate", 1)[1]
    assert "beta#0" in gate
    assert "alpha#0" not in gate

    async def kept() -> list[tuple[str, bool]]:
        async with await Store.open(database) as store:
            (run,) = await store.list_runs(1)
            evaluation = await load_evaluation(store, 1, run.id)
            assert evaluation is not None
            return sorted((c.scenario_id, c.linked) for c in evaluation.calls)

    assert asyncio.run(kept()) == [("alpha", True), ("beta", False)]
