"""Bearer keys: missing, wrong, revoked, another workspace's; and the no-auth mode."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from support.collector_calls import call_body
from support.collector_server import RunningCollector, running_collector

from ringback.simulator.collector.settings import CollectorSettings


async def test_missing_key_is_401_and_says_how_to_send_one(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    response = await http.post(collector.call_url(), content=call_body("a"))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Authorization: Bearer <key>" in response.json()["detail"]
    assert "ringback-sim keys create" in response.json()["detail"]


async def test_x_api_key_header_gets_a_hint(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        collector.call_url(), content=call_body("a"), headers={"X-API-Key": collector.key}
    )
    assert response.status_code == 401
    assert "X-API-Key header is not read" in response.json()["detail"]
    assert collector.key not in response.text


@pytest.mark.parametrize("authorization", ["Basic dXNlcjpwYXNz", "Bearer", "Token abc"])
async def test_malformed_authorization_is_401(
    collector: RunningCollector, http: httpx.AsyncClient, authorization: str
) -> None:
    response = await http.post(
        collector.call_url(), content=call_body("a"), headers={"Authorization": authorization}
    )
    assert response.status_code == 401
    assert "must be `Bearer <key>`" in response.json()["detail"]


async def test_wrong_key_is_401_without_echoing_it(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    wrong = collector.key[:-4] + "AAAA"
    response = await http.post(
        collector.call_url(), content=call_body("a"), headers=collector.headers(wrong)
    )
    assert response.status_code == 401
    assert "no key matches" in response.json()["detail"]
    assert wrong not in response.text
    assert await collector.store.find_call(1, "support-bot", "a") is None


async def test_revoked_key_is_401(collector: RunningCollector, http: httpx.AsyncClient) -> None:
    url, headers = collector.call_url(), collector.headers()
    assert (await http.post(url, content=call_body("before"), headers=headers)).status_code == 201
    await collector.store.revoke_key(collector.key_id)
    response = await http.post(url, content=call_body("after"), headers=headers)
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert await collector.store.find_call(1, "support-bot", "after") is None


async def test_key_of_another_workspace_is_403(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    response = await http.post(
        collector.call_url(workspace_id=2), content=call_body("a"), headers=collector.headers()
    )
    assert response.status_code == 403
    assert "belongs to workspace 1, not workspace 2" in response.json()["detail"]
    assert await collector.store.find_call(2, "support-bot", "a") is None


async def test_auth_is_checked_before_the_body_is_read(
    collector: RunningCollector, http: httpx.AsyncClient
) -> None:
    response = await http.post(collector.call_url(), content=b"not even json")
    assert response.status_code == 401


async def test_no_auth_mode_accepts_calls_without_a_key(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    async with running_collector(tmp_path, no_auth=True) as collector:
        response = await http.post(collector.call_url(workspace_id=3), content=call_body("a"))
        assert response.status_code == 201
        stored = await collector.store.find_call(3, "support-bot", "a")
        assert stored is not None


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_no_auth_is_refused_off_loopback(host: str) -> None:
    with pytest.raises(ValueError, match="only allowed on a loopback host"):
        CollectorSettings(host=host, no_auth=True).check()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_no_auth_is_allowed_on_loopback(host: str) -> None:
    CollectorSettings(host=host, no_auth=True).check()
