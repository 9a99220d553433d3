"""Request handling: 422 with field paths, the size limit, idempotency, request ids, logs."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from support.collector_calls import call_body, call_record
from support.collector_server import RunningCollector, running_collector

from ringback.simulator.store import SCHEMA_VERSION


async def _post(
    http: httpx.AsyncClient, collector: RunningCollector, content: bytes, **headers: str
) -> httpx.Response:
    return await http.post(
        collector.call_url(), content=content, headers=collector.headers(**headers)
    )


# ── validation ────────────────────────────────────────────────────────────────
async def test_422_names_the_field_path(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    body = json.loads(call_body("bad-role"))
    body["transcript_with_tool_calls"][3]["role"] = "assistant"
    response = await _post(http, collector, json.dumps(body).encode())
    assert response.status_code == 422
    payload = response.json()
    (error,) = payload["errors"]
    assert error["path"] == "transcript_with_tool_calls.3.role"
    assert error["location"] == "body"
    assert "'user', 'agent'" in error["message"]
    assert "got 'assistant'" in error["message"]
    assert payload["detail"].startswith("1 validation error: transcript_with_tool_calls.3.role:")


async def test_422_lists_every_problem(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    body = json.loads(call_body("several"))
    del body["call_id"]
    body["start_timestamp"] = "yesterday"
    body["transcript_with_tool_calls"][1]["end_ms"] = 0  # before its start
    response = await _post(http, collector, json.dumps(body).encode())
    assert response.status_code == 422
    paths = {e["path"]: e["message"] for e in response.json()["errors"]}
    assert paths["call_id"] == "Field required"
    assert "valid integer" in paths["start_timestamp"]
    assert "end_ms (0) is before start_ms" in paths["transcript_with_tool_calls.1"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "body: is not valid JSON"),
        (b"[1, 2]", "body: must be a JSON object, not an array"),
        (b'{"call_id": NaN}', "call_id: Input should be a valid string"),
        (b"\xff\xfe", "body: is not"),
    ],
)
async def test_422_for_bodies_that_are_not_calls(
    collector: RunningCollector, http: httpx.AsyncClient, content: bytes, message: str
) -> None:
    response = await _post(http, collector, content)
    assert response.status_code == 422
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("agent_remote_identifier=a", "workspace_id"),
        ("workspace_id=abc&agent_remote_identifier=a", "workspace_id"),
        ("workspace_id=0&agent_remote_identifier=a", "workspace_id"),
        ("workspace_id=1", "agent_remote_identifier"),
        ("workspace_id=1&agent_remote_identifier=" + "x" * 300, "agent_remote_identifier"),
    ],
)
async def test_422_for_query_parameters(
    collector: RunningCollector, http: httpx.AsyncClient, query: str, path: str
) -> None:
    response = await http.post(
        f"{collector.url}/api/v1/public/call?{query}",
        content=call_body("q"),
        headers=collector.headers(),
    )
    assert response.status_code == 422
    (error,) = response.json()["errors"]
    assert (error["path"], error["location"]) == (path, "query")


async def test_agent_ids_with_any_character_round_trip(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    agent = "sales bot/eu&v=2 #1 ünïcode"
    response = await http.post(
        collector.call_url(agent=agent), content=call_body("odd"), headers=collector.headers()
    )
    assert response.status_code == 201
    assert await collector.store.find_call(1, agent, "odd") is not None


# ── idempotency ───────────────────────────────────────────────────────────────
async def test_idempotent_by_workspace_agent_and_call_id(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    body = call_body("idem-1")
    first = await _post(http, collector, body)
    assert (first.status_code, first.json()["is_new"]) == (201, True)
    retry = await _post(http, collector, body)
    assert retry.status_code == 200
    assert retry.json() == {"id": first.json()["id"], "is_new": False}

    # The same call re-serialised with its keys in another order is still identical.
    reordered = json.loads(body)
    reordered = dict(reversed(list(reordered.items())))
    meta = reordered["general_meta_data_raw"]
    reordered["general_meta_data_raw"] = dict(reversed(list(meta.items())))
    assert (await _post(http, collector, json.dumps(reordered).encode())).status_code == 200

    changed = call_body("idem-1", turns=4)
    conflict = await _post(http, collector, changed)
    assert conflict.status_code == 409
    assert conflict.json()["id"] == first.json()["id"]
    assert "already stored" in conflict.json()["detail"]
    stored = await collector.store.find_call(1, "support-bot", "idem-1")
    assert stored is not None
    assert stored.body == json.loads(body)  # the conflicting body changed nothing

    other_agent = await http.post(
        collector.call_url(agent="other-bot"), content=changed, headers=collector.headers()
    )
    assert other_agent.status_code == 201  # call ids are unique per agent


async def test_concurrent_duplicates_store_one_call(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    body = call_body("raced")
    answers = await asyncio.gather(*(_post(http, collector, body) for _ in range(8)))
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await collector.store.count_calls(1) == 1


# ── size limit ────────────────────────────────────────────────────────────────
@pytest.fixture
async def small_collector(tmp_path: Path) -> AsyncIterator[RunningCollector]:
    async with running_collector(tmp_path, max_body_bytes=8_192) as running:
        yield running


async def test_413_from_content_length(
    small_collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    big = call_record("big", turns=40).to_json_bytes()
    assert len(big) > 8_192
    response = await _post(http, small_collector, big)
    assert response.status_code == 413
    assert response.json()["max_bytes"] == 8_192
    assert "8192 bytes" in response.json()["detail"]
    ok = await _post(http, small_collector, call_body("small", turns=2))
    assert ok.status_code == 201


async def test_413_while_reading_a_body_without_length(
    small_collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(6):
            yield b" " * 4_096

    response = await http.post(
        small_collector.call_url(), content=chunks(), headers=small_collector.headers()
    )
    assert response.status_code == 413
    assert response.request.headers.get("transfer-encoding") == "chunked"


async def test_413_without_reading_a_huge_declared_body(small_collector: RunningCollector) -> None:
    host, port = small_collector.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    path = small_collector.call_url().removeprefix(small_collector.url)
    writer.write(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Bearer {small_collector.key}\r\n"
        "Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n".encode()
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)  # answered with no body sent
    writer.close()
    await writer.wait_closed()
    assert status_line.startswith(b"HTTP/1.1 413")


# ── request ids and logging ───────────────────────────────────────────────────
async def test_request_id_is_echoed_or_assigned(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    given = await _post(http, collector, call_body("rid-1"), **{"X-Request-Id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    assigned = await _post(http, collector, call_body("rid-2"))
    assert len(assigned.headers["x-request-id"]) == 32
    hostile = await _post(http, collector, call_body("rid-3"), **{"X-Request-Id": "a b\tc"})
    assert hostile.headers["x-request-id"] != "a b\tc"
    failed = await http.post(collector.call_url(), content=b"{}")
    assert failed.status_code == 401
    assert failed.headers["x-request-id"]


async def test_one_log_line_per_request_without_the_key(
    collector: RunningCollector, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ringback.collector.access")
    await _post(http, collector, call_body("log-1"), **{"X-Request-Id": "req-log-1"})
    await http.post(
        collector.call_url(), content=b"{}", headers={"Authorization": "Bearer rbk_wrong_secret"}
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "ringback.collector.access"]
    assert len(lines) == 2
    assert lines[0].startswith("POST /api/v1/public/call -> 201 in ")
    assert "[x-request-id req-log-1]" in lines[0]
    assert 'workspace=1 agent="support-bot" call_id="log-1"' in lines[0]
    assert "new=true" in lines[0]
    assert "-> 401" in lines[1]
    assert collector.key not in caplog.text
    assert "rbk_wrong_secret" not in caplog.text


async def test_healthz(collector: RunningCollector, http: httpx.AsyncClient) -> None:
    response = await http.get(f"{collector.url}/healthz")
    assert response.json() == {"status": "ok", "schema_version": SCHEMA_VERSION}
