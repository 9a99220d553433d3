"""The diagnosis of a synced call body against what was dialled, the step checklist, and
the rendering (with every secret redacted), without any server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from ringback.core.correlation import Provider, canonical_result_id, is_result_id
from ringback.core.correlation.diagnosis.advice import (
    HOP_X_CID_CARRIES_FIX,
    HOP_X_CID_DIFFERS_FIX,
)
from ringback.simulator.store.linking import (
    canonical_result_id as collector_canonical_result_id,
)
from ringback.simulator.verify.checklist import Checklist
from ringback.simulator.verify.diagnosis import Expected, UnknownCallId, diagnose
from ringback.simulator.verify.models import (
    Shape,
    StepId,
    StepStatus,
    SyncedCallProblem,
    VerifyReport,
)
from ringback.simulator.verify.render import redact, render

DIALLED = "6e1b2f0c9a8d@sip.livekit.example"
RESULT = "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b"
HEADERS = {
    "X-Run-Id": "01JQ8ZK6M4XB7C9D0EFGH3JKMN",
    "X-Scenario-Id": "verify",
    "X-Result-Id": RESULT,
    "X-Correlation-Id": RESULT,
}
EXPECTED = Expected(DIALLED, HEADERS, livekit_call_id="SCL_7xQm2KpR9vTb")
GUIDE = Path(__file__).resolve().parents[2] / "docs" / "correlation.md"


def body(**fields: Any) -> dict[str, Any]:
    meta = fields.pop("meta", {})
    return {"call_id": "c1", "general_meta_data_raw": {"ai_models": {}, **meta}, **fields}


def test_a_call_carrying_everything_has_no_findings() -> None:
    lower = {k.lower(): v.upper() if k.endswith("-Id") else v for k, v in HEADERS.items()}
    assert diagnose(body(sip_call_id=DIALLED, sip_headers=lower), EXPECTED) == []


def test_livekits_own_id_of_this_very_call() -> None:
    (finding,) = diagnose(body(sip_call_id="SCL_7xQm2KpR9vTb", sip_headers=HEADERS), EXPECTED)
    assert finding.shape is Shape.PROVIDER_ID
    assert "LiveKit's sip.callID of this very call; read sip.callIDFull" in finding.detail
    assert finding.docs == ["docs/correlation.md#livekit"]


@pytest.mark.parametrize(
    ("native", "anchor"),
    [
        ("CA" + "0" * 32, "twilio-voice-webhook"),
        ("MZ" + "0" * 32, "twilio-media-streams"),
        ("v3:Yn6zRkYtQpq1ZCWx0yWuJA", "telnyx"),
        ("CON-12345678-1234-1234-1234-123456789012", "vonage"),
    ],
)
def test_provider_native_ids_point_at_their_provider(native: str, anchor: str) -> None:
    finding, _ = diagnose(body(sip_call_id=native), EXPECTED)
    assert finding.shape is Shape.PROVIDER_ID
    assert finding.docs == [f"docs/correlation.md#{anchor}"]


@pytest.mark.parametrize(
    ("provider", "anchor", "words"),
    [
        ("livekit", "livekit", "include_headers: SIP_X_HEADERS"),
        ("telnyx", "telnyx", "custom_headers"),
        ("plivo_stream", "plivo", "extraHeaders"),
        ("exotel", "exotel", "Voicebot applet URL"),
        ("jambonz", "jambonz", "POST or websocket call hook"),
        ("daily", "daily", "sipHeaders"),
        ("vonage", "vonage", "SipHeader_X-*"),
        ("freeswitch", "freeswitch", "sip_h_X-*"),
        ("generic", "generic-payloads", "RingbackObserver(sip_headers=...)"),
    ],
)
def test_missing_headers_get_the_providers_setting(provider: str, anchor: str, words: str) -> None:
    meta = {"correlation": {"provider": provider}}
    (finding,) = diagnose(body(sip_call_id=DIALLED, meta=meta), EXPECTED)
    assert finding.shape is Shape.HEADERS_MISSING
    assert words in finding.fix
    assert finding.docs == [f"docs/correlation.md#{anchor}"]


def test_one_missing_header_is_named_in_the_fix() -> None:
    meta = {"correlation": {"provider": "freeswitch"}}
    headers = {k: v for k, v in HEADERS.items() if k != "X-Run-Id"}
    (finding,) = diagnose(body(sip_call_id=DIALLED, sip_headers=headers, meta=meta), EXPECTED)
    assert finding.shape is Shape.HEADERS_MISSING
    assert "set sip_h_X-Run-Id before the bridge" in finding.fix


def every_finding(provider: str) -> list[SyncedCallProblem]:
    """At least one finding of every shape `diagnose` names, for a call through `provider`."""
    meta = {"correlation": {"provider": provider}}
    altered = {**HEADERS, "X-Scenario-Id": "other"}
    return [
        *diagnose(body(sip_call_id="SCL_7xQm2KpR9vTb", meta=meta), EXPECTED),
        *diagnose(body(meta=meta), EXPECTED),
        *diagnose(body(meta=meta, agent={"call": DIALLED, "tags": dict(HEADERS)}), EXPECTED),
        *diagnose(body(sip_call_id="leg2@pbx", sip_headers=altered, meta=meta), EXPECTED),
        *diagnose(body(sip_call_id="x@y", sip_headers=HEADERS), Expected(None, HEADERS)),
    ]


@pytest.mark.parametrize("provider", [p.value for p in Provider])
def test_every_link_verify_prints_exists_in_the_guide(provider: str) -> None:
    headings = re.findall(r"^#+ (.+)$", GUIDE.read_text(), flags=re.M)
    anchors = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
    findings = every_finding(provider)
    assert {f.shape for f in findings} == set(Shape) - {Shape.NOT_SYNCED}
    links = {link for finding in findings for link in finding.docs}
    assert links
    assert links <= {f"docs/correlation.md#{anchor}" for anchor in anchors}


def test_the_provider_is_told_by_its_native_ids_when_not_named() -> None:
    meta = {"correlation": {"native_ids": {"jambonz.call_sid": "b6d5-4b1d"}}}
    finding, _ = diagnose(body(meta=meta), EXPECTED)
    assert finding.shape is Shape.PROVIDER_ID
    assert "sbc_callid" in finding.fix
    assert finding.docs == ["docs/correlation.md#jambonz"]


def test_a_hop_at_jambonz_points_at_sbc_callid() -> None:
    meta = {"correlation": {"provider": "jambonz"}}
    (finding,) = diagnose(
        body(sip_call_id="leg2@jambonz", sip_headers=HEADERS, meta=meta), EXPECTED
    )
    assert finding.shape is Shape.DIFFERENT_CALL_ID
    assert "sbc_callid" in finding.fix


def test_a_hop_whose_x_cid_carries_the_dialled_call_id() -> None:
    headers = {**HEADERS, "X-CID": DIALLED}
    (finding,) = diagnose(body(sip_call_id="leg2@pbx", sip_headers=headers), EXPECTED)
    assert finding.shape is Shape.DIFFERENT_CALL_ID
    assert "the X-CID header carries the dialled one" in finding.detail


def test_an_unknown_dialled_call_id() -> None:
    expected = Expected(None, HEADERS)
    (finding,) = diagnose(body(sip_call_id="x@y", sip_headers=HEADERS), expected)
    assert finding.shape is Shape.CALL_ID_UNKNOWN
    # without any Call-ID it is simply missing
    (finding,) = diagnose(body(sip_headers=HEADERS), expected)
    assert finding.shape is Shape.NO_CALL_ID


def test_an_id_header_with_another_value_is_altered() -> None:
    headers = {**HEADERS, "X-Run-Id": "01JQ8ZK6M4XB7C9D0EFGH3JKMA"}
    (finding,) = diagnose(body(sip_call_id=DIALLED, sip_headers=headers), EXPECTED)
    assert finding.shape is Shape.HEADERS_ALTERED
    assert "X-Run-Id (sent '01JQ8ZK6M4XB7C9D0EFGH3JKMN'" in finding.detail


def test_a_checklist_skips_everything_after_a_failure() -> None:
    checklist = Checklist([(StepId.AGENT, "A"), (StepId.CALL, "B"), (StepId.SYNC, "C")])
    checklist.passed(StepId.AGENT, "fine")
    checklist.failed(StepId.CALL, "broken", "mend it")
    assert checklist.blocked
    steps = checklist.finish()
    assert [s.status for s in steps] == [
        StepStatus.PASSED,
        StepStatus.FAILED,
        StepStatus.SKIPPED,
    ]
    assert steps[2].detail == "skipped: B failed"


def test_render_and_redact() -> None:
    checklist = Checklist([(StepId.CREDENTIALS, "LiveKit credentials"), (StepId.TRUNK, "Trunk")])
    checklist.failed(
        StepId.CREDENTIALS, "the server said: bad secret sekrit-123", "Set LIVEKIT_API_SECRET."
    )
    report = VerifyReport(
        transport="sip",
        target="sip:agent@pbx",
        run_id="run",
        result_id=RESULT,
        scenario_id="verify",
        headers={"X-Run-Id": "run"},
        workspace_id=1,
        collector="sqlite:///db",
        steps=checklist.finish(),
    )
    clean = redact(report, ["sekrit-123", None, "ab"])
    lines = render(clean)
    assert "✗ LiveKit credentials: the server said: bad secret ***" in lines
    assert "    fix: Set LIVEKIT_API_SECRET." in lines
    assert "- Trunk: skipped: LiveKit credentials failed" in lines
    assert lines[-1] == "FAILED: 0 of 2 checks passed (1 failed, 1 skipped)."
    assert "sekrit-123" not in clean.model_dump_json()
    assert not clean.ok


@pytest.mark.parametrize(
    ("provider", "key", "native", "anchor", "words"),
    [
        ("plivo_stream", "plivo.callId", "0f7cbf7e-03a3-11e3-9bc3-138109776ed8", "plivo", "Plivo"),
        ("exotel", "exotel.call_sid", "c2b1c7b2d9c3d5e5a4e4c0c1f2b5175d", "exotel", "Exotel"),
    ],
)
def test_the_calls_own_native_id_as_its_call_id(
    provider: str, key: str, native: str, anchor: str, words: str
) -> None:
    """An id of no known shape (Plivo's CallUUID, Exotel's call_sid) that the synced call
    itself lists as a provider-native id is no hop's Call-ID."""
    meta = {"correlation": {"provider": provider, "native_ids": {key: native}}}
    (finding,) = diagnose(body(sip_call_id=native, sip_headers=HEADERS, meta=meta), EXPECTED)
    assert finding.shape is Shape.PROVIDER_ID
    assert f"sip_call_id holds {native!r}, the call's own {key}" in finding.detail
    assert "hop" not in finding.detail
    assert finding.fix.startswith(words)
    assert finding.docs == [f"docs/correlation.md#{anchor}"]


def test_a_hop_with_an_x_cid_is_not_told_to_forward_one() -> None:
    carries = {**HEADERS, "X-CID": DIALLED}
    (finding,) = diagnose(body(sip_call_id="leg2@pbx", sip_headers=carries), EXPECTED)
    assert finding.fix == HOP_X_CID_CARRIES_FIX
    other = {**HEADERS, "X-CID": "leg1@pbx"}
    (finding,) = diagnose(body(sip_call_id="leg2@pbx", sip_headers=other), EXPECTED)
    assert finding.fix == HOP_X_CID_DIFFERS_FIX


def test_why_the_dialled_call_id_is_unknown_is_said() -> None:
    why = UnknownCallId("the agent hung up before it could be read", "Stay on the line.")
    (finding,) = diagnose(body(sip_call_id="x@y", sip_headers=HEADERS), Expected(None, HEADERS))
    assert "LiveKit never reported the dialled one" in finding.detail
    (finding,) = diagnose(
        body(sip_call_id="x@y", sip_headers=HEADERS), Expected(None, HEADERS, unknown=why)
    )
    assert finding.shape is Shape.CALL_ID_UNKNOWN
    assert "but the agent hung up before it could be read, so" in finding.detail
    assert finding.fix == "Stay on the line."


def test_secret_values_that_differ_are_never_shown() -> None:
    sent = {**HEADERS, "X-Webhook-Signature": "sig-5e4d3c2b1a", "X-Session-Token": "s-7f6e5d4c"}
    got = {**HEADERS, "X-Webhook-Signature": "sig-000000", "X-Session-Token": "s-000000"}
    (finding,) = diagnose(body(sip_call_id=DIALLED, sip_headers=got), Expected(DIALLED, sent))
    assert finding.shape is Shape.HEADERS_ALTERED
    assert "X-Webhook-Signature (value differs; not shown)" in finding.detail
    assert "X-Session-Token (value differs; not shown)" in finding.detail
    for secret in ("sig-5e4d3c2b1a", "s-7f6e5d4c", "sig-000000", "s-000000"):
        assert secret not in finding.detail


@pytest.mark.parametrize("value", [RESULT, RESULT.upper(), "01JQ8ZK6M4XB7C9D0EFGH3JKMN", "x-1"])
def test_the_collector_links_result_ids_of_the_shape_doctor_checks(value: str) -> None:
    assert collector_canonical_result_id(value) == canonical_result_id(value)
    assert (collector_canonical_result_id(value) is not None) is is_result_id(value)
