"""`IntegrationOptions`: the keywords both integrations accept, the settings and call options
read from them, and the recorder built from them (`CallRecorder.from_options`)."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest
from support.create_call_server import CreateCallServer

from ringback.core.contract import CallType
from ringback.core.delivery import Delivery
from ringback.core.options import IntegrationOptions
from ringback.core.recorder import CallRecorder
from ringback.core.settings import RingbackSettings, Sink
from ringback.core.timeline import CallClock


def test_settings_come_from_the_keywords_then_the_environment_then_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGBACK_AGENT_ID", "env-bot")
    monkeypatch.setenv("RINGBACK_WORKSPACE_ID", "7")
    options = IntegrationOptions(
        base_url="http://127.0.0.1:9/", workspace_id=3, outbox_dir=tmp_path, delivery_deadline=1.5
    )
    settings = options.load_settings()
    assert settings.base_url == "http://127.0.0.1:9"
    assert settings.workspace_id == 3  # the keyword beats RINGBACK_WORKSPACE_ID
    assert settings.agent_id == "env-bot"
    assert settings.outbox_dir == tmp_path
    assert settings.delivery_deadline == 1.5
    assert settings.request_timeout == 10.0  # the default
    assert settings.enabled


def test_request_timeout_and_extra_sinks_reach_the_settings(tmp_path: Path) -> None:
    mirror = Sink(name="mirror", base_url="http://127.0.0.1:9")
    sinks = (mirror,)  # any sequence
    settings = IntegrationOptions(
        outbox_dir=tmp_path, request_timeout=2.5, extra_sinks=sinks
    ).load_settings()
    assert settings.request_timeout == 2.5
    assert [s.name for s in settings.sinks()] == ["primary", "mirror"]


def test_whole_settings_are_used_as_they_are(tmp_path: Path) -> None:
    given = RingbackSettings(base_url="http://127.0.0.1:1", outbox_dir=tmp_path)
    options = IntegrationOptions(settings=given, base_url="http://127.0.0.1:2", enabled=False)
    assert options.load_settings() is given


def test_invalid_keywords_are_logged_by_name_and_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    options = IntegrationOptions(
        call_id="bad-config",
        call_type="fax",
        agent_version="seven",  # type: ignore[arg-type]
        request_timeout=-1,
        api_key="tr_api_SECRET",
        outbox_dir=tmp_path,
    )
    with caplog.at_level(logging.ERROR, logger="ringback"):
        settings = options.load_settings()
        call = options.call_options()
    assert settings.request_timeout == 10.0
    assert settings.api_key is not None
    assert (call.call_id, call.call_type, call.agent_version) == ("bad-config", None, None)
    assert "setting request_timeout" in caplog.text
    assert "option call_type is invalid" in caplog.text
    assert "option agent_version is invalid" in caplog.text
    assert "SECRET" not in caplog.text


def test_call_options_keep_their_own_copy_of_the_metadata() -> None:
    metadata = {"tier": "gold"}
    call = IntegrationOptions(metadata=metadata, call_type="phone_call").call_options()
    metadata["tier"] = "changed after the call began"
    assert dict(call.metadata) == {"tier": "gold"}
    assert call.call_type is CallType.PHONE_CALL
    assert dict(IntegrationOptions().call_options().metadata) == {}


def test_the_options_cannot_change_under_a_call() -> None:
    options = IntegrationOptions(agent_id="bot")
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.agent_id = "other"  # type: ignore[misc]


async def test_the_recorder_built_from_options_delivers_the_call_as_configured(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    clock = CallClock()
    options = IntegrationOptions(
        sip_call_id="3c26b6f1a9e24d1b@pbx.example.com",
        sip_headers={"X-Run-Id": "4f1c9a2e7b3d4c5e8f6a0b1c2d3e4f5a", "From": "sip:a@b"},
        call_id="from-options-1",
        agent_version=4,
        metadata={"tier": "gold"},
        cost_calculator=lambda inputs: 12.5,
        base_url=create_call_server.url,
        outbox_dir=tmp_path / "outbox",
        clock=clock,
    )
    recorder = CallRecorder.from_options(options, agent_hint="support-bot")
    assert recorder.timeline.clock is clock
    recorder.timeline.add_turn("user", "hello", start_ms=0, end_ms=500)
    result = await recorder.finish(disconnection_reason="user_hangup")

    assert result.delivered
    (request,) = create_call_server.requests
    assert request.query["agent_remote_identifier"] == "support-bot"
    body = request.body
    assert body["call_id"] == "from-options-1"
    assert body["sip_call_id"] == "3c26b6f1a9e24d1b@pbx.example.com"
    assert body["sip_headers"] == {"X-Run-Id": "4f1c9a2e7b3d4c5e8f6a0b1c2d3e4f5a"}  # X- only
    assert body["call_type"] == "phone_call"
    assert body["agent_version"] == 4
    assert body["call_cost"] == 12.5
    assert body["general_meta_data_raw"]["tier"] == "gold"
    assert body["disconnection_reason"] == "user_hangup"


async def test_one_options_object_serves_many_calls_on_a_shared_delivery(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    settings = RingbackSettings(
        base_url=create_call_server.url, outbox_dir=tmp_path / "outbox", agent_id="bot"
    )
    async with Delivery(settings) as delivery:
        options = IntegrationOptions(settings=settings, delivery=delivery)
        first = CallRecorder.from_options(options)
        second = CallRecorder.from_options(options)
        assert first.delivery is second.delivery is delivery
        assert first.call_id != second.call_id  # random ids, one per call
        for recorder in (first, second):
            assert (await recorder.finish()).delivered  # the shared delivery stays open
    calls = {r.body["call_id"] for r in create_call_server.requests}
    assert calls == {first.call_id, second.call_id}
    assert {r.query["agent_remote_identifier"] for r in create_call_server.requests} == {"bot"}
