"""Every provider shape: the exact Correlation read from a realistic payload fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ringback.core.correlation import Correlation, Provider, extract_correlation
from ringback.core.correlation.native import native_id_kind
from ringback.core.correlation.provider import Direction

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "correlation"

RUN = "01JQ8ZK6M4XB7C9D0EFGH3JKMN"
RESULT = "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b"
SCENARIO = "refund-happy-path"
CALLER = "+14155550123"
CALLED = "+14155550199"
TWILIO_CALL_ID = "a1e5b8c09d2f4e7b8c3a6d9e0f1b2c4d@203.0.113.45"
CALL_SID = "CA3ae75ffe1c5d8847e478556c07d07103"
TELNYX_CCID = "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg"
PLIVO_UUID = "0f7cbf7e-03a3-11e3-9bc3-138109776ed8"

ID_SOURCES = {
    "run_id": "header X-Run-Id",
    "scenario_id": "header X-Scenario-Id",
    "result_id": "header X-Result-Id",
}

# fixture file -> (provider, direction, expected fields, doc anchor of the one warning or None)
CASES: dict[str, tuple[Provider, Direction | None, dict[str, Any], str | None]] = {
    "livekit_inbound_attributes.json": (
        Provider.LIVEKIT,
        None,
        {
            "sip_call_id": "6e1b2f0c4b7e4c0f9a3d8e5b2c1f0a9d@203.0.113.45",
            "sip_headers": {
                "X-Run-Id": RUN,
                "X-Scenario-Id": SCENARIO,
                "X-Result-Id": RESULT,
                "X-Correlation-Id": RESULT,
                "X-Customer-Tier": "premium",
            },
            "run_id": RUN,
            "scenario_id": SCENARIO,
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {
                "livekit.sip.callID": "SCL_7xQm2KpR9vTb",
                "livekit.sip.trunkID": "ST_Hx7bN3kPq2Lm",
                "livekit.sip.ruleID": "SDR_Zp4tK8wYv1Qs",
            },
            "sources": {
                "sip_call_id": "livekit:sip.callIDFull",
                "X-Run-Id": "livekit:sip.h.x-run-id",
                "X-Scenario-Id": "livekit:sip.h.x-scenario-id",
                "X-Result-Id": "livekit:sip.h.x-result-id",
                "X-Correlation-Id": "livekit:sip.h.x-correlation-id",
                "X-Customer-Tier": "livekit:sip.h.x-customer-tier",
                "caller": "livekit:sip.phoneNumber",
                "recipient": "livekit:sip.trunkPhoneNumber",
                **ID_SOURCES,
            },
        },
        None,
    ),
    "livekit_outbound_attributes.json": (
        Provider.LIVEKIT,
        "outbound",
        {
            "sip_call_id": "4f6c2d19a8be7035",
            "recipient": "+14155550142",
            "caller": "+14155550100",
            "native_ids": {
                "livekit.sip.callID": "SCL_4fWd8NcY2sLe",
                "livekit.sip.trunkID": "ST_Gv2cM5rTq8Wn",
            },
            "sources": {
                "sip_call_id": "livekit:sip.callIDFull",
                "recipient": "livekit:sip.phoneNumber",
                "caller": "livekit:sip.trunkPhoneNumber",
            },
        },
        None,
    ),
    "twilio_voice_webhook.txt": (
        Provider.TWILIO,
        None,
        {
            "sip_call_id": TWILIO_CALL_ID,
            "sip_headers": {
                "X-Correlation-Id": RESULT,
                "X-Customer-Tier": "premium",
                "X-Result-Id": RESULT,
                "X-Run-Id": RUN,
                "X-Scenario-Id": SCENARIO,
            },
            "run_id": RUN,
            "scenario_id": SCENARIO,
            "result_id": RESULT,
            "recipient": "sip:agent@ringback-demo.sip.twilio.com",
            "caller": "sip:+14155550123@203.0.113.45",
            "native_ids": {"twilio.CallSid": CALL_SID},
            "sources": {
                "sip_call_id": "twilio:SipCallId",
                "X-Correlation-Id": "twilio:SipHeader_X-Correlation-Id",
                "X-Customer-Tier": "twilio:SipHeader_X-Customer-Tier",
                "X-Result-Id": "twilio:SipHeader_X-Result-Id",
                "X-Run-Id": "twilio:SipHeader_X-Run-Id",
                "X-Scenario-Id": "twilio:SipHeader_X-Scenario-Id",
                "caller": "twilio:From",
                "recipient": "twilio:To",
                **ID_SOURCES,
            },
        },
        None,
    ),
    "twilio_media_stream_start.json": (
        Provider.TWILIO_STREAM,
        None,
        {
            "sip_call_id": TWILIO_CALL_ID,
            "sip_headers": {
                "X-Run-Id": RUN,
                "X-Scenario-Id": SCENARIO,
                "X-Result-Id": RESULT,
                "X-Customer-Tier": "premium",
            },
            "run_id": RUN,
            "scenario_id": SCENARIO,
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {
                "twilio.callSid": CALL_SID,
                "twilio.streamSid": "MZ18ad3ab5a668481ce02b83e7395059f0",
            },
            "sources": {
                "sip_call_id": "twilio:start.customParameters.SipCallId",
                "X-Run-Id": "twilio:start.customParameters.X-Run-Id",
                "X-Scenario-Id": "twilio:start.customParameters.X-Scenario-Id",
                "X-Result-Id": "twilio:start.customParameters.X-Result-Id",
                "X-Customer-Tier": "twilio:start.customParameters.X-Customer-Tier",
                "caller": "twilio:start.customParameters.from_number",
                "recipient": "twilio:start.customParameters.to_number",
                **ID_SOURCES,
            },
        },
        None,
    ),
    "telnyx_call_initiated.json": (
        Provider.TELNYX,
        None,
        {
            "sip_headers": {
                "X-Run-Id": RUN,
                "X-Scenario-Id": SCENARIO,
                "X-Result-Id": RESULT,
                "X-Correlation-Id": RESULT,
                "X-Customer-Tier": "premium",
            },
            "run_id": RUN,
            "scenario_id": SCENARIO,
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {
                "telnyx.call_control_id": TELNYX_CCID,
                "telnyx.call_leg_id": "428c31b6-7af4-4bcb-b7f5-5013ef9657c1",
                "telnyx.call_session_id": "428c31b6-abf3-3bc1-b7f4-5013ef9657c1",
            },
            "sources": {
                "X-Run-Id": "telnyx:data.payload.custom_headers.X-Run-Id",
                "X-Scenario-Id": "telnyx:data.payload.custom_headers.X-Scenario-Id",
                "X-Result-Id": "telnyx:data.payload.custom_headers.X-Result-Id",
                "X-Correlation-Id": "telnyx:data.payload.custom_headers.X-Correlation-Id",
                "X-Customer-Tier": "telnyx:data.payload.custom_headers.X-Customer-Tier",
                "caller": "telnyx:data.payload.from",
                "recipient": "telnyx:data.payload.to",
                **ID_SOURCES,
            },
        },
        "telnyx",
    ),
    "telnyx_stream_start.json": (
        Provider.TELNYX_STREAM,
        None,
        {
            "sip_headers": {"X-Run-Id": RUN, "X-Result-Id": RESULT},
            "run_id": RUN,
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {
                "telnyx.call_control_id": TELNYX_CCID,
                "telnyx.call_session_id": "428c31b6-abf3-3bc1-b7f4-5013ef9657c1",
                "telnyx.stream_id": "32de0dea-53cb-4b21-89a4-9e1819c043bc",
            },
            "sources": {
                "X-Run-Id": "telnyx:start.custom_parameters.X-Run-Id",
                "X-Result-Id": "telnyx:start.custom_parameters.X-Result-Id",
                "caller": "telnyx:start.from",
                "recipient": "telnyx:start.to",
                "run_id": "header X-Run-Id",
                "result_id": "header X-Result-Id",
            },
        },
        "telnyx",
    ),
    "plivo_answer.txt": (
        Provider.PLIVO,
        None,
        {
            "sip_headers": {
                "X-Correlation-Id": RESULT,
                "X-Result-Id": RESULT,
                "X-Run-Id": RUN,
                "X-Customer-Tier": "premium",
            },
            "run_id": RUN,
            "result_id": RESULT,
            "recipient": "14155550199",
            "caller": "14155550123",
            "native_ids": {"plivo.CallUUID": PLIVO_UUID},
            "sources": {
                "X-Correlation-Id": "plivo:X-PH-Correlation-Id",
                "X-Result-Id": "plivo:X-PH-Result-Id",
                "X-Run-Id": "plivo:X-PH-Run-Id",
                "X-Customer-Tier": "plivo:X-PH-Customer-Tier",
                "caller": "plivo:From",
                "recipient": "plivo:To",
                "run_id": "header X-Run-Id",
                "result_id": "header X-Result-Id",
            },
        },
        "plivo",
    ),
    "plivo_stream_start.json": (
        Provider.PLIVO_STREAM,
        None,
        {
            "sip_headers": {
                "X-Run-Id": RUN,
                "X-Correlation-Id": RESULT,
                "X-Customer-Tier": "premium",
            },
            "run_id": RUN,
            "result_id": RESULT,
            "native_ids": {
                "plivo.callId": PLIVO_UUID,
                "plivo.streamId": "20170ada-f610-433b-8758-c02a2aab3662",
            },
            "sources": {
                "X-Run-Id": "plivo:extra_headers.XRunId",
                "X-Correlation-Id": "plivo:extra_headers.XCorrelationId",
                "X-Customer-Tier": "plivo:extra_headers.XCustomerTier",
                "run_id": "header X-Run-Id",
                "result_id": "header X-Correlation-Id",
            },
        },
        "plivo",
    ),
    "exotel_stream_start.json": (
        Provider.EXOTEL,
        None,
        {
            "sip_headers": {"X-Result-Id": RESULT, "X-Run-Id": RUN},
            "run_id": RUN,
            "result_id": RESULT,
            "recipient": "08047491899",
            "caller": "09876543210",
            "native_ids": {
                "exotel.call_sid": "c2b1c7b2d9c3d5e5a4e4c0c1f2b5175d",
                "exotel.stream_sid": "b7c3a9e2f14d4c0e8a6f5d2b1c9e7a3f",
            },
            "sources": {
                "X-Result-Id": "exotel:start.custom_parameters.XResultId",
                "X-Run-Id": "exotel:start.custom_parameters.XRunId",
                "caller": "exotel:start.from",
                "recipient": "exotel:start.to",
                "run_id": "header X-Run-Id",
                "result_id": "header X-Result-Id",
            },
        },
        "exotel",
    ),
    "jambonz_call_hook.json": (
        Provider.JAMBONZ,
        None,
        {
            "sip_call_id": "4f0c7e2a9b1d4c3e8f6a5b2d1c0e9f8a@203.0.113.45",
            "sip_headers": {
                "X-CID": "4f0c7e2a9b1d4c3e8f6a5b2d1c0e9f8a@203.0.113.45",
                "X-Run-Id": RUN,
                "X-Scenario-Id": SCENARIO,
                "X-Result-Id": RESULT,
                "X-Correlation-Id": RESULT,
                "X-Customer-Tier": "premium",
            },
            "run_id": RUN,
            "scenario_id": SCENARIO,
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {
                "jambonz.call_sid": "ac5c697a-bfae-4335-ad8a-5b4c3d2e1f00",
                "jambonz.call_id": "935f3b60-2775-123d-a6a1-0242ac120003",
                "jambonz.sip.headers.call-id": "935f3b60-2775-123d-a6a1-0242ac120003",
            },
            "sources": {
                "sip_call_id": "jambonz:sbc_callid",
                "X-CID": "jambonz:sip.headers.X-CID",
                "X-Run-Id": "jambonz:sip.headers.X-Run-Id",
                "X-Scenario-Id": "jambonz:sip.headers.X-Scenario-Id",
                "X-Result-Id": "jambonz:sip.headers.X-Result-Id",
                "X-Correlation-Id": "jambonz:sip.headers.X-Correlation-Id",
                "X-Customer-Tier": "jambonz:sip.headers.X-Customer-Tier",
                "caller": "jambonz:from",
                "recipient": "jambonz:to",
                **ID_SOURCES,
            },
        },
        None,
    ),
    "jambonz_session_new.json": (
        Provider.JAMBONZ,
        None,
        {
            "sip_call_id": "77c1a0b3e5d94f2a8b6c4d2e0f1a3b5c@203.0.113.45",
            "sip_headers": {
                "X-CID": "77c1a0b3e5d94f2a8b6c4d2e0f1a3b5c@203.0.113.45",
                "X-Run-Id": RUN,
                "X-Scenario-Id": SCENARIO,
                "X-Result-Id": RESULT,
                "X-Correlation-Id": RESULT,
                "X-Customer-Tier": "premium",
            },
            "run_id": RUN,
            "scenario_id": SCENARIO,
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {
                "jambonz.call_sid": "9fb35c28-9688-4531-943c-e280b04f3adf",
                "jambonz.call_id": "d8907723-0bc7-123b-09b5-12e962f3039b",
                "jambonz.sip.headers.call-id": "d8907723-0bc7-123b-09b5-12e962f3039b",
            },
            "sources": {
                "sip_call_id": "X-CID header (jambonz:data.sip.headers.X-CID)",
                "X-CID": "jambonz:data.sip.headers.X-CID",
                "X-Run-Id": "jambonz:data.sip.headers.X-Run-Id",
                "X-Scenario-Id": "jambonz:data.sip.headers.X-Scenario-Id",
                "X-Result-Id": "jambonz:data.sip.headers.X-Result-Id",
                "X-Correlation-Id": "jambonz:data.sip.headers.X-Correlation-Id",
                "X-Customer-Tier": "jambonz:data.sip.headers.X-Customer-Tier",
                "caller": "jambonz:data.from",
                "recipient": "jambonz:data.to",
                **ID_SOURCES,
            },
        },
        None,
    ),
    "daily_dialin_webhook.json": (
        Provider.DAILY,
        None,
        {
            "sip_headers": {"X-Run-Id": RUN, "X-Result-Id": RESULT, "X-Customer-Tier": "premium"},
            "run_id": RUN,
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {
                "daily.callId": "7a3c1e9f-5b2d-4e8a-9c6f-0d1b3a5e7c9f",
                "daily.callDomain": "b2d4f6a8-1c3e-4a5b-9d7f-2e4c6a8b0d1f",
            },
            "sources": {
                "X-Run-Id": "daily:sipHeaders.X-Run-Id",
                "X-Result-Id": "daily:sipHeaders.X-Result-Id",
                "X-Customer-Tier": "daily:sipHeaders.X-Customer-Tier",
                "caller": "daily:From",
                "recipient": "daily:To",
                "run_id": "header X-Run-Id",
                "result_id": "header X-Result-Id",
            },
        },
        "daily",
    ),
    "daily_dialin_settings.json": (
        Provider.DAILY,
        None,
        {
            "sip_headers": {
                "X-Run-Id": RUN,
                "X-Correlation-Id": RESULT,
                "X-Scenario-Id": SCENARIO,
            },
            "run_id": RUN,
            "scenario_id": SCENARIO,
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {
                "daily.call_id": "7a3c1e9f-5b2d-4e8a-9c6f-0d1b3a5e7c9f",
                "daily.call_domain": "b2d4f6a8-1c3e-4a5b-9d7f-2e4c6a8b0d1f",
            },
            "sources": {
                "X-Run-Id": "daily:dialin_settings.sip_headers.X-Run-Id",
                "X-Correlation-Id": "daily:dialin_settings.sip_headers.X-Correlation-Id",
                "X-Scenario-Id": "daily:dialin_settings.sip_headers.X-Scenario-Id",
                "caller": "daily:dialin_settings.From",
                "recipient": "daily:dialin_settings.To",
                "run_id": "header X-Run-Id",
                "scenario_id": "header X-Scenario-Id",
                "result_id": "header X-Correlation-Id",
            },
        },
        "daily",
    ),
    "vonage_answer.json": (
        Provider.VONAGE,
        None,
        {
            "sip_headers": {"X-Run-Id": RUN, "X-Scenario-Id": SCENARIO, "X-Result-Id": RESULT},
            "run_id": RUN,
            "scenario_id": SCENARIO,
            "result_id": RESULT,
            "recipient": "14155550199",
            "caller": "14155550123",
            "native_ids": {
                "vonage.uuid": "a5f1e3c7-9b2d-4f6a-8c0e-3d5b7a9c1e2f",
                "vonage.conversation_uuid": "CON-d2f5e8a1-7b3c-4e9d-8a6f-1c0b2d4e6f8a",
            },
            "sources": {
                "X-Run-Id": "vonage:SipHeader_X-Run-Id",
                "X-Scenario-Id": "vonage:SipHeader_X-Scenario-Id",
                "X-Result-Id": "vonage:SipHeader_X-Result-Id",
                "caller": "vonage:from",
                "recipient": "vonage:to",
                **ID_SOURCES,
            },
        },
        "vonage",
    ),
    "freeswitch_esl_event.json": (
        Provider.FREESWITCH,
        None,
        {
            "sip_call_id": "5d2e8f1a7c3b4e9d0a6f2c8b1e3d5a7f@203.0.113.45",
            "sip_headers": {
                "X-Run-Id": RUN,
                "X-Scenario-Id": SCENARIO,
                "X-Result-Id": RESULT,
                "X-Customer-Tier": "premium",
            },
            "run_id": RUN,
            "scenario_id": SCENARIO,
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {
                "freeswitch.Unique-ID": "c8b3f1a2-6d4e-4f9a-8b7c-2e1d0f3a5b6c",
                "freeswitch.Channel-Call-UUID": "c8b3f1a2-6d4e-4f9a-8b7c-2e1d0f3a5b6c",
            },
            "sources": {
                "sip_call_id": "freeswitch:variable_sip_call_id",
                "X-Run-Id": "freeswitch:variable_sip_h_X-Run-Id",
                "X-Scenario-Id": "freeswitch:variable_sip_h_X-Scenario-Id",
                "X-Result-Id": "freeswitch:variable_sip_h_X-Result-Id",
                "X-Customer-Tier": "freeswitch:variable_sip_h_X-Customer-Tier",
                "caller": "freeswitch:Caller-Caller-ID-Number",
                "recipient": "freeswitch:Caller-Destination-Number",
                **ID_SOURCES,
            },
        },
        None,
    ),
    "generic_sip_headers.json": (
        Provider.GENERIC,
        None,
        {
            "sip_call_id": "b84f1c2e7d9a4b3c@198.51.100.20",
            "sip_headers": {"X-Run-Id": RUN, "X-Result-Id": RESULT},
            "run_id": RUN,
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {"generic.call_id": "1dfb7a86-2772-123d-37bf-0242ac120004"},
            "sources": {
                "sip_call_id": "generic:sip.headers.Call-ID",
                "X-Run-Id": "generic:sip.headers.X-Run-Id",
                "X-Result-Id": "generic:sip.headers.X-Result-Id",
                "caller": "generic:from",
                "recipient": "generic:to",
                "run_id": "header X-Run-Id",
                "result_id": "header X-Result-Id",
            },
        },
        None,
    ),
    "generic_custom_headers.json": (
        Provider.GENERIC,
        None,
        {
            "sip_call_id": "0c9b8a7f6e5d4c3b@192.0.2.10",
            "sip_headers": {"X-Correlation-Id": RESULT, "X-Scenario-Id": SCENARIO},
            "scenario_id": SCENARIO,
            "result_id": RESULT,
            "sources": {
                "sip_call_id": "generic:sipCallId",
                "X-Correlation-Id": "generic:custom_headers.x-correlation-id",
                "X-Scenario-Id": "generic:custom_headers.x-scenario-id",
                "scenario_id": "header X-Scenario-Id",
                "result_id": "header X-Correlation-Id",
            },
        },
        None,
    ),
    "generic_bridged_x_cid.json": (
        Provider.GENERIC,
        None,
        {
            "sip_call_id": "6e1b2f0c4b7e4c0f9a3d8e5b2c1f0a9d@203.0.113.45",
            "sip_headers": {
                "X-CID": "6e1b2f0c4b7e4c0f9a3d8e5b2c1f0a9d@203.0.113.45",
                "X-Correlation-Id": RESULT,
            },
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {"generic.call_id": "2b7e4c1a-9d3f-4a6b-8e0c-5f1d3b7a9c2e"},
            "sources": {
                "sip_call_id": "X-CID header (generic:headers.X-CID)",
                "X-CID": "generic:headers.X-CID",
                "X-Correlation-Id": "generic:headers.X-Correlation-Id",
                "caller": "generic:caller",
                "recipient": "generic:called",
                "result_id": "header X-Correlation-Id",
            },
        },
        None,
    ),
    "generic_pipecat_call_data.json": (
        Provider.GENERIC,
        None,
        {
            "sip_call_id": TWILIO_CALL_ID,
            "sip_headers": {"X-Result-Id": RESULT},
            "result_id": RESULT,
            "recipient": CALLED,
            "caller": CALLER,
            "native_ids": {"generic.call_id": CALL_SID},
            "sources": {
                "sip_call_id": "generic:body.SipCallId",
                "X-Result-Id": "generic:body.X-Result-Id",
                "caller": "generic:from",
                "recipient": "generic:to",
                "result_id": "header X-Result-Id",
            },
        },
        None,
    ),
}


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(CASES)


def test_every_provider_has_a_fixture() -> None:
    assert {provider for provider, *_ in CASES.values()} == set(Provider)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("explicit", [False, True], ids=["detected", "given"])
def test_fixture_extracts_exactly(name: str, explicit: bool) -> None:
    provider, direction, fields, anchor = CASES[name]
    given = provider if explicit else None
    result = extract_correlation(load(name), given, direction=direction)

    expected = Correlation(provider=provider.value, **fields)
    assert result.model_dump(exclude={"warnings"}) == expected.model_dump(exclude={"warnings"})
    if anchor is None:
        assert result.warnings == ()
    else:
        assert len(result.warnings) == 1
        assert result.warnings[0].startswith("No SIP Call-ID")
        assert result.warnings[0].endswith(f"docs/correlation.md#{anchor}")


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_as_dict_str_and_bytes_agree(name: str) -> None:
    provider, direction, _, _ = CASES[name]
    raw = load(name)
    as_bytes = extract_correlation(raw, direction=direction)
    as_str = extract_correlation(raw.decode(), provider.value, direction=direction)
    assert as_bytes == as_str


@pytest.mark.parametrize("name", sorted(CASES))
def test_native_ids_are_never_the_call_id(name: str) -> None:
    _, direction, _, _ = CASES[name]
    result = extract_correlation(load(name), direction=direction)
    assert result.sip_call_id not in result.native_ids.values()
    assert result.sip_call_id is None or native_id_kind(result.sip_call_id) is None
