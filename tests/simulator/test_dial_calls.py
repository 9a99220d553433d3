"""Placing calls through the real LiveKit client against the stand-in: the exact INVITE of
every call, what never goes on the wire, the ids recorded, SIP failures and retries."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from google.protobuf.message import Message
from livekit.protocol import sip as ps
from support.dialing import PASSWORD, run_batch, simple_suite, support_suite

from ringback.livekit.testing import SIP_HOST, DialScript, LiveKitStandIn
from ringback.simulator.batch.outcome import FailureKind, OutcomeStatus
from ringback.simulator.dial import Dialer, DialSettings, TrunkManager
from ringback.simulator.plan import plan_run

TRUNK_METHODS = {"CreateSIPOutboundTrunk", "UpdateSIPOutboundTrunk"}


@pytest.fixture
async def standin() -> AsyncIterator[LiveKitStandIn]:
    async with LiveKitStandIn() as server:
        yield server


def text(message: Message | None) -> str:
    return str(message)


async def test_every_invite_carries_exactly_the_planned_headers(standin: LiveKitStandIn) -> None:
    suite = support_suite()
    plan = plan_run(suite)
    async with standin.client() as lk:
        summary, _sink = await run_batch(lk, suite, plan=plan)
    assert summary.completed == 6

    invites = standin.of("CreateSIPParticipant")
    assert len(invites) == 6
    planned = {c.result_id: c for c in plan.calls}
    trunk_id = next(iter(standin.trunks))
    for invite in invites:
        call = planned.pop(invite.headers["X-Result-Id"])
        assert dict(invite.headers) == call.headers
        assert invite.sip_trunk_id == trunk_id
        assert invite.sip_call_to == "agent"
        assert invite.room_name == call.room_name
        assert invite.participant_identity == call.participant_identity
        assert dict(invite.participant_attributes) == call.participant_attributes
        assert invite.wait_until_answered
        assert invite.include_headers == ps.SIPHeaderOptions.SIP_X_HEADERS
        assert invite.ringing_timeout.ToSeconds() == 30
        # LiveKit counts it from the INVITE: the scenario's duration plus the ringing timeout
        assert invite.max_call_duration.ToSeconds() == call.max_duration_s + 30
    assert planned == {}

    refund = next(c for c in plan.calls if c.scenario_id == "refund-happy-path")
    (invite,) = [i for i in invites if i.headers["X-Result-Id"] == refund.result_id]
    assert dict(invite.headers) == {
        "X-Run-Id": plan.run_id,
        "X-Scenario-Id": "refund-happy-path",
        "X-Result-Id": refund.result_id,
        "X-Correlation-Id": refund.result_id,
        "X-Customer-Tier": "premium",
        "X-Auth-Token": "abc123",
    }
    assert invite.max_call_duration.ToSeconds() == 180 + 30


async def test_rooms_and_dispatches_carry_the_ids(standin: LiveKitStandIn) -> None:
    suite = support_suite()
    plan = plan_run(suite)
    async with standin.client() as lk:
        await run_batch(lk, suite, plan=plan)
    by_room = {c.room_name: c for c in plan.calls}
    for room in standin.of("CreateRoom"):
        call = by_room[room.name]
        assert json.loads(room.metadata) == {
            "managed_by": "ringback",
            "run_id": plan.run_id,
            "scenario_id": call.scenario_id,
            "result_id": call.result_id,
            "repeat": call.repeat,
        }
    dispatches = standin.of("CreateDispatch")
    assert {d.room for d in dispatches} == set(by_room)
    for dispatch in dispatches:
        assert dispatch.agent_name == "ringback-caller"
        assert json.loads(dispatch.metadata) == by_room[dispatch.room].caller_metadata
    # order per call: room, then the caller's dispatch, then the INVITE
    for call in plan.calls:
        methods = [
            r.method
            for r in standin.requests
            if getattr(r.message, "room", None) == call.room_name
            or getattr(r.message, "name", None) == call.room_name
            or getattr(r.message, "room_name", None) == call.room_name
        ]
        assert methods[:3] == ["CreateRoom", "CreateDispatch", "CreateSIPParticipant"]
        assert methods[-1] == "DeleteRoom"


async def test_testing_variables_reach_only_the_callers_dispatch(standin: LiveKitStandIn) -> None:
    suite = support_suite()
    async with standin.client() as lk:
        await run_batch(lk, suite)
    assert standin.requests
    for record in standin.requests:
        if record.method == "CreateDispatch":
            continue
        assert "Jane Smith" not in text(record.message), record.method
        assert "customer_name" not in text(record.message), record.method
    for participant in standin.answered:
        assert "Jane Smith" not in json.dumps(dict(participant.attributes))
    refund_dispatches = [
        d for d in standin.of("CreateDispatch") if "refund-happy-path" in d.metadata
    ]
    assert len(refund_dispatches) == 3
    for dispatch in refund_dispatches:
        metadata = json.loads(dispatch.metadata)
        assert metadata["testing_variables"] == {"customer_name": "Jane Smith"}


async def test_the_sip_password_only_travels_in_the_trunk_request(
    standin: LiveKitStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    suite = support_suite()
    async with standin.client() as lk:
        _, sink = await run_batch(lk, suite)
    carrying = {r.method for r in standin.requests if PASSWORD in text(r.message)}
    assert carrying == {"CreateSIPOutboundTrunk"}
    assert PASSWORD not in caplog.text
    assert standin.api_secret not in caplog.text
    for outcome in sink.outcomes:
        assert PASSWORD not in outcome.model_dump_json()
    assert all(PASSWORD not in p.model_dump_json() for p in sink.placed)


async def test_livekits_id_and_the_sip_call_id_are_recorded_apart(
    standin: LiveKitStandIn,
) -> None:
    suite = simple_suite(["one", "two"])
    async with standin.client() as lk:
        _, sink = await run_batch(lk, suite)
    answers = {p.identity: p for p in standin.answered}
    for outcome in sink.outcomes:
        participant = answers[outcome.participant_identity]
        assert outcome.status is OutcomeStatus.COMPLETED
        assert outcome.livekit_call_id == participant.attributes["sip.callID"]
        assert outcome.livekit_call_id is not None
        assert outcome.livekit_call_id.startswith("SCL_")
        assert outcome.sip_call_id == participant.attributes["sip.callIDFull"]
        assert outcome.sip_call_id is not None
        assert outcome.sip_call_id.endswith(f"@{SIP_HOST}")
        assert outcome.participant_id == participant.sid
        assert outcome.end_reason == "hangup"
        # the stand-in's callee hangs up at the first look: no Call-ID warning, only that one
        (warning,) = outcome.warnings
        assert warning.startswith("the call was hung up 0.0 s after it was answered")
    assert {p.sip_call_id for p in sink.placed} == {o.sip_call_id for o in sink.outcomes}


async def test_only_a_call_shorter_than_a_conversation_is_warned_about(
    standin: LiveKitStandIn,
) -> None:
    suite = simple_suite(["one"])
    plan = plan_run(suite)
    async with standin.client() as lk:
        settings = DialSettings.for_suite(suite, "", poll_interval_s=0.002)
        trunk = await TrunkManager(lk, fingerprint_key="test-key").resolve(suite.agent)
        for short_call_s, warned in ((2.0, True), (0.0, False)):
            dialer = Dialer(
                lk, replace(settings, trunk_id=trunk.trunk_id, short_call_s=short_call_s)
            )
            outcome = await dialer.place(plan.calls[0])
            assert outcome.status is OutcomeStatus.COMPLETED
            assert bool(outcome.warnings) is warned, outcome.warnings


async def test_a_missing_call_id_is_a_warning_not_a_guess(standin: LiveKitStandIn) -> None:
    standin.dial = lambda req, attempt: DialScript(call_id_full=False)
    async with standin.client() as lk:
        _, sink = await run_batch(lk, simple_suite(["one"]))
    (outcome,) = sink.outcomes
    assert outcome.status is OutcomeStatus.COMPLETED
    assert outcome.sip_call_id is None
    assert outcome.livekit_call_id is not None
    assert any("sip.callIDFull" in w for w in outcome.warnings)


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        (486, "Busy Here", FailureKind.BUSY),
        (404, "Not Found", FailureKind.NOT_FOUND),
        (480, "Temporarily Unavailable", FailureKind.TIMEOUT),
        (403, "Forbidden", FailureKind.AUTH),
        (503, "Service Unavailable", FailureKind.UNAVAILABLE),
        (500, "Server Internal Error", FailureKind.SERVER_ERROR),
    ],
)
async def test_sip_failures_become_per_call_results(
    standin: LiveKitStandIn, code: int, status: str, kind: FailureKind
) -> None:
    def dial(req: ps.CreateSIPParticipantRequest, attempt: int) -> DialScript:
        if req.headers["X-Scenario-Id"] == "bad":
            return DialScript(sip_status_code=code, sip_status=status)
        return DialScript()

    standin.dial = dial
    suite = simple_suite(["good1", "bad", "good2"], dial_retry={"attempts": 1})
    async with standin.client() as lk:
        summary, sink = await run_batch(lk, suite, concurrency=1)
    outcomes = {o.scenario_id: o for o in sink.outcomes}
    bad = outcomes["bad"]
    assert bad.status is OutcomeStatus.FAILED
    assert (bad.sip_status_code, bad.sip_status, bad.failure_kind) == (code, status, kind)
    assert bad.reason is not None
    assert bad.reason.startswith(f"SIP {code} {status}: ")
    assert bad.answered_at is None
    assert outcomes["good1"].status is OutcomeStatus.COMPLETED
    assert outcomes["good2"].status is OutcomeStatus.COMPLETED  # the batch carried on
    assert (summary.completed, summary.failed, summary.stopped) == (2, 1, False)
    assert standin.rooms == {}
    assert len(standin.deleted_rooms) == 3


@pytest.mark.parametrize(
    ("code", "retry_on", "attempts"),
    [
        (486, ["busy"], 3),
        (486, [], 1),
        (403, ["busy", "timeout", "unavailable", "server_error"], 1),
        (487, ["timeout"], 3),
        (503, ["busy"], 1),
    ],
    ids=["busy-retried", "busy-not-configured", "auth-never", "timeout", "unavailable-off"],
)
async def test_retries_follow_the_policy(
    standin: LiveKitStandIn, code: int, retry_on: list[str], attempts: int
) -> None:
    standin.dial = lambda req, attempt: DialScript(sip_status_code=code)
    suite = simple_suite(["x"], dial_retry={"attempts": 3, "backoff": 0, "on": retry_on})
    async with standin.client() as lk:
        _, sink = await run_batch(lk, suite)
    (outcome,) = sink.outcomes
    assert len(outcome.attempts) == attempts
    assert len(standin.recorded("CreateSIPParticipant")) == attempts
    assert [a.sip_status_code for a in outcome.attempts] == [code] * attempts
    assert outcome.status is OutcomeStatus.FAILED
    assert len(standin.of("CreateRoom")) == 1  # one room per call, whatever the retries
    assert standin.rooms == {}


async def test_a_retry_that_gets_through_completes_the_call(standin: LiveKitStandIn) -> None:
    standin.dial = lambda req, attempt: (
        DialScript(sip_status_code=486, sip_status="Busy Here") if attempt == 0 else DialScript()
    )
    async with standin.client() as lk:
        _, sink = await run_batch(lk, simple_suite(["x"]))
    (outcome,) = sink.outcomes
    assert outcome.status is OutcomeStatus.COMPLETED
    assert outcome.failure_kind is None
    assert outcome.sip_status_code is None
    assert [a.failure_kind for a in outcome.attempts] == [FailureKind.BUSY, None]


async def test_a_call_past_its_max_duration_is_hung_up(standin: LiveKitStandIn) -> None:
    standin.dial = lambda req, attempt: DialScript(answered_polls=None)
    suite = simple_suite(["x"])
    call = plan_run(suite).calls[0].model_copy(update={"max_duration_s": 0.0})
    async with standin.client() as lk:
        trunk = await lk.sip.create_outbound_trunk(
            ps.CreateSIPOutboundTrunkRequest(
                trunk=ps.SIPOutboundTrunkInfo(address="pbx.example.com", numbers=["r"])
            )
        )
        settings = DialSettings.for_suite(suite, trunk.sip_trunk_id, poll_interval_s=0.001)
        dialer = Dialer(lk, DialSettings(**{**settings.__dict__, "hangup_grace_s": 0.01}))
        outcome = await dialer.place(call)
    assert outcome.status is OutcomeStatus.COMPLETED
    assert outcome.end_reason == "max_duration"
    assert (call.room_name, call.participant_identity, "removed") in standin.hangups
    assert standin.rooms == {}


async def test_a_native_looking_call_id_is_not_taken_for_the_sip_one(
    standin: LiveKitStandIn,
) -> None:
    standin.dial = lambda req, attempt: DialScript(call_id_full="SCL_looksNative42")
    async with standin.client() as lk:
        _, sink = await run_batch(lk, simple_suite(["x"]))
    (outcome,) = sink.outcomes
    assert outcome.sip_call_id is None
    assert outcome.livekit_call_id is not None
    assert any("not a SIP Call-ID" in w for w in outcome.warnings)


def test_a_sip_uri_without_a_user_cannot_be_dialled() -> None:
    suite = simple_suite(["x"])
    data = suite.model_dump(mode="json")
    data["agent"]["sip_uri"] = "sip:pbx.example.com"
    data["agent"]["password"] = PASSWORD
    with pytest.raises(ValueError, match="no user part"):
        DialSettings.for_suite(type(suite).model_validate(data), "ST_x")
