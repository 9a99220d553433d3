"""CallRecorder: the one path from a finished call to the outbox and the backend."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from support.create_call_server import CreateCallServer

from ringback.core.correlation import extract_correlation
from ringback.core.delivery import DeliveryStatus
from ringback.core.recorder import CallOptions, CallRecorder
from ringback.core.settings import RingbackSettings, load_settings

ATTRIBUTES = {
    "sip.callID": "SCL_abc123",
    "sip.callIDFull": "d1e2f3@pbx.example.com",
    "sip.phoneNumber": "+15105550100",
}


def recorder(server: CreateCallServer, tmp_path: Path, **kwargs: object) -> CallRecorder:
    settings = RingbackSettings(base_url=server.url, outbox_dir=tmp_path / "outbox")
    return CallRecorder(settings=settings, agent_hint="support-bot", **kwargs)  # type: ignore[arg-type]


async def test_finish_delivers_once_even_when_called_twice(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    rec = recorder(create_call_server, tmp_path, options=CallOptions(call_id="call-1"))
    rec.timeline.add_turn("user", "hello", start_ms=0, end_ms=500)
    first, second = await asyncio.gather(rec.finish(), rec.finish())
    assert first is second
    assert first.delivered
    (request,) = create_call_server.requests
    assert request.query["agent_remote_identifier"] == "support-bot"
    assert request.body["call_id"] == "call-1"
    assert request.body["transcript_with_tool_calls"][0]["text"] == "hello"
    assert await rec.finish() is first


async def test_late_correlation_merges_and_explicit_values_win(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    rec = recorder(create_call_server, tmp_path, sip_call_id="given@example.com")
    rec.note_correlation(extract_correlation({"sip.callID": "SCL_abc123"}, provider="livekit"))
    rec.note_correlation(
        extract_correlation({**ATTRIBUTES, "sip.h.x-run-id": "r1"}, provider="livekit")
    )
    await rec.finish(disconnection_reason="user_hangup")
    body = create_call_server.requests[0].body
    assert body["sip_call_id"] == "given@example.com"
    assert body["sip_headers"] == {"X-Run-Id": "r1"}
    assert body["call_type"] == "phone_call"
    assert body["disconnection_reason"] == "user_hangup"
    assert body["general_meta_data_raw"]["correlation"]["native_ids"] == {
        "livekit.sip.callID": "SCL_abc123"
    }


@pytest.mark.parametrize("kind", ["value", "sync", "async"])
async def test_recording_url_value_or_resolver(
    kind: str, create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    url = "https://recordings.example.com/call-1.wav"

    async def resolve_async() -> str:
        return url

    source = {"value": url, "sync": lambda: url, "async": resolve_async}[kind]
    rec = recorder(create_call_server, tmp_path, options=CallOptions(recording_url=source))
    await rec.finish()
    assert create_call_server.requests[0].body["recording_url"] == url


async def test_failing_resolver_sends_the_call_without_a_url(
    create_call_server: CreateCallServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> str:
        raise RuntimeError("storage offline")

    rec = recorder(create_call_server, tmp_path, options=CallOptions(recording_url=broken))
    result = await rec.finish()
    assert result.delivered
    assert "recording_url" not in create_call_server.requests[0].body
    assert "recording URL resolver failed" in caplog.text


async def test_options_reach_the_body(create_call_server: CreateCallServer, tmp_path: Path) -> None:
    options = CallOptions(
        call_type="web_call",
        agent_version=7,
        metadata={"customer_tier": "gold"},
        cost_calculator=lambda inputs: 1.25,
    )
    await recorder(create_call_server, tmp_path, options=options).finish()
    body = create_call_server.requests[0].body
    assert (body["call_type"], body["agent_version"], body["call_cost"]) == ("web_call", 7, 1.25)
    assert body["general_meta_data_raw"]["customer_tier"] == "gold"


async def test_a_build_failure_is_reported_not_raised(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    rec = recorder(create_call_server, tmp_path)
    rec.timeline.mark_start(float("nan"))  # nonsense from a broken integration
    result = await rec.finish()
    assert result.error is not None
    assert result.error.startswith("build failed")
    assert not result.delivered


async def test_down_backend_keeps_the_call_on_disk(tmp_path: Path) -> None:
    settings = RingbackSettings(base_url="http://127.0.0.1:9", outbox_dir=tmp_path / "outbox")
    result = await CallRecorder(settings=settings).finish(deadline=0)
    assert result.persisted
    assert result.outcomes[0].status is DeliveryStatus.PENDING_RETRY
    assert result.pending
    assert len(list((tmp_path / "outbox" / "pending").rglob("*.json"))) == 1


def test_load_settings_never_fails_and_never_logs_the_value(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("RINGBACK_WORKSPACE_ID", "tr_api_oops_a_key")
    monkeypatch.setenv("RINGBACK_API_KEY", "tr_api_real_secret")
    with caplog.at_level(logging.ERROR):
        settings = load_settings(agent_id="bot", request_timeout=-1, base_url=None)
    assert settings.workspace_id == 1
    assert settings.request_timeout == 10.0
    assert settings.agent_id == "bot"
    assert settings.api_key is not None
    assert settings.api_key.get_secret_value() == "tr_api_real_secret"
    assert "RINGBACK_WORKSPACE_ID" in caplog.text
    assert "RINGBACK_REQUEST_TIMEOUT" in caplog.text
    assert "tr_api_" not in caplog.text
