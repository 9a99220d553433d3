"""One workspace never sees, overwrites or links to another's data."""

from __future__ import annotations

import httpx
from support.collector_calls import call_body, call_record
from support.collector_server import RunningCollector

from ringback.core.protocol import new_result_id
from ringback.simulator.collector.prepare import prepare_call


async def test_workspaces_are_isolated(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    store = collector.store
    other = await store.create_key(2, "workspace two")
    body_one, body_two = call_body("shared-id", turns=2), call_body("shared-id", turns=5)

    one = await http.post(collector.call_url(1), content=body_one, headers=collector.headers())
    two = await http.post(
        collector.call_url(2), content=body_two, headers=collector.headers(other.key)
    )
    # The same call id in two workspaces: two independent calls, no 409.
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json()["id"] != two.json()["id"]

    assert [c.call_id for c in await store.list_calls(1)] == ["shared-id"]
    assert [c.id for c in await store.list_calls(2)] == [two.json()["id"]]
    assert await store.get_call(1, two.json()["id"]) is None

    # Over HTTP, a key only reads its own workspace.
    listed = await http.get(f"{collector.url}/api/v1/calls", headers=collector.headers())
    assert [c["id"] for c in listed.json()["calls"]] == [one.json()["id"]]
    foreign = await http.get(
        f"{collector.url}/api/v1/calls/{two.json()['id']}", headers=collector.headers()
    )
    assert foreign.status_code == 404
    asked = await http.get(
        f"{collector.url}/api/v1/calls?workspace_id=2", headers=collector.headers()
    )
    assert asked.status_code == 403
    own = await http.get(
        f"{collector.url}/api/v1/calls/{two.json()['id']}", headers=collector.headers(other.key)
    )
    assert own.status_code == 200
    assert own.json()["body"]["call_id"] == "shared-id"
    assert len(own.json()["body"]["transcript_with_tool_calls"]) > len(
        (await store.get_call(1, one.json()["id"])).body["transcript_with_tool_calls"]  # type: ignore[union-attr]
    )


async def test_results_never_link_across_workspaces(collector: RunningCollector) -> None:
    store = collector.store
    rid = new_result_id()
    run = await store.create_run(1)
    await store.register_result(1, run.id, rid, scenario_id="s", dialled_sip_call_id="cid@h")
    record = call_record("c", sip_headers={"X-Result-Id": rid}, sip_call_id="cid@h")
    outcome = await store.ingest_call(2, "bot", prepare_call(record.to_json_bytes()))
    assert outcome.result_id is None
    assert await store.get_result(2, rid) is None
    result = await store.get_result(1, rid)
    assert result is not None
    assert result.agent_calls == []
    assert await store.get_run(2, run.id) is None
    assert await store.list_results(2, run.id) == []
