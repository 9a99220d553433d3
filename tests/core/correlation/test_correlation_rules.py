"""Extraction rules: native ids, refused values, form fields, the generic call_id rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from ringback.core.correlation import Provider, extract_correlation

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "correlation"
RESULT = "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b"
CALL_SID = "CA3ae75ffe1c5d8847e478556c07d07103"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


# --- provider-native ids are never the Call-ID -------------------------------------------


def test_livekit_without_call_id_full_keeps_scl_as_native_with_one_warning() -> None:
    attributes = fixture("livekit_inbound_attributes.json")
    del attributes["sip.callIDFull"]
    result = extract_correlation(attributes)
    assert result.sip_call_id is None
    assert result.native_ids["livekit.sip.callID"] == "SCL_7xQm2KpR9vTb"
    assert len(result.warnings) == 1
    assert "sip.callIDFull" in result.warnings[0]
    assert "include_headers" in result.warnings[0]
    assert result.warnings[0].endswith("docs/correlation.md#livekit")
    assert result.run_id == "01JQ8ZK6M4XB7C9D0EFGH3JKMN"  # headers still read


def test_livekit_sip_h_call_id_stands_in_for_call_id_full() -> None:
    attributes = fixture("livekit_inbound_attributes.json")
    del attributes["sip.callIDFull"]
    attributes["sip.h.call-id"] = "from-all-headers@198.51.100.7"
    result = extract_correlation(attributes)
    assert result.sip_call_id == "from-all-headers@198.51.100.7"
    assert result.sources["sip_call_id"] == "livekit:sip.h.call-id"
    assert "Call-Id" not in result.sip_headers
    assert result.warnings == ()


def test_livekit_direction_decides_who_is_the_recipient() -> None:
    attributes = fixture("livekit_inbound_attributes.json")
    inbound = extract_correlation(attributes)
    outbound = extract_correlation(attributes, direction="outbound")
    assert (inbound.caller, inbound.recipient) == ("+14155550123", "+14155550199")
    assert (outbound.caller, outbound.recipient) == ("+14155550199", "+14155550123")
    assert extract_correlation(attributes, direction="inbound") == inbound


def test_twilio_stream_without_sip_call_id_warns_how_to_pass_it() -> None:
    message = fixture("twilio_media_stream_start.json")
    del message["start"]["customParameters"]["SipCallId"]
    result = extract_correlation(message)
    assert result.sip_call_id is None
    assert result.native_ids["twilio.callSid"] == CALL_SID
    assert len(result.warnings) == 1
    assert '<Parameter name="SipCallId" value="{{SipCallId}}"/>' in result.warnings[0]
    assert result.warnings[0].endswith("#twilio-media-streams")


def test_twilio_webhook_without_sip_call_id_has_one_warning() -> None:
    form = urlencode({"AccountSid": "AC" + "0" * 32, "CallSid": CALL_SID, "From": "+14155550123"})
    result = extract_correlation(form)
    assert result.provider == "twilio"
    assert result.sip_call_id is None
    assert result.native_ids == {"twilio.CallSid": CALL_SID}
    assert len(result.warnings) == 1
    assert "SIP domain" in result.warnings[0]


@pytest.mark.parametrize(
    "native",
    [
        "SCL_7xQm2KpR9vTb",
        CALL_SID,
        "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg",
        "v2:T02llQxIyaRkhfRKxgAP8nY511EhFLizdvdUKJiSw8d6A9BborherQ",
        "CON-d2f5e8a1-7b3c-4e9d-8a6f-1c0b2d4e6f8a",
    ],
)
@pytest.mark.parametrize("key", ["sip_call_id", "SipCallId", "sipCallId", "Call-ID", "call_id"])
def test_native_ids_under_call_id_keys_are_refused(native: str, key: str) -> None:
    result = extract_correlation({key: native})
    assert result.sip_call_id is None
    assert result.native_ids == {f"generic.{key}": native}
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("No SIP Call-ID")


def test_native_id_in_explicit_provider_field_is_refused() -> None:
    # e.g. LiveKit's CreateSIPParticipant response, whose sip_call_id is the SCL_ id.
    result = extract_correlation({"sip.callIDFull": "SCL_4fWd8NcY2sLe"}, Provider.LIVEKIT)
    assert result.sip_call_id is None
    assert result.native_ids == {"livekit.sip.callIDFull": "SCL_4fWd8NcY2sLe"}
    assert len(result.warnings) == 1


# --- jambonz: sbc_callid / X-CID beat jambonz's internal leg ----------------------------------


def test_jambonz_sbc_callid_beats_x_cid_and_internal_call_id() -> None:
    hook = fixture("jambonz_call_hook.json")
    hook["sip"]["headers"]["X-CID"] = "other@203.0.113.45"
    result = extract_correlation(hook)
    assert result.sip_call_id == hook["sbc_callid"]
    assert result.sip_call_id != hook["call_id"]


def test_jambonz_falls_back_to_x_cid_when_sbc_callid_is_missing() -> None:
    hook = fixture("jambonz_call_hook.json")
    del hook["sbc_callid"]
    result = extract_correlation(hook)
    assert result.sip_call_id == hook["sip"]["headers"]["X-CID"]
    assert result.sources["sip_call_id"] == "X-CID header (jambonz:sip.headers.X-CID)"
    assert result.warnings == ()


def test_jambonz_get_hook_never_uses_call_id() -> None:
    hook = {
        "call_sid": "ac5c697a-bfae-4335-ad8a-5b4c3d2e1f00",
        "call_id": "935f3b60-2775-123d-a6a1-0242ac120003@172.31.1.11",
        "application_sid": "db7ba948-2410-4845-949f-1a2b3c4d5e6f",
        "from": "+14155550123",
        "to": "+14155550199",
    }
    result = extract_correlation(hook)
    assert result.provider == "jambonz"
    assert result.sip_call_id is None
    assert result.native_ids["jambonz.call_id"] == hook["call_id"]
    assert len(result.warnings) == 1
    assert "POST or websocket" in result.warnings[0]


def test_jambonz_internal_headers_are_not_kept() -> None:
    result = extract_correlation(fixture("jambonz_call_hook.json"))
    for name in ("X-Account-Sid", "X-Application-Sid", "X-Forwarded-For", "X-Voip-Carrier-Sid"):
        assert name not in result.sip_headers


# --- refused header values ----------------------------------------------------------------------


def test_header_injection_is_dropped_with_a_warning_naming_the_header() -> None:
    secret = "s3cr3t-token"
    form = (FIXTURES / "twilio_voice_webhook.txt").read_text().strip()
    form += "&" + urlencode({"SipHeader_X-Auth-Token": f"{secret}\r\nX-Evil: 1"})
    result = extract_correlation(form)
    assert "X-Auth-Token" not in result.sip_headers
    assert "X-Evil" not in result.sip_headers
    assert result.sip_headers["X-Run-Id"] == "01JQ8ZK6M4XB7C9D0EFGH3JKMN"
    assert len(result.warnings) == 1
    assert "X-Auth-Token" in result.warnings[0]
    assert "CR, LF or NUL" in result.warnings[0]
    assert secret not in result.warnings[0]


@pytest.mark.parametrize("value", ["a\x00b", "line1\nline2"])
def test_nul_and_lf_are_refused_in_livekit_attributes(value: str) -> None:
    attributes = fixture("livekit_inbound_attributes.json")
    attributes["sip.h.x-auth-token"] = value
    result = extract_correlation(attributes)
    assert "X-Auth-Token" not in result.sip_headers
    assert [w for w in result.warnings if "X-Auth-Token" in w]


def test_values_over_one_kib_are_dropped() -> None:
    attributes = fixture("livekit_inbound_attributes.json")
    attributes["sip.h.x-blob"] = "a" * 1025
    attributes["sip.h.x-fits"] = "a" * 1024
    result = extract_correlation(attributes)
    assert "X-Blob" not in result.sip_headers
    assert result.sip_headers["X-Fits"] == "a" * 1024
    assert len(result.warnings) == 1
    assert "X-Blob" in result.warnings[0]
    assert "1024 bytes" in result.warnings[0]


def test_call_id_with_line_break_is_refused() -> None:
    result = extract_correlation({"sip_call_id": "abc@host\r\nX-Evil: 1"})
    assert result.sip_call_id is None
    assert len(result.warnings) == 2
    assert "CR, LF or NUL" in result.warnings[0]
    assert result.warnings[1].startswith("No SIP Call-ID")


# --- webhook form fields never become headers ----------------------------------------------


def test_twilio_form_fields_never_become_headers() -> None:
    form = urlencode(
        {
            "AccountSid": "AC6c8c88b048a04a173cc629cae521d701",
            "CallSid": CALL_SID,
            "From": "+14155550123",
            "To": "+14155550199",
            "Caller": "+14155550123",
            "CallerName": "Jane Smith",
            "Called": "+14155550199",
            "FromCity": "SAN FRANCISCO",
            "FromZip": "94105",
            "SipCallId": "f00d@203.0.113.45",
            "SipHeader_X-Result-Id": RESULT,
            "SipHeader_User-to-User": "56a390f3d2b7310023a2;encoding=hex",
        }
    )
    result = extract_correlation(form)
    assert result.sip_headers == {"X-Result-Id": RESULT}
    assert result.caller == "+14155550123"
    assert result.recipient == "+14155550199"
    assert "Jane Smith" not in json.dumps(result.model_dump())


@pytest.mark.parametrize(
    "name",
    [
        "plivo_answer.txt",
        "vonage_answer.json",
        "daily_dialin_settings.json",
        "jambonz_call_hook.json",
        "freeswitch_esl_event.json",
    ],
)
def test_only_x_headers_are_kept(name: str) -> None:
    result = extract_correlation((FIXTURES / name).read_bytes())
    assert result.sip_headers
    assert all(header.startswith("X-") for header in result.sip_headers)
    dumped = json.dumps(result.model_dump())
    assert "Jane Smith" not in dumped
    assert "REDACTED" not in dumped  # the Daily API key in the Pipecat request body


def test_generic_top_level_phone_numbers_are_metadata_only() -> None:
    result = extract_correlation(
        {"From": "+14155550123", "To": "+14155550199", "phone": "+14155550100", "X-Run-Id": "r1"}
    )
    assert result.sip_headers == {"X-Run-Id": "r1"}
    assert (result.caller, result.recipient) == ("+14155550123", "+14155550199")


# --- forms, parameters, trimming ------------------------------------------------------------


def test_repeated_form_keys_keep_the_last_value() -> None:
    form = f"CallSid={CALL_SID}&SipHeader_X-Run-Id=first&SipHeader_X-Run-Id=second"
    result = extract_correlation(form)
    assert result.run_id == "second"


def test_values_are_trimmed_and_empty_ones_are_absent() -> None:
    result = extract_correlation(
        {"sip_call_id": "  abc@203.0.113.45 \t", "X-Run-Id": " r1 ", "X-Result-Id": "   "}
    )
    assert result.sip_call_id == "abc@203.0.113.45"
    assert result.sip_headers == {"X-Run-Id": "r1"}
    assert result.result_id is None
    blank = extract_correlation({"sip_call_id": "   ", "X-Run-Id": ""})
    assert blank.sip_call_id is None
    assert blank.sip_headers == {}


@pytest.mark.parametrize(
    "key", ["X-Customer-Tier", "x-customer-tier", "XCustomerTier", "x_customer_tier"]
)
def test_forwarded_parameter_spellings_of_an_x_header(key: str) -> None:
    message = fixture("twilio_media_stream_start.json")
    message["start"]["customParameters"] = {key: "premium", "customer_name": "Jane Smith"}
    result = extract_correlation(message)
    assert result.sip_headers == {"X-Customer-Tier": "premium"}


@pytest.mark.parametrize("key", ["XResultId", "xresultid", "X_Result_Id", "X-RESULT-ID"])
def test_compact_correlation_parameter_names(key: str) -> None:
    message = fixture("exotel_stream_start.json")
    message["start"]["custom_parameters"] = {key: RESULT}
    assert extract_correlation(message).result_id == RESULT


def test_exotel_custom_parameters_as_a_query_string() -> None:
    message = fixture("exotel_stream_start.json")
    message["start"]["custom_parameters"] = f"XResultId={RESULT}&XRunId=r1&lang=hi"
    result = extract_correlation(message)
    assert result.sip_headers == {"X-Result-Id": RESULT, "X-Run-Id": "r1"}


def test_plivo_extra_headers_under_start() -> None:
    message = fixture("plivo_stream_start.json")
    message["start"]["extra_headers"] = message.pop("extra_headers")
    result = extract_correlation(message)
    assert result.result_id == RESULT
    assert result.sources["X-Correlation-Id"] == "plivo:start.extra_headers.XCorrelationId"


def test_correlation_id_fills_result_id_only_without_result_id() -> None:
    both = extract_correlation({"X-Correlation-Id": "c" * 32, "X-Result-Id": RESULT})
    assert both.result_id == RESULT
    only = extract_correlation({"X-Correlation-Id": "c" * 32})
    assert only.result_id == "c" * 32
    assert only.sources["result_id"] == "header X-Correlation-Id"


# --- the generic call_id rule -----------------------------------------------------------------


@pytest.mark.parametrize("key", ["SipCallId", "sip_call_id", "sipCallId", "Call-ID", "call-id"])
def test_generic_trusted_call_id_keys(key: str) -> None:
    result = extract_correlation({key: "4f0c7e2a-9b1d-4c3e-8f6a-5b2d1c0e9f8a"})
    assert result.sip_call_id == "4f0c7e2a-9b1d-4c3e-8f6a-5b2d1c0e9f8a"
    assert result.sources["sip_call_id"] == f"generic:{key}"


def test_generic_bare_call_id_accepted_when_local_at_host() -> None:
    result = extract_correlation({"call_id": "a84b4c76e66710@pc33.atlanta.example.com"})
    assert result.sip_call_id == "a84b4c76e66710@pc33.atlanta.example.com"
    assert result.sources["sip_call_id"] == "generic:call_id"
    assert result.warnings == ()


@pytest.mark.parametrize(
    "value",
    [
        CALL_SID,  # Pipecat: Twilio callSid
        "v3:MdI91X4lWFEs7IgbBEOT9M4AigoY08M0WWZFISt1Yw2axZ_IiE4pqg",  # Telnyx call_control_id
        "0f7cbf7e-03a3-11e3-9bc3-138109776ed8",  # Plivo callId (UUID)
        "c2b1c7b2d9c3d5e5a4e4c0c1f2b5175d",  # Exotel call_sid
        "SCL_7xQm2KpR9vTb",
    ],
)
@pytest.mark.parametrize("key", ["call_id", "callId"])
def test_generic_bare_call_id_refused_otherwise(value: str, key: str) -> None:
    result = extract_correlation({key: value, "stream_id": "x"})
    assert result.sip_call_id is None
    assert result.native_ids == {f"generic.{key}": value}
    assert len(result.warnings) == 1
    assert "local@host" in result.warnings[0]


def test_generic_x_cid_beats_bare_call_id() -> None:
    result = extract_correlation(
        {"call_id": "leg-b@10.0.0.5", "headers": {"x-cid": "original@203.0.113.45"}}
    )
    assert result.sip_call_id == "original@203.0.113.45"
    assert result.native_ids == {"generic.call_id": "leg-b@10.0.0.5"}


def test_generic_real_call_id_beats_x_cid() -> None:
    result = extract_correlation({"Call-ID": "this-hop@10.0.0.5", "X-CID": "original@203.0.113.45"})
    assert result.sip_call_id == "this-hop@10.0.0.5"
    assert result.sip_headers == {"X-CID": "original@203.0.113.45"}


def test_native_x_cid_is_not_used_as_call_id() -> None:
    result = extract_correlation({"X-CID": CALL_SID})
    assert result.sip_call_id is None
    assert len(result.warnings) == 1
