"""The ending vocabulary both integrations share (`ringback.core.ending`): who ended a call,
the application's word on it, and whether it was a phone call or a web call."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from support.create_call_server import CreateCallServer

from ringback.core.contract import CallType, DisconnectionReason
from ringback.core.correlation import Correlation, extract_correlation
from ringback.core.ending import CallEnding, default_call_type, disconnection_reason, is_phone_call
from ringback.core.options import CallOptions
from ringback.core.recorder import CallRecorder
from ringback.core.settings import RingbackSettings
from ringback.core.timeline import Timeline

USER, AGENT, ERROR, TIMEOUT, UNKNOWN = (
    DisconnectionReason.USER_HANGUP,
    DisconnectionReason.AGENT_HANGUP,
    DisconnectionReason.ERROR,
    DisconnectionReason.TIMEOUT,
    DisconnectionReason.UNKNOWN,
)


@pytest.mark.parametrize(
    ("evidence", "fatal_error", "explicit", "expected"),
    [
        ((), False, None, UNKNOWN),
        ((None, None), False, None, UNKNOWN),
        ((USER,), False, None, USER),
        ((None, AGENT, USER), False, None, AGENT),  # the first that says something
        ((UNKNOWN, USER), False, None, UNKNOWN),  # `unknown` given is an answer, not silence
        ((USER,), True, None, ERROR),  # a fatal error beats the evidence
        ((), True, None, ERROR),
        ((USER,), True, TIMEOUT, TIMEOUT),  # the application's word beats everything
        ((), False, AGENT, AGENT),
    ],
)
def test_disconnection_reason_strongest_first(
    evidence: tuple[DisconnectionReason | None, ...],
    fatal_error: bool,
    explicit: DisconnectionReason | None,
    expected: DisconnectionReason,
) -> None:
    assert disconnection_reason(*evidence, fatal_error=fatal_error, explicit=explicit) is expected


def test_the_applications_word_beats_what_the_framework_says() -> None:
    ending = CallEnding()
    assert ending.explicit is None
    assert ending.decide(USER) is USER

    ending.set_disconnection_reason("timeout")
    assert ending.explicit is TIMEOUT
    assert ending.decide(USER, fatal_error=True) is TIMEOUT

    ending.set_disconnection_reason(DisconnectionReason.AGENT_HANGUP)
    assert ending.decide(USER) is AGENT


def test_an_unknown_reason_is_logged_with_the_valid_ones_and_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ending = CallEnding()
    ending.set_disconnection_reason("user_hangup")
    with caplog.at_level(logging.ERROR, logger="ringback"):
        ending.set_disconnection_reason("caller_got_bored")
    assert ending.explicit is USER  # the earlier word stands
    (record,) = caplog.records
    assert record.getMessage() == (
        "ringback: 'caller_got_bored' is not a disconnection reason "
        "(user_hangup, agent_hangup, error, timeout, unknown)"
    )


@pytest.mark.parametrize(
    ("payload", "sip_participant", "expected"),
    [
        (None, False, CallType.WEB_CALL),
        ({}, False, CallType.WEB_CALL),
        ({}, True, CallType.PHONE_CALL),  # a SIP leg took part, whatever was read from it
        ({"sip.callID": "SCL_8Hn2Vb4Xk9"}, False, CallType.WEB_CALL),  # a native id is no Call-ID
        ({"sip.callIDFull": "3c26b6f1a9e24d1b@pbx.example.com"}, False, CallType.PHONE_CALL),
        ({"sip.h.x-run-id": "4f1c9a2e7b3d4c5e8f6a0b1c2d3e4f5a"}, False, CallType.PHONE_CALL),
        ({"sip.trunkPhoneNumber": "+15105550199"}, False, CallType.PHONE_CALL),  # a recipient
    ],
)
def test_a_phone_call_is_one_with_a_sip_leg_or_sip_correlation(
    payload: dict[str, str] | None, sip_participant: bool, expected: CallType
) -> None:
    correlation = None if payload is None else extract_correlation(payload, provider="livekit")
    assert default_call_type(correlation, sip_participant=sip_participant) is expected
    assert is_phone_call(correlation, sip_participant=sip_participant) == (
        expected is CallType.PHONE_CALL
    )


def test_the_timeline_uses_the_same_rules() -> None:
    correlation = extract_correlation({"sip.callIDFull": "a1b2@pbx.example.com"}, "livekit")
    timeline = Timeline()
    timeline.mark_end(1_000)
    assert timeline.build(call_id="c").call_type == "web_call"
    assert timeline.build(call_id="c", correlation=correlation).call_type == "phone_call"
    assert timeline.build(call_id="c").disconnection_reason == "unknown"
    timeline.record_error("boom", at_ms=500, fatal=True)
    assert timeline.build(call_id="c").disconnection_reason == "error"


async def test_a_recorded_sip_participant_makes_a_phone_call_unless_the_user_said(
    create_call_server: CreateCallServer, tmp_path: Path
) -> None:
    settings = RingbackSettings(base_url=create_call_server.url, outbox_dir=tmp_path / "outbox")
    over_sip = CallRecorder(settings=settings, options=CallOptions(call_id="sip-leg"))
    said_web = CallRecorder(
        settings=settings, options=CallOptions(call_id="said-web", call_type=CallType.WEB_CALL)
    )
    assert over_sip.correlation == Correlation()
    for recorder in (over_sip, said_web):
        recorder.note_sip_participant()
        await recorder.finish()
    types = {r.body["call_id"]: r.body["call_type"] for r in create_call_server.requests}
    assert types == {"sip-leg": "phone_call", "said-web": "web_call"}
