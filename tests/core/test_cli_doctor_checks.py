"""`ringback doctor --expect-...`: each known failure shape is named, with a fix and a link."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from ringback.core.cli.app import app
from ringback.core.correlation import canonical_result_id, is_result_id
from ringback.core.correlation.diagnosis import advice as doctor_advice
from ringback.core.correlation.diagnosis.model import Check, DoctorReport

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "correlation"
RESULT = "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b"
RUN = "01JQ8ZK6M4XB7C9D0EFGH3JKMN"
CALL_SID = "CA3ae75ffe1c5d8847e478556c07d07103"
TWILIO_CALL_ID = "a1e5b8c09d2f4e7b8c3a6d9e0f1b2c4d@203.0.113.45"

runner = CliRunner()


def run(payload: dict[str, Any] | Path, *args: str) -> tuple[Result, Result]:
    """The text and the JSON run of `ringback doctor` on one payload."""
    stdin = payload.read_bytes() if isinstance(payload, Path) else json.dumps(payload)
    text = runner.invoke(app, ["doctor", "-", *args], input=stdin)
    as_json = runner.invoke(app, ["doctor", "-", "--json", *args], input=stdin)
    return text, as_json


def checks(result: Result) -> list[Check]:
    return DoctorReport.model_validate_json(result.stdout).checks


def failed_once(payload: dict[str, Any] | Path, *args: str) -> tuple[Check, str]:
    """The one failed check of a run that must exit 1, and the text output."""
    text, as_json = run(payload, *args)
    assert text.exit_code == as_json.exit_code == 1, text.output
    (failed,) = [c for c in checks(as_json) if not c.ok]
    what = "the call can be linked" if failed.subject == "link" else failed.subject
    assert f"  FAIL  {what}" in text.stdout
    assert f"looks like: {failed.label}\n" in text.stdout
    assert f"see: {failed.see}\n" in text.stdout
    assert failed.fix
    assert text.stdout.rstrip().splitlines()[-1].startswith("Result: FAIL (1 of ")
    return failed, text.stdout


# --- Call-ID -------------------------------------------------------------------------------


def test_expected_call_id_matches() -> None:
    text, as_json = run(FIXTURES / "twilio_voice_webhook.txt", "--expect-call-id", TWILIO_CALL_ID)
    assert text.exit_code == as_json.exit_code == 0
    (check,) = checks(as_json)
    assert check.ok
    assert check.found == TWILIO_CALL_ID
    assert check.source == "twilio:SipCallId"
    assert f"  PASS  Call-ID = {TWILIO_CALL_ID}\n" in text.stdout
    assert text.stdout.rstrip().endswith("Result: OK (1 check passed)")


def test_provider_native_id_in_place_of_the_call_id() -> None:
    start = json.loads((FIXTURES / "twilio_media_stream_start.json").read_text())
    del start["start"]["customParameters"]["SipCallId"]  # the TwiML forgot the <Parameter>
    check, text = failed_once(start, "--expect-call-id", TWILIO_CALL_ID)
    assert check.problem == "native_id_in_place"
    assert check.found is None
    assert f"twilio.callSid={CALL_SID}" in check.detail
    assert check.fix.startswith("No SIP Call-ID: the Twilio Media Streams start message")
    assert '<Parameter name="SipCallId"' in check.fix
    assert check.see == "docs/correlation.md#twilio-media-streams"
    assert "fix: follow the warning above\n" in text  # the warning is printed once, in full


def test_a_different_call_id_as_after_a_hop() -> None:
    original = "0b1c2d3e@198.51.100.9"
    check, text = failed_once(FIXTURES / "freeswitch_esl_event.json", "--expect-call-id", original)
    assert check.problem == "different_call_id"
    assert check.label == "a different Call-ID (as after a SIP hop or B2BUA)"
    assert check.found == "5d2e8f1a7c3b4e9d0a6f2c8b1e3d5a7f@203.0.113.45"
    assert check.source == "freeswitch:variable_sip_call_id"
    assert "X-CID" in check.fix
    # a hop is fixed where the hop is: the sections showing how to forward X-CID
    assert check.see == "docs/correlation.md#freeswitch, docs/correlation.md#asterisk-pjsip"
    assert f"Call-ID = {original}" in text


def test_a_different_call_id_says_where_the_expected_one_is() -> None:
    hook = json.loads((FIXTURES / "jambonz_call_hook.json").read_text())
    hook["sip"]["headers"]["X-Original-Call-Id"] = "orig-77@192.0.2.44"
    check, _ = failed_once(hook, "--expect-call-id", "orig-77@192.0.2.44")
    assert check.problem == "different_call_id"
    assert "appears at sip.headers.X-Original-Call-Id" in check.detail


def test_no_call_id_at_all() -> None:
    check, _ = failed_once({"event": "connected", "protocol": "Call"}, "--expect-call-id", "a@b")
    assert check.problem == "no_call_id"
    assert check.found is None
    assert check.see == "docs/correlation.md#generic-payloads"


def test_the_expected_call_id_under_a_key_not_read_as_one() -> None:
    uuid = "1dfb7a86-2772-123d-37bf-0242ac120004"  # a bare call_id is trusted only as local@host
    check, _ = failed_once({"call_id": uuid}, "--expect-call-id", uuid)
    assert check.problem == "native_id_in_place"
    assert "appears at call_id" in check.detail
    assert "local@host" in check.fix


def test_expecting_a_provider_native_id() -> None:
    check, _ = failed_once(FIXTURES / "twilio_voice_webhook.txt", "--expect-call-id", CALL_SID)
    assert check.problem == "expected_native_id"
    assert "a Twilio CallSid" in check.detail
    assert TWILIO_CALL_ID in check.detail  # the real Call-ID, to expect instead
    assert check.see == "docs/correlation.md#rules"


def test_a_refused_call_id() -> None:
    check, _ = failed_once({"SipCallId": "abc@host\r\nX-Evil: 1"}, "--expect-call-id", "abc@host")
    assert check.problem == "call_id_refused"
    assert "CR, LF or NUL" in check.detail


def test_without_expectations_a_missing_call_id_and_result_id_fails() -> None:
    attributes = {"sip.callID": "SCL_7xQm2KpR9vTb", "sip.h.x-run-id": RUN}
    check, _ = failed_once(attributes)
    assert check.subject == "link"
    assert check.problem == "native_id_in_place"
    assert "No X-Result-Id or X-Correlation-Id either." in check.detail
    assert check.see == "docs/correlation.md#livekit"


def test_expectations_replace_the_link_check() -> None:
    # Telnyx never carries a Call-ID; expecting only headers does not ask for one.
    text, as_json = run(FIXTURES / "telnyx_call_initiated.json", "--expect-header", "X-Run-Id")
    assert text.exit_code == as_json.exit_code == 0
    assert [c.subject for c in checks(as_json)] == ["X-Run-Id"]
    assert "SIP Call-ID: none\n" in text.stdout


# --- X- headers ----------------------------------------------------------------------------


def test_headers_match_by_value_and_presence_case_insensitively() -> None:
    text, as_json = run(
        FIXTURES / "livekit_inbound_attributes.json",
        "--expect-header",
        f"x-result-id={RESULT}",
        "--expect-header",
        "X-CUSTOMER-TIER",
    )
    assert text.exit_code == 0, text.output
    assert [(c.subject, c.ok, c.found) for c in checks(as_json)] == [
        ("X-Result-Id", True, RESULT),
        ("X-Customer-Tier", True, "premium"),
    ]
    assert f"  PASS  X-Result-Id = {RESULT}\n" in text.stdout
    assert "  PASS  X-Customer-Tier is present: premium  (from livekit:sip.h.x-customer-tier)" in (
        text.stdout
    )


def test_a_missing_header_points_to_the_provider_setting() -> None:
    check, _ = failed_once(FIXTURES / "livekit_inbound_attributes.json", "--expect-header", "X-Ab")
    assert check.problem == "header_missing"
    assert check.found is None
    assert check.expected is None
    assert "include_headers" in check.fix
    assert check.see == "docs/correlation.md#livekit"


def test_a_missing_header_says_where_its_value_is() -> None:
    check, _ = failed_once(
        FIXTURES / "twilio_voice_webhook.txt", "--expect-header", f"X-Trace-Id={RESULT}"
    )
    assert check.problem == "header_missing"
    assert "The expected value appears at SipHeader_X-Correlation-Id" in check.detail
    assert check.see == "docs/correlation.md#twilio-voice-webhook"


def test_a_header_with_a_different_value() -> None:
    check, text = failed_once(
        FIXTURES / "twilio_voice_webhook.txt", "--expect-header", "X-Run-Id=01JQOTHERRUN"
    )
    assert check.problem == "header_wrong_value"
    assert (check.expected, check.found) == ("01JQOTHERRUN", RUN)
    assert check.source == "twilio:SipHeader_X-Run-Id"
    assert f"X-Run-Id is {RUN} (from twilio:SipHeader_X-Run-Id), expected 01JQOTHERRUN." in text


def test_a_header_sent_without_the_x_prefix() -> None:
    attributes = {"sip.callIDFull": "c1@192.0.2.1", "sip.h.customer-tier": "gold"}
    check, _ = failed_once(attributes, "--expect-header", "X-Customer-Tier=gold")
    assert check.problem == "header_renamed"
    assert "sip.h.customer-tier" in check.detail
    assert "(its value matches)" in check.detail
    assert "Name it X-Customer-Tier" in check.fix
    assert check.see == "docs/correlation.md#header-names-and-values"


def test_a_header_where_the_provider_reader_does_not_look() -> None:
    start = json.loads((FIXTURES / "twilio_media_stream_start.json").read_text())
    start["start"]["X-Ticket-Id"] = "T-1001"  # beside customParameters, not inside
    check, _ = failed_once(start, "--expect-header", "X-Ticket-Id=T-1001")
    assert check.problem == "header_not_read"
    assert "start.X-Ticket-Id" in check.detail
    assert check.fix.startswith("Twilio Media Streams: Ringback does not read headers from there.")
    assert '<Parameter name="X-Ticket-Id" value="{{SipHeader_X-Ticket-Id}}"/>' in check.fix
    assert check.see == "docs/correlation.md#twilio-media-streams"


def test_a_header_refused_for_its_value() -> None:
    attributes = {"sip.callIDFull": "c1@192.0.2.1", "sip.h.x-note": "a" * 1100}
    check, _ = failed_once(attributes, "--expect-header", "X-Note")
    assert check.problem == "header_refused"
    assert "1100 bytes" in check.detail
    assert check.see == "docs/correlation.md#rules"


def test_an_empty_header_counts_as_missing() -> None:
    attributes = {"sip.callIDFull": "c1@192.0.2.1", "sip.h.x-tier": ""}
    check, _ = failed_once(attributes, "--expect-header", "X-Tier")
    assert check.problem == "header_missing"
    assert "present but empty at sip.h.x-tier" in check.detail


def test_several_failures_are_all_reported() -> None:
    text, as_json = run(
        FIXTURES / "plivo_stream_start.json",
        "--expect-call-id",
        "x1@192.0.2.1",
        "--expect-header",
        f"X-Correlation-Id={RESULT}",
        "--expect-header",
        "X-Scenario-Id",
    )
    assert text.exit_code == 1
    assert [(c.subject, c.ok, c.problem) for c in checks(as_json)] == [
        ("Call-ID", False, "native_id_in_place"),
        ("X-Correlation-Id", True, None),
        ("X-Scenario-Id", False, "header_missing"),
    ]
    assert text.stdout.rstrip().endswith("Result: FAIL (2 of 3 checks failed)")


# --- result ids, hops and LiveKit ids --------------------------------------------------------


def test_a_result_id_the_collector_cannot_link_fails() -> None:
    check, text = failed_once({"X-Result-Id": "run-42", "X-Run-Id": RUN})
    assert check.subject == "link"
    assert check.problem == "result_id_invalid"
    assert check.found == "run-42"
    assert "not a valid result id (32 hex or 26 base32 characters)" in check.detail
    assert "uuid4().hex" in check.fix
    assert check.see == "docs/correlation.md#rules"
    assert "looks like: a result id that can never link\n" in text


def test_a_valid_correlation_id_links_beside_an_invalid_result_id() -> None:
    text, as_json = run({"X-Result-Id": "run-42", "X-Correlation-Id": RESULT.upper()})
    assert text.exit_code == as_json.exit_code == 0, text.output
    (check,) = checks(as_json)
    assert (check.ok, check.found) == (True, RESULT.upper())


@pytest.mark.parametrize("value", [RESULT, RESULT.upper(), " " + RUN.lower() + " "])
def test_values_that_are_result_ids(value: str) -> None:
    assert is_result_id(value)
    assert canonical_result_id(value) in (RESULT, RUN)


@pytest.mark.parametrize("value", ["run-42", RESULT[:-1], RESULT + "0", "", None, 42])
def test_values_that_are_not_result_ids(value: object) -> None:
    assert not is_result_id(value)


def test_result_id_expectations_ignore_case_as_the_collector_does() -> None:
    for name in ("X-Result-Id", "X-Correlation-Id"):
        text, as_json = run(
            FIXTURES / "livekit_inbound_attributes.json",
            "--expect-header",
            f"{name}={RESULT.upper()}",
        )
        assert text.exit_code == as_json.exit_code == 0, text.output
    # other headers are compared exactly
    check, _ = failed_once(
        FIXTURES / "livekit_inbound_attributes.json", "--expect-header", "X-Customer-Tier=PREMIUM"
    )
    assert check.problem == "header_wrong_value"


def test_a_hop_whose_x_cid_carries_the_expected_call_id() -> None:
    payload = {"SipCallId": "leg2@pbx.internal", "sip_headers": {"X-CID": "orig-9@192.0.2.9"}}
    check, _ = failed_once(payload, "--expect-call-id", "orig-9@192.0.2.9")
    assert check.problem == "different_call_id"
    assert check.fix == doctor_advice.HOP_X_CID_CARRIES_FIX
    assert "report it as the Call-ID" in check.fix
    assert "as an X-CID header" not in check.fix  # it is forwarded already
    assert check.see == "docs/correlation.md#freeswitch, docs/correlation.md#asterisk-pjsip"


def test_a_hop_whose_x_cid_holds_another_call_id() -> None:
    payload = {"SipCallId": "leg2@pbx.internal", "sip_headers": {"X-CID": "leg1@pbx.internal"}}
    check, _ = failed_once(payload, "--expect-call-id", "orig-9@192.0.2.9")
    assert check.fix == doctor_advice.HOP_X_CID_DIFFERS_FIX
    assert "Set X-CID at the first hop" in check.fix


def test_a_livekit_hop_points_at_the_hop_sections_not_the_livekit_one() -> None:
    attributes = {"sip.callIDFull": "leg2@pbx.internal", "sip.callID": "SCL_7xQm2KpR9vTb"}
    check, _ = failed_once(attributes, "--expect-call-id", "orig-9@192.0.2.9")
    assert check.problem == "different_call_id"
    assert "Forward the original Call-ID onto the next leg as an X-CID header" in check.fix
    assert check.see == "docs/correlation.md#freeswitch, docs/correlation.md#asterisk-pjsip"


def test_livekit_trunk_and_rule_ids_are_not_named_as_the_calls_own_ids() -> None:
    attributes = {
        "sip.callID": "SCL_7xQm2KpR9vTb",
        "sip.trunkID": "ST_4kQm2KpR9vTb",
        "sip.ruleID": "SDR_9sdf8sd7f",
    }
    check, _ = failed_once(attributes, "--expect-call-id", "a@b")
    assert check.problem == "native_id_in_place"
    assert "only the provider's own id(s): livekit.sip.callID=SCL_7xQm2KpR9vTb." in check.detail
    assert "trunkID" not in check.detail
    assert "ruleID" not in check.detail
    # with only a trunk and a rule, the call has no id of its own at all
    only_trunk = {"sip.trunkID": "ST_4kQm2KpR9vTb", "sip.ruleID": "SDR_9sdf8sd7f"}
    check, _ = failed_once(only_trunk, "--expect-call-id", "a@b")
    assert check.problem == "no_call_id"
