"""Correlation: merged, with_explicit, call_fields, metadata, invariants."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from ringback.core.correlation import Correlation, extract_correlation

RESULT = "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b"
NO_CALL_ID = "No SIP Call-ID: something is missing. See docs/correlation.md#livekit"


def test_merged_override_wins_and_maps_merge_key_wise() -> None:
    base = Correlation(
        sip_call_id="base@h",
        sip_headers={"X-Run-Id": "r1", "X-Customer-Tier": "basic"},
        run_id="r1",
        recipient="+14155550199",
        caller="+14155550123",
        provider="twilio",
        native_ids={"twilio.CallSid": "CA" + "1" * 32},
        sources={"sip_call_id": "twilio:SipCallId", "X-Run-Id": "twilio:SipHeader_X-Run-Id"},
        warnings=("first",),
    )
    override = Correlation(
        sip_headers={"X-Customer-Tier": "premium", "X-Result-Id": RESULT},
        result_id=RESULT,
        provider="twilio_stream",
        native_ids={"twilio.streamSid": "MZ" + "2" * 32},
        sources={"X-Customer-Tier": "twilio:start.customParameters.X-Customer-Tier"},
        warnings=("first", "second"),
    )
    merged = base.merged(override)
    assert merged.sip_call_id == "base@h"
    assert merged.sip_headers == {
        "X-Run-Id": "r1",
        "X-Customer-Tier": "premium",
        "X-Result-Id": RESULT,
    }
    assert (merged.run_id, merged.result_id) == ("r1", RESULT)
    assert merged.provider == "twilio_stream"
    assert merged.native_ids == {
        "twilio.CallSid": "CA" + "1" * 32,
        "twilio.streamSid": "MZ" + "2" * 32,
    }
    assert merged.sources["X-Customer-Tier"] == "twilio:start.customParameters.X-Customer-Tier"
    assert merged.sources["sip_call_id"] == "twilio:SipCallId"
    assert merged.warnings == ("first", "second")


def test_merged_drops_missing_call_id_warning_once_a_call_id_is_known() -> None:
    without = Correlation(provider="livekit", warnings=(NO_CALL_ID, "Dropped header X-Blob"))
    with_id = Correlation(sip_call_id="late@h", sources={"sip_call_id": "livekit:sip.callIDFull"})
    assert without.merged(with_id).warnings == ("Dropped header X-Blob",)
    assert with_id.merged(without).warnings == ("Dropped header X-Blob",)
    assert without.merged(Correlation()).warnings == (NO_CALL_ID, "Dropped header X-Blob")


def test_merged_livekit_attributes_arriving_late() -> None:
    early = extract_correlation({"sip.callID": "SCL_7xQm2KpR9vTb"})
    late = extract_correlation(
        {"sip.callIDFull": "late@203.0.113.45", "sip.h.x-result-id": RESULT}, "livekit"
    )
    merged = early.merged(late)
    assert merged.sip_call_id == "late@203.0.113.45"
    assert merged.result_id == RESULT
    assert merged.native_ids == {"livekit.sip.callID": "SCL_7xQm2KpR9vTb"}
    assert merged.warnings == ()


def test_with_explicit_beats_extracted_values() -> None:
    extracted = extract_correlation(
        {"sip_call_id": "extracted@h", "X-Run-Id": "r-extracted", "X-Result-Id": RESULT, "to": "+1"}
    )
    explicit = extracted.with_explicit(
        sip_call_id="explicit@h",
        sip_headers={"x-run-id": "r-header", "x-customer-tier": "premium"},
        recipient="sip:agent@pbx.example.com",
        scenario_id="refund-happy-path",
    )
    assert explicit.sip_call_id == "explicit@h"
    assert explicit.sip_headers == {
        "X-Run-Id": "r-header",
        "X-Result-Id": RESULT,
        "X-Customer-Tier": "premium",
    }
    assert explicit.run_id == "r-header"
    assert explicit.result_id == RESULT
    assert explicit.scenario_id == "refund-happy-path"
    assert explicit.recipient == "sip:agent@pbx.example.com"
    assert explicit.provider == "generic"
    for key in ("sip_call_id", "X-Run-Id", "X-Customer-Tier", "run_id", "scenario_id", "recipient"):
        assert explicit.sources[key] == "explicit"
    assert explicit.sources["X-Result-Id"] == "generic:X-Result-Id"


def test_with_explicit_id_arguments_beat_explicit_headers() -> None:
    result = Correlation().with_explicit(sip_headers={"X-Run-Id": "from-header"}, run_id=" given ")
    assert result.run_id == "given"
    assert result.sip_headers == {"X-Run-Id": "from-header"}


def test_with_explicit_headers_get_the_same_checks() -> None:
    result = Correlation().with_explicit(
        sip_headers={
            "From": "+14155550123",
            "X-Auth-Token": "abc\r\nX-Evil: 1",
            "X-Bad Name": "v",
            "x-ok": "fine",
        }
    )
    assert result.sip_headers == {"X-Ok": "fine"}
    assert len(result.warnings) == 3
    assert any("'From'" in w and "not an X- header" in w for w in result.warnings)
    assert any("X-Auth-Token" in w and "CR, LF or NUL" in w for w in result.warnings)
    assert all("abc" not in w for w in result.warnings)


def test_with_explicit_call_id_clears_the_missing_call_id_warning() -> None:
    extracted = extract_correlation({"sip.callID": "SCL_7xQm2KpR9vTb"})
    assert len(extracted.warnings) == 1
    fixed = extracted.with_explicit(sip_call_id="given@203.0.113.45")
    assert fixed.sip_call_id == "given@203.0.113.45"
    assert fixed.warnings == ()


def test_with_explicit_refuses_a_native_id_as_call_id() -> None:
    result = Correlation().with_explicit(sip_call_id="SCL_7xQm2KpR9vTb")
    assert result.sip_call_id is None
    assert result.native_ids == {"explicit.sip_call_id": "SCL_7xQm2KpR9vTb"}
    assert len(result.warnings) == 1
    assert "LiveKit" in result.warnings[0]


def test_with_explicit_nothing_changes_nothing() -> None:
    extracted = extract_correlation({"sip_call_id": "a@h", "X-Run-Id": "r1"})
    assert extracted.with_explicit() == extracted


def test_call_fields_are_exactly_the_create_call_fields() -> None:
    full = Correlation(
        sip_call_id="a@h",
        sip_headers={"X-Run-Id": "r1"},
        run_id="r1",
        recipient="+14155550199",
        caller="+14155550123",
        provider="twilio",
        native_ids={"twilio.CallSid": "CA" + "1" * 32},
    )
    assert full.call_fields() == {
        "sip_call_id": "a@h",
        "sip_headers": {"X-Run-Id": "r1"},
        "recipient": "+14155550199",
    }
    assert Correlation(caller="+1", provider="generic").call_fields() == {}


def test_metadata_is_json_ready_and_omits_empty_values() -> None:
    result = extract_correlation({"sip.callID": "SCL_7xQm2KpR9vTb", "sip.phoneNumber": "+1415"})
    meta = result.metadata()
    assert meta == {
        "provider": "livekit",
        "caller": "+1415",
        "native_ids": {"livekit.sip.callID": "SCL_7xQm2KpR9vTb"},
        "sources": {"caller": "livekit:sip.phoneNumber"},
        "warnings": list(result.warnings),
    }
    assert json.loads(json.dumps(meta)) == meta
    assert Correlation().metadata() == {}


def test_metadata_carries_ids_but_not_call_fields() -> None:
    result = Correlation(sip_call_id="a@h", run_id="r", scenario_id="s", result_id=RESULT)
    assert result.metadata() == {"run_id": "r", "scenario_id": "s", "result_id": RESULT}


def test_is_empty() -> None:
    assert Correlation().is_empty
    assert Correlation(provider="livekit", warnings=(NO_CALL_ID,)).is_empty
    assert extract_correlation({}).is_empty
    assert not Correlation(native_ids={"livekit.sip.callID": "SCL_x"}).is_empty
    assert not Correlation(sip_headers={"X-Run-Id": "r"}).is_empty


def test_correlation_is_frozen() -> None:
    result = Correlation(sip_call_id="a@h")
    with pytest.raises(ValidationError):
        result.sip_call_id = "b@h"  # type: ignore[misc, unused-ignore]


def test_construction_enforces_the_invariants() -> None:
    assert Correlation(sip_headers={"x-run-id": " r1 "}).sip_headers == {"X-Run-Id": "r1"}
    assert Correlation(sip_call_id="  ").sip_call_id is None
    with pytest.raises(ValidationError, match="not an X- header"):
        Correlation(sip_headers={"From": "+14155550123"})
    with pytest.raises(ValidationError, match="CR, LF or NUL"):
        Correlation(sip_headers={"X-A": "a\r\nb"})
    with pytest.raises(ValidationError, match="native_ids"):
        Correlation(sip_call_id="CA" + "1" * 32)
    with pytest.raises(ValidationError):
        Correlation(unknown_field="x")  # type: ignore[call-arg]
