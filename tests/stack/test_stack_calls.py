"""Single calls and batches over the real stack, each proving one thing the stand-in cannot:
linking by SIP Call-ID alone, exactly which headers cross the wire (digest auth answered),
the max call duration, an agent that hangs up at once, and a concurrent batch held to its
limits with every call linked and nothing left behind."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from livekit import api, rtc
from livekit.agents import AgentServer, JobContext
from livekit.protocol import room as proto_room
from livekit.protocol import sip as proto_sip
from pydantic import SecretStr
from support.livekit_stack import SipLoop, Stack, own_line, run_sip_loop, sip_suite

from ringback.simulator.batch.outcome import OutcomeStatus
from ringback.simulator.demo.voice_agent import voice_entrypoint
from ringback.simulator.demo.workers import in_process_options
from ringback.simulator.dial.inbound import InboundManager
from ringback.simulator.dial.trunks import endpoint_key, managed_endpoint

HELLO_ONLY = [
    {
        "id": "hello",
        "label": "Hello and goodbye",
        "profile": "returning-customer",
        "turns": ["Hello there!", "That's all, goodbye."],
        "assertions": [{"linked": True}, {"hung_up_by": "user"}],
    }
]
SHORT = [
    {
        "id": "short",
        "turns": ["Hello, bye!"],
        "assertions": [{"linked": True}, {"hung_up_by": "agent"}],
    }
]


def serve(entrypoint: Callable[[JobContext], Awaitable[None]], name: str) -> AgentServer:
    server = AgentServer(**in_process_options())
    server.rtc_session(entrypoint, agent_name=name)
    return server


async def sip_attributes_when_up(ctx: JobContext) -> dict[str, str]:
    """The SIP participant's attributes once its call is active (all headers included)."""
    participant = await ctx.wait_for_participant(kind=rtc.ParticipantKind.PARTICIPANT_KIND_SIP)
    up = asyncio.Event()

    def changed(_: object, who: rtc.Participant) -> None:
        if who.identity == participant.identity and who.attributes.get("sip.callStatus") == (
            "active"
        ):
            up.set()

    ctx.room.on("participant_attributes_changed", changed)
    try:
        if participant.attributes.get("sip.callStatus") != "active":
            await asyncio.wait_for(up.wait(), 20)
    finally:
        ctx.room.off("participant_attributes_changed", changed)
    return dict(participant.attributes)


async def test_a_call_links_by_its_sip_call_id_alone(stack: Stack, tmp_path: Path) -> None:
    # the trunk forwards no headers: only the Call-ID the dialler read can link the call
    line = own_line(include_headers=proto_sip.SIPHeaderOptions.SIP_NO_HEADERS)
    suite = sip_suite(stack, line.number, scenarios=HELLO_ONLY)
    loop = await run_sip_loop(stack, tmp_path, line, suite)
    outcome, sides = loop.by_scenario("hello")
    assert outcome.status is OutcomeStatus.COMPLETED
    assert sides is not None, "the agent's side did not link"
    assert sides.linked_by == "sip-call-id"
    assert sides.agent["sip_call_id"] == outcome.sip_call_id
    assert "sip_headers" not in sides.agent
    warnings = sides.agent["general_meta_data_raw"]["correlation"]["warnings"]
    assert any(w.startswith("No X- headers reached the agent") for w in warnings)
    assert loop.run.conclusion.evaluation.pass_rate == 1.0


async def test_only_the_planned_headers_cross_the_wire_with_digest_auth(
    stack: Stack, tmp_path: Path
) -> None:
    password = "s3cret-digest-pw"
    line = own_line(
        include_headers=proto_sip.SIPHeaderOptions.SIP_ALL_HEADERS,
        username="ringback",
        password=SecretStr(password),
    )
    seen: list[dict[str, str]] = []

    async def answering(ctx: JobContext) -> None:
        await voice_entrypoint(ctx)
        seen.append(await sip_attributes_when_up(ctx))

    suite = sip_suite(
        stack,
        line.number,
        scenarios=HELLO_ONLY,
        agent={"username": "ringback", "password": password},
    )
    loop = await run_sip_loop(stack, tmp_path, line, suite, agent=serve(answering, line.agent_name))
    outcome, sides = loop.by_scenario("hello")
    assert outcome.status is OutcomeStatus.COMPLETED  # challenged, and the digest answered
    assert sides is not None
    (attributes,) = seen
    planned = loop.plan.calls[0].headers
    sent = {
        name.removeprefix("sip.h."): value
        for name, value in attributes.items()
        if name.startswith("sip.h.x-")
    }
    assert sent == {name.lower(): value for name, value in planned.items()}
    assert attributes["sip.h.call-id"] == outcome.sip_call_id  # the INVITE's own Call-ID
    wire = json.dumps(attributes)
    assert "Jane Smith" not in wire  # testing variables are the caller's only
    assert password not in wire
    # what the agent synced: the X- headers only, never From/To/Via
    assert sides.agent["sip_headers"] == planned
    if stack.logs is not None:
        log = stack.sip_log()
        assert password not in log
        # livekit-sip challenged this very call for its digest (and then let it in)
        assert any(
            "Requesting inbound auth" in entry and str(outcome.sip_call_id) in entry
            for entry in log.splitlines()
        )


async def test_the_max_call_duration_ends_the_call(stack: Stack, tmp_path: Path) -> None:
    line = own_line()
    chatty = [
        {
            "id": "chatty",
            "turns": [f"Tell me about your store, part {n}." for n in range(1, 9)],
            "max_duration": "8s",
        }
    ]
    suite = sip_suite(stack, line.number, scenarios=chatty)
    loop = await run_sip_loop(stack, tmp_path, line, suite)
    outcome, sides = loop.by_scenario("chatty")
    assert outcome.status is OutcomeStatus.COMPLETED
    assert outcome.duration_s is not None
    assert 7.0 <= outcome.duration_s <= 12.0, outcome.duration_s
    assert sides is not None
    assert sides.caller is not None
    assert sides.caller["disconnection_reason"] == "timeout"  # the caller's time ran out
    assert sides.agent["disconnection_reason"] == "user_hangup"  # the caller hung up on it


async def test_an_agent_that_hangs_up_at_once_is_named(stack: Stack, tmp_path: Path) -> None:
    line = own_line()

    async def hang_up_at_once(ctx: JobContext) -> None:
        await ctx.connect()
        source = rtc.AudioSource(16_000, 1)  # published audio is what answers the call
        track = rtc.LocalAudioTrack.create_audio_track("line", source)
        await ctx.room.local_participant.publish_track(track)
        await sip_attributes_when_up(ctx)  # answered ...
        await ctx.delete_room()  # ... and gone
        ctx.shutdown("hung up at once")

    suite = sip_suite(stack, line.number, scenarios=SHORT, run={"link_timeout": "3s"})
    loop = await run_sip_loop(
        stack, tmp_path, line, suite, agent=serve(hang_up_at_once, line.agent_name)
    )
    outcome, sides = loop.by_scenario("short")
    assert outcome.status is OutcomeStatus.COMPLETED  # it was answered ...
    assert any(  # ... and hung up before anyone spoke
        w.startswith("the call was hung up") and "the agent hung up at once" in w
        for w in outcome.warnings
    ), outcome.warnings
    assert sides is None  # this agent syncs nothing
    (call,) = loop.run.conclusion.evaluation.calls
    assert not call.passed
    assert "linked" in " ".join(call.failure_reasons())


BRIEF = [
    {
        "id": "brief",
        "turns": ["Hello there!"],
        "max_duration": "6s",
        "assertions": [{"linked": True}],
    }
]
"""A call whose end does not depend on what was heard: the caller hangs up within 6 s."""


async def test_a_batch_holds_its_limits_links_every_call_and_cleans_up(
    stack: Stack, lkapi: api.LiveKitAPI, tmp_path: Path
) -> None:
    line = own_line()
    suite = sip_suite(
        stack,
        line.number,
        scenarios=BRIEF,
        # two real-time voice sessions per call: two calls at once is what 2 cores hold
        run={"repeat": 8, "concurrency": 2, "calls_per_second": 2},
    )
    loop = await run_sip_loop(stack, tmp_path, line, suite)
    outcomes = list(loop.outcomes.values())
    assert len(outcomes) == 8
    assert [o.reason for o in outcomes if o.status is not OutcomeStatus.COMPLETED] == []
    assert set(loop.sides) == {o.result_id for o in outcomes}  # every agent side linked
    assert all(s.caller is not None for s in loop.sides.values())  # and every caller side
    assert max_overlap(loop) == 2
    starts = sorted(o.attempts[0].started_at for o in outcomes)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.45, gaps  # 2 calls per second
    # the rooms the run dialled from are gone; the agent's rooms, which LiveKit closes after
    # its departure timeout, have nobody left in them; one managed outbound trunk serves it
    rooms = {r.name for r in (await lkapi.room.list_rooms(proto_room.ListRoomsRequest())).rooms}
    assert rooms & {c.room_name for c in loop.plan.calls} == set()
    for name in rooms:
        if name.startswith(line.room_prefix):
            listed = await lkapi.room.list_participants(
                proto_room.ListParticipantsRequest(room=name)
            )
            assert list(listed.participants) == [], name
    trunks = await lkapi.sip.list_outbound_trunk(proto_sip.ListSIPOutboundTrunkRequest())
    key = endpoint_key(suite.agent)
    assert [managed_endpoint(t.metadata) for t in trunks.items].count(key) == 1
    await InboundManager(lkapi, fingerprint_key=stack.api_secret).remove(line)
    inbound = await lkapi.sip.list_inbound_trunk(proto_sip.ListSIPInboundTrunkRequest())
    assert loop.run.setup.trunk_id not in {t.sip_trunk_id for t in inbound.items}


def max_overlap(loop: SipLoop) -> int:
    """The most calls in progress at once (first INVITE to the end)."""
    events: list[tuple[Any, int]] = []
    for outcome in loop.run.outcomes:
        events += [(outcome.attempts[0].started_at, 1), (outcome.ended_at, -1)]
    running = peak = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):
        running += step
        peak = max(peak, running)
    return peak
