"""The batch runner: stopping hangs up what is active and keeps what finished, a resumed run
skips finished calls, a refused LiveKit key stops the batch with a clear error, and header
injection is refused before anything reaches LiveKit."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest
from livekit import api
from livekit.protocol import sip as ps
from support.dialing import run_batch, simple_suite

from ringback.livekit.testing import DialScript, LiveKitStandIn
from ringback.simulator.batch import (
    BatchRunner,
    MemorySink,
    remaining_calls,
)
from ringback.simulator.batch.outcome import CallOutcome, FailureKind, OutcomeStatus
from ringback.simulator.cli.progress import PlainProgress
from ringback.simulator.dial import LiveKitAccessError, SipTransport
from ringback.simulator.plan import HeaderPlanError, plan_run
from ringback.simulator.suite import Suite

QUICK, LONG = ["q1", "q2"], ["l1", "l2", "l3", "l4"]


@pytest.fixture
async def standin() -> AsyncIterator[LiveKitStandIn]:
    async with LiveKitStandIn() as server:
        yield server


def quick_or_long(req: ps.CreateSIPParticipantRequest, attempt: int) -> DialScript:
    """q* calls end right after the answer; l* calls stay up until hung up."""
    if req.headers["X-Scenario-Id"].startswith("q"):
        return DialScript()
    return DialScript(answered_polls=None)


def runner(lk: api.LiveKitAPI, suite: Suite, sink: MemorySink, **options: object) -> BatchRunner:
    return BatchRunner(
        suite,
        SipTransport(lk, fingerprint_key="k", poll_interval_s=0.002),
        sink=sink,
        calls_per_second=1000,
        **options,  # type: ignore[arg-type]
    )


async def start_and_wait_for_two_done_three_up(
    standin: LiveKitStandIn, lk: api.LiveKitAPI, suite: Suite, sink: MemorySink
) -> tuple[BatchRunner, asyncio.Task[object]]:
    batch = runner(lk, suite, sink, concurrency=3)
    task = asyncio.create_task(batch.run(plan_run(suite)))
    await sink.wait_until(lambda: len(sink.outcomes) == 2)
    await standin.wait_until(lambda: standin.live_calls == 3)
    return batch, task


async def test_stopping_hangs_up_active_calls_and_keeps_finished_ones(
    standin: LiveKitStandIn,
) -> None:
    standin.dial = quick_or_long
    suite = simple_suite(QUICK + LONG)
    sink = MemorySink()
    async with standin.client() as lk:
        batch, task = await start_and_wait_for_two_done_three_up(standin, lk, suite, sink)
        batch.stop()
        summary = await task

    by_scenario = {o.scenario_id: o for o in sink.outcomes}
    assert {s: o.status for s, o in by_scenario.items()} == {
        "q1": OutcomeStatus.COMPLETED,
        "q2": OutcomeStatus.COMPLETED,
        "l1": OutcomeStatus.CANCELLED,
        "l2": OutcomeStatus.CANCELLED,
        "l3": OutcomeStatus.CANCELLED,
    }
    for scenario in ("l1", "l2", "l3"):
        outcome = by_scenario[scenario]
        assert outcome.end_reason == "cancelled"
        assert outcome.livekit_call_id is not None
        assert outcome.sip_call_id is not None
        assert (outcome.room_name, outcome.participant_identity, "removed") in standin.hangups
    assert standin.rooms == {}  # every room deleted
    assert len(standin.recorded("CreateRoom")) == 5  # l4 was never started
    assert summary.stopped
    assert summary.error is None
    assert (summary.completed, summary.cancelled, summary.not_started) == (2, 3, 1)
    assert sink.summaries == [summary]


async def test_cancelling_the_run_still_hangs_up(standin: LiveKitStandIn) -> None:
    standin.dial = quick_or_long
    suite = simple_suite(QUICK + LONG)
    sink = MemorySink()
    async with standin.client() as lk:
        _, task = await start_and_wait_for_two_done_three_up(standin, lk, suite, sink)
        task.cancel()  # what asyncio.run does on Ctrl-C
        with pytest.raises(asyncio.CancelledError):
            await task
    assert standin.rooms == {}
    assert len(sink.outcomes) == 5
    assert sink.summaries[0].cancelled == 3


async def test_a_ringing_call_is_abandoned_and_its_room_deleted(
    standin: LiveKitStandIn,
) -> None:
    standin.dial = lambda req, attempt: DialScript(hold=asyncio.Event())  # never answers
    suite = simple_suite(["ring"])
    sink = MemorySink()
    async with standin.client() as lk:
        batch = runner(lk, suite, sink)
        task = asyncio.create_task(batch.run(plan_run(suite)))
        await standin.wait_until(lambda: standin.ringing == 1)
        batch.stop()
        await task
    (outcome,) = sink.outcomes
    assert outcome.status is OutcomeStatus.CANCELLED
    assert outcome.answered_at is None
    assert "before the call was answered" in (outcome.reason or "")
    assert standin.rooms == {}


async def test_resume_skips_finished_calls(standin: LiveKitStandIn) -> None:
    standin.dial = quick_or_long
    suite = simple_suite(QUICK + LONG)
    first = MemorySink()
    async with standin.client() as lk:
        batch, task = await start_and_wait_for_two_done_three_up(standin, lk, suite, first)
        batch.stop()
        stopped = await task

        standin.dial = lambda req, attempt: DialScript()
        dialled_before = len(standin.recorded("CreateSIPParticipant"))
        plan = plan_run(suite, run_id=stopped.run_id)
        summary, second = await run_batch(lk, suite, plan=plan, previous=first.outcomes)

    redialled = standin.of("CreateSIPParticipant")[dialled_before:]
    assert sorted(r.headers["X-Scenario-Id"] for r in redialled) == LONG
    assert all(r.headers["X-Run-Id"] == stopped.run_id for r in redialled)
    cancelled_ids = {o.result_id for o in first.outcomes if o.status is OutcomeStatus.CANCELLED}
    assert not cancelled_ids & {r.headers["X-Result-Id"] for r in redialled}
    assert {o.scenario_id for o in second.skipped} == set(QUICK)
    assert [c.scenario_id for c in second.plans[0].calls] == LONG
    assert (summary.completed, summary.skipped, summary.planned) == (4, 2, 4)


def test_remaining_calls_skips_completed_and_failed_and_redials_the_rest() -> None:
    suite = simple_suite(["a", "b", "c", "d"])
    plan = plan_run(suite)
    at = datetime.now(timezone.utc)

    def outcome(scenario: str, status: OutcomeStatus) -> CallOutcome:
        call = next(c for c in plan.calls if c.scenario_id == scenario)
        return CallOutcome(
            run_id=plan.run_id,
            result_id=call.result_id,
            scenario_id=scenario,
            repeat=0,
            room_name=call.room_name,
            participant_identity=call.participant_identity,
            status=status,
            started_at=at,
            ended_at=at,
        )

    previous = [
        outcome("a", OutcomeStatus.COMPLETED),
        outcome("b", OutcomeStatus.FAILED),
        outcome("c", OutcomeStatus.ERROR),
    ]
    todo, skipped = remaining_calls(plan, previous)
    assert [c.scenario_id for c in todo] == ["c", "d"]
    assert [o.scenario_id for o in skipped] == ["a", "b"]
    with pytest.raises(ValueError, match="belongs to run"):
        remaining_calls(plan_run(suite), previous)


async def test_a_refused_key_fails_before_anything_is_dialled(standin: LiveKitStandIn) -> None:
    suite = simple_suite(["x"])
    sink = MemorySink()
    async with api.LiveKitAPI(standin.url, standin.api_key, "w" * 40) as lk:
        with pytest.raises(LiveKitAccessError, match="LIVEKIT_API_SECRET"):
            await runner(lk, suite, sink).run(plan_run(suite))
    assert standin.recorded("CreateRoom") == []
    assert sink.plans == []


async def test_a_missing_dial_grant_stops_the_batch_with_a_clear_error(
    standin: LiveKitStandIn,
) -> None:
    token = (
        api.AccessToken(standin.api_key, standin.api_secret)
        .with_grants(api.VideoGrants(room_create=True, room_admin=True, room_list=True))
        .with_sip_grants(api.SIPGrants(admin=True))  # no sip.call
        .to_jwt()
    )
    suite = simple_suite(["a", "b", "c"])
    sink = MemorySink()
    async with api.LiveKitAPI.with_token(token, standin.url) as lk:
        summary = await runner(lk, suite, sink, concurrency=1).run(plan_run(suite))
    (outcome,) = sink.outcomes
    assert outcome.status is OutcomeStatus.ERROR
    assert outcome.failure_kind is FailureKind.LIVEKIT_ACCESS
    assert summary.stopped
    assert summary.error is not None
    assert "permission_denied" in summary.error
    assert "sip.call" in summary.error
    assert summary.not_started == 2
    assert standin.rooms == {}


async def test_injection_is_refused_before_anything_reaches_livekit(
    standin: LiveKitStandIn,
) -> None:
    data = simple_suite(["x"]).model_dump(mode="json")
    data["agent"]["password"] = "pw"
    data["test_profiles"] = {
        "evil": {"information": {"main_agent_variables": {"X-Note": "hi\r\nX-Admin: yes"}}}
    }
    data["scenarios"][0]["profile"] = "evil"
    suite = Suite.model_validate(data)
    with pytest.raises(HeaderPlanError, match=r"scenario 'x'.*X-Note"):
        plan_run(suite)
    assert standin.requests == []


async def test_plain_progress_prints_a_line_per_call(standin: LiveKitStandIn) -> None:
    standin.dial = lambda req, attempt: (
        DialScript(sip_status_code=486, sip_status="Busy Here")
        if req.headers["X-Scenario-Id"] == "busy"
        else DialScript()
    )
    out = io.StringIO()
    suite = simple_suite(["ok", "busy"])
    async with standin.client() as lk:
        await run_batch(lk, suite, progress=PlainProgress(out), concurrency=1)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("dialling 2 calls")
    assert lines[1].startswith("[1/2] completed ok#0")
    assert "retrying busy#0 (attempt 2)" in lines
    assert any(
        line.startswith("[2/2] failed busy#0: SIP 486 Busy Here") and "after 2 attempts" in line
        for line in lines
    )
    assert lines[-1].endswith("1 completed, 1 failed, 0 errors, 0 cancelled")


async def test_a_sink_that_cannot_record_stops_the_batch(standin: LiveKitStandIn) -> None:
    class BrokenSink(MemorySink):
        async def call_finished(self, call: object, outcome: object) -> None:
            raise OSError("disk full")

    suite = simple_suite(["a", "b", "c"])
    sink = BrokenSink()
    async with standin.client() as lk:
        summary = await runner(lk, suite, sink, concurrency=1).run(plan_run(suite))
    assert summary.error == "could not record a result (OSError: disk full)"
    assert summary.not_started == 2
    assert len(standin.recorded("CreateRoom")) == 1
