"""Linking synced calls to simulation results, whichever arrives first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from support.collector_calls import call_record
from support.collector_server import RunningCollector

from ringback.core.protocol import new_result_id
from ringback.simulator.collector.prepare import prepare_call
from ringback.simulator.store import IngestOutcome, NotFoundError, Store
from ringback.simulator.store.linking import CALLER_SIDE, caller_side_metadata, link_keys

DIALLED = "7f3a9c2e1b@10.0.0.5"


async def _run(store: Store, workspace_id: int = 1) -> str:
    return (await store.create_run(workspace_id, name="suite")).id


async def _ingest(
    store: Store, call_id: str, *, workspace_id: int = 1, **kwargs: Any
) -> IngestOutcome:
    record = call_record(call_id, **kwargs)
    return await store.ingest_call(
        workspace_id, "support-bot", prepare_call(record.to_json_bytes())
    )


CallKwargs = Callable[[str], dict[str, Any]]
LINKS: dict[str, tuple[CallKwargs, str]] = {
    "x-result-id": (lambda rid: {"sip_headers": {"X-Result-Id": rid}}, "x-result-id"),
    "x-correlation-id": (
        lambda rid: {"sip_headers": {"X-Correlation-Id": rid}},
        "x-correlation-id",
    ),
    "sip-call-id": (lambda rid: {"sip_call_id": DIALLED}, "sip-call-id"),
}


@pytest.mark.parametrize("how", list(LINKS))
@pytest.mark.parametrize("call_first", [True, False], ids=["call-first", "result-first"])
async def test_links_in_both_orders(store: Store, how: str, call_first: bool) -> None:
    kwargs, linked_by = LINKS[how]
    rid = new_result_id()
    run_id = await _run(store)

    async def register() -> None:
        await store.register_result(
            1, run_id, rid, scenario_id="refund", dialled_sip_call_id=DIALLED
        )

    if call_first:
        outcome = await _ingest(store, "c1", **kwargs(rid))
        assert outcome.result_id is None  # nothing to link to yet
        await register()
    else:
        await register()
        outcome = await _ingest(store, "c1", **kwargs(rid))
        assert (outcome.result_id, outcome.linked_by) == (rid, linked_by)
    result = await store.get_result(1, rid)
    assert result is not None
    assert result.agent_call is not None
    assert result.agent_call.call_id == "c1"
    assert result.agent_call.linked_by == linked_by
    assert result.caller_calls == []


@pytest.mark.parametrize("call_first", [True, False], ids=["call-first", "dialled-first"])
async def test_call_id_known_only_after_dialling(store: Store, call_first: bool) -> None:
    rid = new_result_id()
    run_id = await _run(store)
    await store.register_result(1, run_id, rid, scenario_id="s")  # Call-ID not known yet
    if call_first:
        await _ingest(store, "c1", sip_call_id=DIALLED)
        await store.set_dialled_call_id(1, rid, DIALLED)
    else:
        await store.set_dialled_call_id(1, rid, DIALLED)
        await _ingest(store, "c1", sip_call_id=DIALLED)
    result = await store.get_result(1, rid)
    assert result is not None
    assert result.result.dialled_sip_call_id == DIALLED
    assert result.agent_call is not None
    assert result.agent_call.linked_by == "sip-call-id"


Step = Callable[[Store, str, str], Awaitable[object]]


async def _agent_side(store: Store, rid: str, run_id: str) -> object:
    return await _ingest(store, "agent-call", sip_call_id=DIALLED)


async def _caller_side(store: Store, rid: str, run_id: str) -> object:
    # The caller's recording carries no X- headers; its metadata names the result.
    return await _ingest(store, "caller-call", caller_result_id=rid, sip_call_id=DIALLED)


async def _result(store: Store, rid: str, run_id: str) -> object:
    return await store.register_result(1, run_id, rid, scenario_id="s", dialled_sip_call_id=DIALLED)


@pytest.mark.parametrize(
    "order",
    [
        (_agent_side, _caller_side, _result),
        (_result, _caller_side, _agent_side),
        (_caller_side, _result, _agent_side),
    ],
    ids=["calls-first", "result-first", "mixed"],
)
async def test_caller_and_agent_sides_attach_to_one_result(
    store: Store, order: tuple[Step, Step, Step]
) -> None:
    rid, run_id = new_result_id(), await _run(store)
    for step in order:
        await step(store, rid, run_id)
    result = await store.get_result(1, rid)
    assert result is not None
    assert [c.call_id for c in result.agent_calls] == ["agent-call"]
    assert [c.call_id for c in result.caller_calls] == ["caller-call"]
    assert result.caller_call is not None
    assert result.caller_call.side == CALLER_SIDE
    assert result.caller_call.linked_by == "simulation-metadata"
    assert result.caller_call.body["general_meta_data_raw"]["simulation"]["side"] == "caller"
    assert not result.caller_call.production
    assert not result.agent_calls[0].production


async def test_unlinked_calls_are_production_traffic(store: Store) -> None:
    run_id = await _run(store)
    rid = new_result_id()
    await store.register_result(1, run_id, rid, scenario_id="s", dialled_sip_call_id=DIALLED)
    await _ingest(store, "simulated", sip_headers={"X-Result-Id": rid})
    await _ingest(store, "prod-1", sip_call_id="someone-else@carrier")
    await _ingest(store, "prod-2")
    await _ingest(store, "stray-caller", caller=True)  # a caller side with nothing to link to

    production = await store.list_calls(1, linked=False, side="agent")
    assert [c.call_id for c in production] == ["prod-2", "prod-1"]  # newest first
    assert all(c.production for c in production)
    linked = await store.list_calls(1, linked=True)
    assert [c.call_id for c in linked] == ["simulated"]
    unlinked = {c.call_id: c.production for c in await store.list_calls(1, linked=False)}
    assert unlinked == {"prod-1": True, "prod-2": True, "stray-caller": False}


async def test_header_names_and_hex_case_do_not_matter(store: Store) -> None:
    rid = new_result_id()
    await store.register_result(1, await _run(store), rid, scenario_id="s")
    outcome = await _ingest(store, "c1", sip_headers={"x-RESULT-id": rid.upper()})
    assert (outcome.result_id, outcome.linked_by) == (rid, "x-result-id")


async def test_base32_result_ids(store: Store) -> None:
    rid = "01JGZ8K3M5N7P9Q2R4S6T8V0WX"
    await store.register_result(1, await _run(store), rid.lower(), scenario_id="s")
    outcome = await _ingest(store, "c1", sip_headers={"X-Correlation-Id": rid})
    assert outcome.result_id == rid


async def test_x_result_id_beats_the_call_id(store: Store) -> None:
    run_id = await _run(store)
    by_header, by_call_id = new_result_id(), new_result_id()
    await store.register_result(1, run_id, by_header, scenario_id="a")
    await store.register_result(1, run_id, by_call_id, scenario_id="b", dialled_sip_call_id=DIALLED)
    outcome = await _ingest(
        store, "c1", sip_headers={"X-Result-Id": by_header}, sip_call_id=DIALLED
    )
    assert (outcome.result_id, outcome.linked_by) == (by_header, "x-result-id")


async def test_an_unknown_header_id_falls_back_to_the_call_id(store: Store) -> None:
    rid = new_result_id()
    await _ingest(
        store, "c1", sip_headers={"X-Correlation-Id": "not-one-of-ours"}, sip_call_id=DIALLED
    )
    await store.register_result(
        1, await _run(store), rid, scenario_id="s", dialled_sip_call_id=DIALLED
    )
    result = await store.get_result(1, rid)
    assert result is not None
    assert result.agent_call is not None
    assert result.agent_call.linked_by == "sip-call-id"


async def test_a_linked_call_is_never_relinked(store: Store) -> None:
    run_id = await _run(store)
    first, second = new_result_id(), new_result_id()
    await store.register_result(1, run_id, first, scenario_id="a", dialled_sip_call_id=DIALLED)
    await _ingest(store, "c1", sip_call_id=DIALLED)
    await store.register_result(1, run_id, second, scenario_id="b", dialled_sip_call_id=DIALLED)
    second_result = await store.get_result(1, second)
    assert second_result is not None
    assert second_result.agent_calls == []


async def test_results_of_a_run(store: Store) -> None:
    run_id = await _run(store)
    ids = [new_result_id() for _ in range(3)]
    for n, rid in enumerate(ids):
        await store.register_result(1, run_id, rid, scenario_id=f"s{n}", attempt=n)
    await _ingest(store, "c1", sip_headers={"X-Result-Id": ids[1]})
    results = await store.list_results(1, run_id)
    assert [r.result.id for r in results] == ids
    assert [len(r.agent_calls) for r in results] == [0, 1, 0]
    finished = await store.finish_run(1, run_id)
    assert finished.finished_at is not None
    assert [r.id for r in await store.list_runs(1)] == [run_id]


async def test_registration_errors(store: Store) -> None:
    run_id = await _run(store)
    with pytest.raises(ValueError, match="32 hex or 26 base32"):
        await store.register_result(1, run_id, "result-1", scenario_id="s")
    with pytest.raises(NotFoundError, match="create it first"):
        await store.register_result(1, "no-such-run", new_result_id(), scenario_id="s")
    rid = new_result_id()
    await store.register_result(1, run_id, rid, scenario_id="s")
    with pytest.raises(ValueError, match="already registered"):
        await store.register_result(1, run_id, rid, scenario_id="s")
    with pytest.raises(NotFoundError):
        await store.set_dialled_call_id(1, new_result_id(), DIALLED)
    with pytest.raises(ValueError, match="already used"):
        await store.create_run(1, run_id=run_id)


def test_link_keys_reading() -> None:
    keys = link_keys(
        caller_side_metadata(result_id="A" * 32, run_id="r"),
        {"X-Correlation-Id": " " + "b" * 32 + " "},
        " call@host ",
    )
    assert keys.side == CALLER_SIDE
    assert keys.refs() == [("a" * 32, "simulation-metadata"), ("b" * 32, "x-correlation-id")]
    assert keys.sip_call_id == "call@host"
    agent = link_keys({"simulation": {"result_id": "a" * 32}}, None, None)
    assert agent.side == "agent"
    assert agent.refs() == []  # only the caller side is linked by its metadata


async def test_linking_through_the_api(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    store = collector.store
    rid = new_result_id()
    body = call_record("over-http", sip_headers={"X-Result-Id": rid}).to_json_bytes()
    response = await http.post(collector.call_url(), content=body, headers=collector.headers())
    assert response.status_code == 201
    await store.register_result(1, await _run(store), rid, scenario_id="s")
    listed = await http.get(f"{collector.url}/api/v1/calls", headers=collector.headers())
    (call,) = listed.json()["calls"]
    assert (call["result_id"], call["linked_by"], call["production"]) == (rid, "x-result-id", False)
