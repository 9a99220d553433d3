"""`livekit_sip_correlation`: a LiveKit SIP participant's attributes, read through the server
API (`ringback.livekit.testing.LiveKitStandIn`, with the real `livekit.api` client), as the
correlation of a Pipecat call; attributes that land after the participant joins, participants
that leave, and every failure, which is logged once and never raised."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from livekit import api
from livekit.protocol import models as pm
from livekit.protocol import sip as ps
from support.create_call_server import CreateCallServer

from ringback.livekit.testing import API_KEY, API_SECRET, DialScript, LiveKitStandIn
from ringback.pipecat import RingbackObserver, livekit_sip_correlation

ROOM = "call-room"
CALLER = "sip_+15105550100"
CALL_ID = "3c26b6f1a9e24d1b@pbx.example.com"
RESULT_ID = "9f1c2a7e4b3d4e5f8a6b7c8d9e0f1a2b"
INBOUND = {
    "sip.ruleID": "SDR_8Hn2Vb4Xk9",
    "sip.h.x-result-id": RESULT_ID,
    "sip.h.x-run-id": "01JQ8ZK6M4XB7C9D0EFGH3JKMN",
    "sip.h.x-customer-tier": "gold",
}
"""What LiveKit SIP adds on an inbound call, besides what the stand-in sets itself."""


@pytest.fixture
async def standin() -> AsyncIterator[LiveKitStandIn]:
    async with LiveKitStandIn() as server:
        server.dial = lambda request, attempt: DialScript(answered_polls=None, call_id_full=CALL_ID)
        yield server


@pytest.fixture
async def lkapi(standin: LiveKitStandIn) -> AsyncIterator[api.LiveKitAPI]:
    async with standin.client() as client:
        yield client


async def sip_caller(
    lkapi: api.LiveKitAPI, room: str = ROOM, **attributes: str
) -> pm.ParticipantInfo:
    """A SIP participant in `room`, as the stand-in answers one, with `attributes` added."""
    trunk = await lkapi.sip.create_outbound_trunk(
        ps.CreateSIPOutboundTrunkRequest(
            trunk=ps.SIPOutboundTrunkInfo(
                name="t", address="pbx.example.com:5060", numbers=["ringback-line"]
            )
        )
    )
    await lkapi.sip.create_sip_participant(
        ps.CreateSIPParticipantRequest(
            sip_trunk_id=trunk.sip_trunk_id,
            sip_call_to="+15105550100",
            room_name=room,
            participant_identity=CALLER,
            participant_attributes={**INBOUND, **attributes},
        )
    )
    return await lkapi.room.get_participant(api.RoomParticipantIdentity(room=room, identity=CALLER))


def info_of(
    standin: LiveKitStandIn, room: str = ROOM, identity: str = CALLER
) -> pm.ParticipantInfo:
    """The stand-in's own record of a participant, to change it as LiveKit SIP would."""
    return standin.rooms[room].participants[identity].info


def reads(standin: LiveKitStandIn) -> int:
    return len(standin.recorded("GetParticipant"))


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_the_sip_participants_attributes_become_the_calls_correlation(
    standin: LiveKitStandIn, lkapi: api.LiveKitAPI, caplog: pytest.LogCaptureFixture
) -> None:
    joined = await sip_caller(lkapi)
    correlation = await livekit_sip_correlation(ROOM, CALLER, lkapi=lkapi)
    assert correlation.sip_call_id == CALL_ID
    assert correlation.sip_headers == {
        "X-Result-Id": RESULT_ID,
        "X-Run-Id": "01JQ8ZK6M4XB7C9D0EFGH3JKMN",
        "X-Customer-Tier": "gold",
    }
    assert correlation.result_id == RESULT_ID
    assert correlation.provider == "livekit"
    native = correlation.native_ids
    assert native["livekit.sip.callID"] == joined.attributes["sip.callID"]  # SCL_, kept aside
    assert native["livekit.sip.callID"].startswith("SCL_")
    assert correlation.caller == "+15105550100"  # inbound (sip.ruleID): the number outside
    assert correlation.warnings == ()
    assert reads(standin) == 2  # the test's own read and one by the helper: it was ready
    assert warnings_of(caplog) == []


async def test_attributes_that_land_after_the_join_are_waited_for(
    standin: LiveKitStandIn, lkapi: api.LiveKitAPI
) -> None:
    # LiveKit SIP's participant joins with sip.callID, sip.phoneNumber, sip.ruleID, sip.trunkID
    # and sip.trunkPhoneNumber only; the Call-ID, the headers and sip.callStatus come ~0.4 s later
    await sip_caller(lkapi)
    info = info_of(standin)
    early = {k: v for k, v in info.attributes.items() if not k.startswith("sip.h.")}
    for key in ("sip.callIDFull", "sip.callStatus"):
        early.pop(key)
    complete = dict(info.attributes)
    info.attributes.clear()
    info.attributes.update(early)
    before = reads(standin)

    reading = asyncio.create_task(livekit_sip_correlation(ROOM, CALLER, lkapi=lkapi))
    await standin.wait_until(lambda: reads(standin) >= before + 2)
    assert not reading.done()
    info.attributes.update({**complete, "sip.callStatus": "ringing"})
    correlation = await asyncio.wait_for(reading, 5)
    assert correlation.sip_call_id == CALL_ID
    assert correlation.sip_headers["X-Result-Id"] == RESULT_ID


async def test_an_active_call_without_a_call_id_is_not_waited_for(
    standin: LiveKitStandIn, lkapi: api.LiveKitAPI, caplog: pytest.LogCaptureFixture
) -> None:
    standin.dial = lambda request, attempt: DialScript(answered_polls=None, call_id_full=False)
    await sip_caller(lkapi)  # sip.callStatus is active: nothing more is coming
    started = time.monotonic()
    correlation = await livekit_sip_correlation(ROOM, CALLER, lkapi=lkapi, wait_s=30)
    assert time.monotonic() - started < 5
    assert correlation.sip_call_id is None
    assert correlation.sip_headers["X-Result-Id"] == RESULT_ID  # the headers still link it
    assert any(w.startswith("No SIP Call-ID") for w in correlation.warnings)
    (warning,) = warnings_of(caplog)
    assert "no sip.callIDFull attribute (sip.callStatus=active)" in warning


async def test_the_wait_is_bounded(
    standin: LiveKitStandIn, lkapi: api.LiveKitAPI, caplog: pytest.LogCaptureFixture
) -> None:
    await sip_caller(lkapi)
    info = info_of(standin)
    del info.attributes["sip.callIDFull"]
    info.attributes["sip.callStatus"] = "ringing"
    started = time.monotonic()
    correlation = await livekit_sip_correlation(ROOM, CALLER, lkapi=lkapi, wait_s=0.3)
    assert 0.3 <= time.monotonic() - started < 2
    assert correlation.sip_call_id is None
    assert correlation.sip_headers["X-Result-Id"] == RESULT_ID
    (warning,) = warnings_of(caplog)
    assert "had no sip.callIDFull attribute within 0.3 s (sip.callStatus=ringing)" in warning
    assert f"participant {CALLER!r} in room {ROOM!r}" in warning


async def test_a_caller_who_leaves_while_it_is_read_ends_the_wait(
    standin: LiveKitStandIn, lkapi: api.LiveKitAPI
) -> None:
    await sip_caller(lkapi)
    info = info_of(standin)
    del info.attributes["sip.callIDFull"]
    info.attributes["sip.callStatus"] = "ringing"
    reading = asyncio.create_task(livekit_sip_correlation(ROOM, CALLER, lkapi=lkapi, wait_s=30))
    before = reads(standin)
    await standin.wait_until(lambda: reads(standin) > before)
    await lkapi.room.remove_participant(api.RoomParticipantIdentity(room=ROOM, identity=CALLER))
    correlation = await asyncio.wait_for(reading, 5)
    assert correlation.sip_headers["X-Result-Id"] == RESULT_ID  # what it had read


async def test_without_an_identity_the_rooms_sip_participant_is_read(
    standin: LiveKitStandIn, lkapi: api.LiveKitAPI
) -> None:
    await sip_caller(lkapi)
    correlation = await livekit_sip_correlation(ROOM, lkapi=lkapi)
    assert correlation.sip_call_id == CALL_ID
    assert [r.method for r in standin.requests[-1:]] == ["ListParticipants"]


async def test_a_participant_not_in_the_room_is_waited_for_then_given_up(
    standin: LiveKitStandIn, lkapi: api.LiveKitAPI, caplog: pytest.LogCaptureFixture
) -> None:
    await sip_caller(lkapi)
    correlation = await livekit_sip_correlation(ROOM, "someone-else", lkapi=lkapi, wait_s=0.2)
    assert correlation.is_empty
    (warning,) = warnings_of(caplog)
    assert "participant 'someone-else' in LiveKit room 'call-room'" in warning
    assert "it was not in the room within 0.2 s" in warning
    correlation = await livekit_sip_correlation("empty-room", lkapi=lkapi, wait_s=0.2)
    assert correlation.is_empty
    assert "no SIP participant joined within 0.2 s" in warnings_of(caplog)[-1]


async def test_a_participant_that_is_not_a_sip_one_has_no_sip_correlation(
    standin: LiveKitStandIn, lkapi: api.LiveKitAPI, caplog: pytest.LogCaptureFixture
) -> None:
    await sip_caller(lkapi)
    info = info_of(standin)
    info.kind = pm.ParticipantInfo.Kind.STANDARD
    info.attributes.clear()
    started = time.monotonic()
    correlation = await livekit_sip_correlation(ROOM, CALLER, lkapi=lkapi)
    assert time.monotonic() - started < 2
    assert correlation.is_empty
    assert correlation.warnings == ()
    assert warnings_of(caplog) == []


async def test_a_refused_key_is_one_warning_and_an_empty_correlation(
    standin: LiveKitStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "not-the-secret-but-just-as-long-as-the-real-one"
    correlation = await livekit_sip_correlation(
        ROOM, CALLER, url=standin.url, api_key=API_KEY, api_secret=wrong
    )
    assert correlation.is_empty
    (why,) = correlation.warnings
    assert "LiveKit refused the API key (unauthenticated" in why
    (warning,) = warnings_of(caplog)
    assert f"participant {CALLER!r} in LiveKit room {ROOM!r}" in warning
    assert "roomAdmin" in warning
    assert wrong not in warning
    assert len(standin.requests) == 1  # no retrying what waiting cannot fix


async def test_no_credentials_say_what_to_set(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET", "LIVEKIT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    correlation = await livekit_sip_correlation(ROOM, CALLER)
    assert correlation.is_empty
    (warning,) = warnings_of(caplog)
    assert "set LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET" in warning


async def test_an_unreachable_server_gives_up_at_the_deadline(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    started = time.monotonic()
    correlation = await livekit_sip_correlation(
        ROOM,
        CALLER,
        url=f"http://127.0.0.1:{port}",
        api_key=API_KEY,
        api_secret=API_SECRET,
        wait_s=0.3,
    )
    assert time.monotonic() - started < 3
    assert correlation.is_empty
    (warning,) = warnings_of(caplog)
    assert "ClientConnectorError" in warning


async def test_the_credentials_default_to_the_livekit_environment(
    standin: LiveKitStandIn, lkapi: api.LiveKitAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sip_caller(lkapi)
    monkeypatch.setenv("LIVEKIT_URL", standin.url.replace("http://", "ws://"))
    monkeypatch.setenv("LIVEKIT_API_KEY", API_KEY)
    monkeypatch.setenv("LIVEKIT_API_SECRET", API_SECRET)
    correlation = await livekit_sip_correlation(ROOM, CALLER)
    assert correlation.sip_call_id == CALL_ID


async def test_the_one_line_links_a_pipecat_call(
    standin: LiveKitStandIn,
    lkapi: api.LiveKitAPI,
    create_call_server: CreateCallServer,
    outbox_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await sip_caller(lkapi)
    monkeypatch.setenv("LIVEKIT_URL", standin.url)
    monkeypatch.setenv("LIVEKIT_API_KEY", API_KEY)
    monkeypatch.setenv("LIVEKIT_API_SECRET", API_SECRET)
    observer = RingbackObserver(base_url=create_call_server.url, outbox_dir=outbox_dir)
    participant_id = CALLER  # what Pipecat's LiveKit transport hands its handlers

    observer.note_correlation(await livekit_sip_correlation(ROOM, participant_id))

    result = await observer.flush()
    assert result is not None
    assert result.delivered
    (body,) = create_call_server.stored(observer.call_id)
    assert body["sip_call_id"] == CALL_ID
    assert body["sip_headers"]["X-Result-Id"] == RESULT_ID
    assert body["call_type"] == "phone_call"


def test_importing_ringback_pipecat_leaves_livekit_api_alone() -> None:
    code = (
        "import sys, ringback.pipecat\n"
        "assert not [m for m in sys.modules if m.startswith('livekit')], 'livekit imported'\n"
        "from ringback.pipecat import livekit_sip_correlation\n"
        "assert 'livekit.api' in sys.modules\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGBACK_")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
