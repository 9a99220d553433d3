"""`verify` over SIP, step by step, against the LiveKit stand-in (the real livekit-api client)
and a real collector on 127.0.0.1: each step passing, and each failing with its fix."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from livekit.protocol import sip as ps
from support.collector_calls import call_body
from support.collector_server import RunningCollector
from support.dialing import PASSWORD
from support.verify_agent import SyncingAgent, synced
from support.verify_rig import NO_LINK, Rig, shapes, statuses, step, verify_rig

from ringback.livekit.testing import DialScript
from ringback.simulator.suite.models import AgentEndpoint
from ringback.simulator.verify.call import HUNG_UP_FIX, READ_GRANT_FIX
from ringback.simulator.verify.checklist import Checklist
from ringback.simulator.verify.models import Shape, StepId, StepStatus
from ringback.simulator.verify.sip import STEPS


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with verify_rig(tmp_path) as rig:
        yield rig


async def test_every_step_passes_for_an_agent_that_syncs_the_call_back(rig: Rig) -> None:
    agent = SyncingAgent(rig.standin, rig.collector)
    report = await rig.verify()

    assert report.ok, report.model_dump_json(indent=2)
    assert [s.id for s in report.steps] == [
        StepId.CREDENTIALS,
        StepId.TRUNK,
        StepId.CALL,
        StepId.SYNC,
        StepId.CORRELATION,
    ]
    assert set(statuses(report).values()) == {StepStatus.PASSED}
    (invite,) = agent.invites
    # the call carries the ids of a real run plus the profile's X- headers
    assert invite.headers["X-Run-Id"] == report.run_id
    assert invite.headers["X-Scenario-Id"] == "verify"
    assert invite.headers["X-Result-Id"] == invite.headers["X-Correlation-Id"] == report.result_id
    assert invite.headers["X-Customer-Tier"] == "premium"
    assert report.headers["X-Auth-Token"] == "***"
    assert report.dialled_sip_call_id == invite.call_id
    assert "created Ringback's outbound trunk" in step(report, StepId.TRUNK).detail
    assert "linked by x-result-id, " in step(report, StepId.SYNC).detail
    assert step(report, StepId.SYNC).detail.endswith(" s after the call ended")
    assert report.synced_call is not None
    assert report.synced_call.linked

    # linked in the store exactly as a real run's call would be; the run is finished
    linked = await rig.collector.store.get_result(1, report.result_id)
    assert linked is not None
    assert linked.agent_call is not None
    assert linked.result.dialled_sip_call_id == invite.call_id
    run = await rig.collector.store.get_run(1, report.run_id)
    assert run is not None
    assert run.finished_at is not None
    assert run.name == "verify: support-regression"
    # hung up and cleaned up; no simulated caller was dispatched
    assert rig.standin.rooms == {}
    assert [how for *_, how in rig.standin.hangups] == ["removed"]
    assert rig.standin.dispatches == []
    assert PASSWORD not in report.model_dump_json()

    # a second verify reuses the managed trunk
    second = await rig.verify()
    assert second.ok
    assert "is up to date" in step(second, StepId.TRUNK).detail
    assert len(rig.standin.trunks) == 1


async def test_wrong_credentials_fail_the_first_step_and_skip_the_rest(rig: Rig) -> None:
    report = await rig.verify(
        connection=rig.connection(secret="not-the-secret-0123456789abcdefghijklmnop")
    )
    assert statuses(report) == {
        StepId.CREDENTIALS: StepStatus.FAILED,
        StepId.TRUNK: StepStatus.SKIPPED,
        StepId.CALL: StepStatus.SKIPPED,
        StepId.SYNC: StepStatus.SKIPPED,
        StepId.CORRELATION: StepStatus.SKIPPED,
    }
    first = step(report, StepId.CREDENTIALS)
    assert "did not accept the API key and secret" in first.detail
    assert first.fix is not None
    assert "LIVEKIT_API_KEY and LIVEKIT_API_SECRET" in first.fix
    assert step(report, StepId.TRUNK).detail == "skipped: LiveKit credentials failed"
    assert not report.ok
    assert await rig.collector.store.list_runs(1) == []  # nothing registered
    assert rig.standin.of("CreateSIPParticipant") == []


async def test_an_unreachable_livekit_url_is_said_so(rig: Rig) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    report = await rig.verify(connection=rig.connection(url=f"http://127.0.0.1:{port}"))
    first = step(report, StepId.CREDENTIALS)
    assert first.status is StepStatus.FAILED
    assert f"could not reach LIVEKIT_URL http://127.0.0.1:{port}" in first.detail
    assert first.fix is not None
    assert "Check LIVEKIT_URL" in first.fix


async def test_a_given_trunk_that_does_not_exist(rig: Rig) -> None:
    endpoint = AgentEndpoint(phone_number="+15105550100", trunk_id="ST_missing")
    report = await rig.verify(endpoint)
    trunk = step(report, StepId.TRUNK)
    assert statuses(report)[StepId.CREDENTIALS] is StepStatus.PASSED
    assert trunk.status is StepStatus.FAILED
    assert "'ST_missing' is not an outbound trunk" in trunk.detail
    assert trunk.fix is not None
    assert "lk sip outbound list" in trunk.fix
    assert statuses(report)[StepId.CALL] is StepStatus.SKIPPED


async def test_a_given_trunk_that_exists_passes(rig: Rig) -> None:
    SyncingAgent(rig.standin, rig.collector)
    async with rig.standin.client() as lk:
        created = await lk.sip.create_outbound_trunk(
            ps.CreateSIPOutboundTrunkRequest(
                trunk=ps.SIPOutboundTrunkInfo(
                    name="theirs", address="sip.carrier.example", numbers=["+15105550199"]
                )
            )
        )
    endpoint = AgentEndpoint(phone_number="+15105550100", trunk_id=created.sip_trunk_id)
    report = await rig.verify(endpoint)
    assert report.ok, report.model_dump_json(indent=2)
    assert step(report, StepId.TRUNK).detail == f"outbound trunk {created.sip_trunk_id} exists"
    (invite,) = rig.standin.of("CreateSIPParticipant")
    assert invite.sip_call_to == "+15105550100"


async def test_a_trunk_that_cannot_be_created(rig: Rig) -> None:
    rig.standin.refuse["CreateSIPOutboundTrunk"] = ("invalid_argument", "SIP is not enabled")
    report = await rig.verify()
    trunk = step(report, StepId.TRUNK)
    assert trunk.status is StepStatus.FAILED
    assert "LiveKit refused the outbound trunk request" in trunk.detail
    assert "SIP is not enabled" in trunk.detail
    assert trunk.fix is not None
    assert "agent.sip_uri" in trunk.fix
    assert statuses(report)[StepId.CALL] is StepStatus.SKIPPED


@pytest.mark.parametrize(
    ("code", "status", "words", "fix"),
    [
        (401, "Unauthorized", "asks for digest authentication", "AGENT_SIP_PASSWORD"),
        (403, "Forbidden", "refused the call", "allow-list"),
        (404, "Not Found", "does not know the dialled user or number", "user part"),
        (408, "Request Timeout", "nobody answered", "ringing timeout"),
        (486, "Busy Here", "answered busy", "free to take the call"),
    ],
)
async def test_sip_failures_are_explained_in_words(
    rig: Rig, code: int, status: str, words: str, fix: str
) -> None:
    rig.standin.dial = lambda request, attempt: DialScript(sip_status_code=code, sip_status=status)
    report = await rig.verify()
    call = step(report, StepId.CALL)
    assert call.status is StepStatus.FAILED
    assert call.detail.startswith(f"SIP {code} {status}: ")
    assert words in call.detail
    assert call.fix is not None
    assert fix in call.fix
    assert statuses(report)[StepId.SYNC] is StepStatus.SKIPPED
    assert statuses(report)[StepId.CORRELATION] is StepStatus.SKIPPED
    assert len(rig.standin.recorded("CreateSIPParticipant")) == 1  # verify never retries
    assert rig.standin.rooms == {}  # the room is deleted all the same
    assert PASSWORD not in report.model_dump_json()


async def test_an_agent_that_never_syncs_times_out(rig: Rig) -> None:
    SyncingAgent(rig.standin, rig.collector, shape=None)
    report = await rig.verify(sync=NO_LINK)
    sync = step(report, StepId.SYNC)
    assert statuses(report)[StepId.CALL] is StepStatus.PASSED
    assert sync.status is StepStatus.FAILED
    assert "no call linked to result" in sync.detail
    assert "within 0.2 s" in sync.detail
    assert "no unlinked call arrived either" in sync.detail
    (finding,) = sync.findings
    assert finding.shape is Shape.NOT_SYNCED
    assert "RINGBACK_BASE_URL" in finding.fix
    assert "--sync-timeout" in finding.fix
    assert statuses(report)[StepId.CORRELATION] is StepStatus.SKIPPED
    assert report.synced_call is None


async def test_production_traffic_from_before_the_call_is_not_a_candidate(rig: Rig) -> None:
    earlier = call_body("production-1", sip_call_id="old@pbx", sip_headers={})
    response = await _post(rig.collector, earlier)
    assert response == 201
    SyncingAgent(rig.standin, rig.collector, shape=None)
    report = await rig.verify(sync=NO_LINK)
    assert shapes(report, StepId.SYNC) == [Shape.NOT_SYNCED]


async def _post(collector: RunningCollector, body: bytes) -> int:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            collector.call_url(),
            content=body,
            headers=collector.headers(**{"Content-Type": "application/json"}),
        )
    return response.status_code


async def test_a_livekit_that_does_not_report_the_call_id(rig: Rig) -> None:
    SyncingAgent(
        rig.standin,
        rig.collector,
        shape=lambda invite: synced(
            invite, sip_call_id="abc123@agent.example", sip_headers=dict(invite.headers)
        ),
        report_call_id=False,
    )
    report = await rig.verify()
    assert "LiveKit did not report its Call-ID" in step(report, StepId.CALL).detail
    assert statuses(report)[StepId.SYNC] is StepStatus.PASSED
    correlation = step(report, StepId.CORRELATION)
    assert correlation.status is StepStatus.FAILED
    assert [f.shape for f in correlation.findings] == [Shape.CALL_ID_UNKNOWN]
    assert report.dialled_sip_call_id is None


async def test_a_url_that_answers_a_web_page_is_not_the_livekit_api(rig: Rig) -> None:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<html><body>Welcome</body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        report = await rig.verify(connection=rig.connection(url=url))
    finally:
        await runner.cleanup()
    first = step(report, StepId.CREDENTIALS)
    assert first.status is StepStatus.FAILED
    assert first.detail == (
        f"{url}: this URL did not answer as the LiveKit server API (its answer does not decode "
        "as a LiveKit response)"
    )
    assert first.fix is not None
    assert "Check LIVEKIT_URL" in first.fix
    assert statuses(report)[StepId.TRUNK] is StepStatus.SKIPPED


async def test_a_refused_participant_read_is_why_the_call_id_is_unknown(rig: Rig) -> None:
    SyncingAgent(rig.standin, rig.collector)
    rig.standin.refuse["GetParticipant"] = ("permission_denied", "no roomAdmin grant")
    report = await rig.verify()
    call = step(report, StepId.CALL)
    assert call.status is StepStatus.PASSED
    assert "the Call-ID is unknown: Ringback could not read the SIP participant" in call.detail
    assert "LiveKit did not report" not in call.detail
    (finding,) = step(report, StepId.CORRELATION).findings
    assert finding.shape is Shape.CALL_ID_UNKNOWN
    assert "Ringback could not read the SIP participant to learn it" in finding.detail
    assert "no roomAdmin grant" in finding.detail
    assert finding.fix == READ_GRANT_FIX
    assert "LiveKit SIP version" not in finding.fix
    assert rig.standin.rooms == {}


async def test_an_agent_that_hangs_up_before_the_first_read(rig: Rig) -> None:
    SyncingAgent(rig.standin, rig.collector)
    dial = rig.standin.dial
    rig.standin.dial = lambda request, attempt: dataclasses.replace(
        dial(request, attempt), answered_polls=0
    )
    report = await rig.verify()
    assert "the agent hung up after" in step(report, StepId.CALL).detail
    (finding,) = step(report, StepId.CORRELATION).findings
    assert finding.shape is Shape.CALL_ID_UNKNOWN
    assert "the agent hung up before Ringback could read the SIP participant" in finding.detail
    assert finding.fix == HUNG_UP_FIX
    assert "LiveKit SIP version" not in finding.fix


async def test_cancelling_verify_deletes_the_room_and_finishes_the_run(rig: Rig) -> None:
    never = asyncio.Event()  # the call rings until verify is cancelled
    rig.standin.dial = lambda request, attempt: DialScript(hold=never)
    checklist = Checklist(STEPS)
    task = asyncio.create_task(rig.verify(checklist=checklist))
    await rig.standin.wait_until(lambda: rig.standin.ringing == 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(rig.standin.deleted_rooms) == 1  # the verify call's room
    assert rig.standin.rooms == {}
    (run,) = await rig.collector.store.list_runs(1)
    assert run.finished_at is not None
    # the steps decided before the interruption are kept
    assert [(s.id, s.status) for s in checklist.steps] == [
        (StepId.CREDENTIALS, StepStatus.PASSED),
        (StepId.TRUNK, StepStatus.PASSED),
    ]
