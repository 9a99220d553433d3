"""Correlation from what a Pipecat telephony bot receives: media-stream start messages (raw, or
as parsed by Pipecat's `parse_telephony_websocket`), Daily dial-in settings, explicit values."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pipecat.runner.types import DialinSettings
from pipecat.runner.utils import parse_telephony_websocket
from support.create_call_server import CreateCallServer

from ringback.pipecat import (
    RingbackObserver,
    correlation_from_call_data,
    correlation_from_payload,
    read_start_message,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "correlation"
SIP_CALL_ID = "a1e5b8c09d2f4e7b8c3a6d9e0f1b2c4d@203.0.113.45"
RUN_ID = "01JQ8ZK6M4XB7C9D0EFGH3JKMN"
RESULT_ID = "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


class HandshakeSocket:
    """The messages a provider sends first, as a FastAPI websocket hands them over."""

    def __init__(self, *messages: dict[str, Any]) -> None:
        self.messages = [json.dumps(m) for m in messages]

    async def receive_text(self) -> str:
        return self.messages.pop(0)

    async def iter_text(self) -> AsyncIterator[str]:
        while self.messages:
            yield self.messages.pop(0)


async def test_twilio_through_pipecats_own_parser() -> None:
    socket = HandshakeSocket({"event": "connected"}, fixture("twilio_media_stream_start.json"))
    transport_type, call_data = await parse_telephony_websocket(socket)  # type: ignore[arg-type]
    assert call_data.call_id == "CA3ae75ffe1c5d8847e478556c07d07103"  # Twilio's own id

    correlation = correlation_from_call_data(transport_type, call_data)
    assert correlation.sip_call_id == SIP_CALL_ID
    assert correlation.sip_headers == {
        "X-Run-Id": RUN_ID,
        "X-Scenario-Id": "refund-happy-path",
        "X-Result-Id": RESULT_ID,
        "X-Customer-Tier": "premium",
    }
    assert correlation.native_ids == {
        "twilio.callSid": "CA3ae75ffe1c5d8847e478556c07d07103",
        "twilio.streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
    }


async def test_exotel_through_pipecats_own_parser() -> None:
    socket = HandshakeSocket({"event": "connected"}, fixture("exotel_stream_start.json"))
    transport_type, call_data = await parse_telephony_websocket(socket)  # type: ignore[arg-type]
    correlation = correlation_from_call_data(transport_type, call_data)
    assert correlation.sip_headers == {"X-Result-Id": RESULT_ID, "X-Run-Id": RUN_ID}
    assert correlation.native_ids["exotel.call_sid"] == "c2b1c7b2d9c3d5e5a4e4c0c1f2b5175d"


@pytest.mark.parametrize(
    ("name", "headers"),
    [
        (
            "plivo_stream_start.json",
            {"X-Run-Id": RUN_ID, "X-Correlation-Id": RESULT_ID, "X-Customer-Tier": "premium"},
        ),
        ("telnyx_stream_start.json", {"X-Run-Id": RUN_ID, "X-Result-Id": RESULT_ID}),
    ],
)
async def test_plivo_and_telnyx_headers_need_the_raw_start_message(
    name: str, headers: dict[str, str]
) -> None:
    start = fixture(name)
    socket = HandshakeSocket(start)
    transport_type, call_data = await parse_telephony_websocket(socket)  # type: ignore[arg-type]
    parsed = correlation_from_call_data(transport_type, call_data)
    assert parsed.sip_headers == {}  # Pipecat's parser drops them
    assert parsed.native_ids  # the provider's own id is kept, never as the SIP Call-ID
    assert parsed.sip_call_id is None

    raw = await read_start_message(HandshakeSocket({"event": "connected"}, start))
    assert raw == start
    assert correlation_from_payload(raw).sip_headers == headers


async def test_read_start_message_gives_up_without_a_start() -> None:
    socket = HandshakeSocket({"event": "connected"}, {"event": "media"}, {"event": "media"})
    with pytest.raises(ValueError, match="no 'start' message"):
        await read_start_message(socket)


def test_an_unreadable_payload_never_raises() -> None:
    correlation = correlation_from_payload("this is not JSON = nor a form &&&", "nonsense")
    assert correlation.is_empty
    assert correlation.warnings == ("unreadable telephony payload: ValueError",)


async def test_daily_dial_in_settings_and_explicit_values_reach_the_call(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    dialin = DialinSettings(
        call_id="7a3c1e9f-5b2d-4e8a-9c6f-0d1b3a5e7c9f",
        call_domain="b2d4f6a8-1c3e-4a5b-9d7f-2e4c6a8b0d1f",
        From="+14155550123",
        To="+14155550199",
        sip_headers={"X-Run-Id": RUN_ID, "X-Correlation-Id": RESULT_ID},
    )
    observer = RingbackObserver(
        call_id="daily-1",
        sip_headers={"X-Scenario-Id": "dial-in"},
        base_url=create_call_server.url,
        outbox_dir=outbox_dir,
    )
    correlation = observer.note_telephony(dialin)
    assert correlation.native_ids == {
        "daily.call_id": "7a3c1e9f-5b2d-4e8a-9c6f-0d1b3a5e7c9f",
        "daily.call_domain": "b2d4f6a8-1c3e-4a5b-9d7f-2e4c6a8b0d1f",
    }
    await observer.flush()
    body = create_call_server.requests[0].body
    assert (body["call_type"], body.get("sip_call_id"), body["recipient"]) == (
        "phone_call",
        None,
        "+14155550199",
    )
    assert body["sip_headers"] == {
        "X-Run-Id": RUN_ID,
        "X-Correlation-Id": RESULT_ID,
        "X-Scenario-Id": "dial-in",
    }


async def test_a_provider_call_id_is_never_sent_as_the_sip_call_id(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = RingbackObserver(
        call_id="twilio-1",
        sip_call_id="CA3ae75ffe1c5d8847e478556c07d07103",  # Twilio's CallSid, not a Call-ID
        telephony=fixture("twilio_media_stream_start.json"),
        base_url=create_call_server.url,
        outbox_dir=outbox_dir,
    )
    await observer.flush()
    body = create_call_server.requests[0].body
    assert body["sip_call_id"] == SIP_CALL_ID  # the forwarded SipCallId parameter
