"""`ringback.livekit.testing.LiveKitStandIn`, driven by the real `livekit.api.LiveKitAPI`
client: binary protobuf both ways, JWT and grant checks, SIP failures as `SipCallError`,
recorded requests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from livekit import api
from livekit.protocol import room as pr
from livekit.protocol import sip as ps

from ringback.livekit.testing import API_KEY, SIP_HOST, DialScript, LiveKitStandIn


@pytest.fixture
async def standin() -> AsyncIterator[LiveKitStandIn]:
    async with LiveKitStandIn() as server:
        yield server


def trunk() -> ps.SIPOutboundTrunkInfo:
    return ps.SIPOutboundTrunkInfo(
        name="t", address="pbx.example.com:5060", numbers=["+15105550100"]
    )


async def test_requests_and_answers_are_binary_protobuf(standin: LiveKitStandIn) -> None:
    async with standin.client() as lk:
        room = await lk.room.create_room(pr.CreateRoomRequest(name="r1", metadata='{"a":1}'))
        assert room.name == "r1"
        assert room.sid.startswith("RM_")
        assert room.metadata == '{"a":1}'
        listed = await lk.room.list_rooms(pr.ListRoomsRequest(names=["r1"]))
        assert [r.name for r in listed.rooms] == ["r1"]
    first = standin.requests[0]
    assert (first.service, first.method, first.status) == ("RoomService", "CreateRoom", 200)
    assert isinstance(first.message, pr.CreateRoomRequest)
    assert first.message.metadata == '{"a":1}'


async def test_a_wrong_secret_is_unauthenticated(standin: LiveKitStandIn) -> None:
    async with api.LiveKitAPI(standin.url, API_KEY, "not-the-secret-but-just-as-long-as-one") as lk:
        with pytest.raises(api.ServerError) as info:
            await lk.room.list_rooms(pr.ListRoomsRequest())
    assert info.value.code == "unauthenticated"
    assert info.value.status == 401
    assert standin.requests[0].error == "unauthenticated"


async def test_missing_grants_are_permission_denied(standin: LiveKitStandIn) -> None:
    token = (
        api.AccessToken(standin.api_key, standin.api_secret)
        .with_grants(api.VideoGrants(room_create=True))
        .to_jwt()
    )
    async with api.LiveKitAPI.with_token(token, standin.url) as lk:
        await lk.room.create_room(pr.CreateRoomRequest(name="ok"))  # roomCreate: granted
        with pytest.raises(api.ServerError) as info:
            await lk.sip.list_outbound_trunk(ps.ListSIPOutboundTrunkRequest())
    assert info.value.code == "permission_denied"
    assert "sip.admin" in info.value.message


async def test_room_admin_is_scoped_to_its_room(standin: LiveKitStandIn) -> None:
    token = (
        api.AccessToken(standin.api_key, standin.api_secret)
        .with_grants(api.VideoGrants(room_admin=True, room="mine"))
        .to_jwt()
    )
    async with api.LiveKitAPI.with_token(token, standin.url) as lk:
        with pytest.raises(api.ServerError) as info:
            await lk.room.list_participants(pr.ListParticipantsRequest(room="theirs"))
    assert info.value.code == "permission_denied"


async def test_trunks_are_validated_like_livekit(standin: LiveKitStandIn) -> None:
    async with standin.client() as lk:
        bad = trunk()
        bad.address = "sip:pbx.example.com"
        with pytest.raises(api.ServerError, match="not SIP URI"):
            await lk.sip.create_outbound_trunk(ps.CreateSIPOutboundTrunkRequest(trunk=bad))
        made = await lk.sip.create_outbound_trunk(ps.CreateSIPOutboundTrunkRequest(trunk=trunk()))
        assert made.sip_trunk_id.startswith("ST_")
        updated = await lk.sip.update_outbound_trunk_fields(
            made.sip_trunk_id, auth_username="u", auth_password="p"
        )
        assert updated.auth_username == "u"
        assert updated.auth_password == ""  # passwords are not returned by default
        assert standin.trunks[made.sip_trunk_id].auth_password == "p"


async def test_a_sip_failure_is_a_sip_call_error_with_status(standin: LiveKitStandIn) -> None:
    standin.dial = lambda req, attempt: DialScript(sip_status_code=486, sip_status="Busy Here")
    async with standin.client() as lk:
        made = await lk.sip.create_outbound_trunk(ps.CreateSIPOutboundTrunkRequest(trunk=trunk()))
        with pytest.raises(api.SipCallError) as info:
            await lk.sip.create_sip_participant(
                ps.CreateSIPParticipantRequest(
                    sip_trunk_id=made.sip_trunk_id,
                    sip_call_to="agent",
                    room_name="r",
                    wait_until_answered=True,
                )
            )
    assert info.value.sip_status_code == 486
    assert info.value.sip_status == "Busy Here"
    assert info.value.code == "resource_exhausted"  # what LiveKit maps 486 to: a 4xx, no retry
    assert len(standin.recorded("CreateSIPParticipant")) == 1


async def test_an_answered_call_has_both_ids_and_leaves_after_its_polls(
    standin: LiveKitStandIn,
) -> None:
    async with standin.client() as lk:
        made = await lk.sip.create_outbound_trunk(ps.CreateSIPOutboundTrunkRequest(trunk=trunk()))
        info = await lk.sip.create_sip_participant(
            ps.CreateSIPParticipantRequest(
                sip_trunk_id=made.sip_trunk_id,
                sip_call_to="agent",
                room_name="r",
                participant_identity="callee",
                participant_attributes={"ringback.result_id": "abc"},
                headers={"X-Result-Id": "abc"},
                wait_until_answered=True,
            )
        )
        assert info.sip_call_id.startswith("SCL_")
        participant = await lk.room.get_participant(
            pr.RoomParticipantIdentity(room="r", identity="callee")
        )
        attributes = dict(participant.attributes)
        assert attributes["sip.callID"] == info.sip_call_id
        local, _, host = attributes["sip.callIDFull"].partition("@")
        assert host == SIP_HOST
        assert len(local) == 32
        assert attributes["ringback.result_id"] == "abc"
        with pytest.raises(api.ServerError) as gone:
            await lk.room.get_participant(pr.RoomParticipantIdentity(room="r", identity="callee"))
        assert gone.value.code == "not_found"
    assert standin.hangups == [("r", "callee", "callee")]


async def test_injected_header_values_are_refused(standin: LiveKitStandIn) -> None:
    async with standin.client() as lk:
        made = await lk.sip.create_outbound_trunk(ps.CreateSIPOutboundTrunkRequest(trunk=trunk()))
        with pytest.raises(api.ServerError) as info:
            await lk.sip.create_sip_participant(
                ps.CreateSIPParticipantRequest(
                    sip_trunk_id=made.sip_trunk_id,
                    sip_call_to="agent",
                    room_name="r",
                    headers={"X-A": "1\r\nX-Evil: 2"},
                )
            )
    assert info.value.code == "invalid_argument"


async def test_latency_is_injected_per_method(standin: LiveKitStandIn) -> None:
    standin.latency["ListRooms"] = 0.05
    async with standin.client() as lk:
        loop_time = asyncio.get_running_loop().time
        start = loop_time()
        await lk.room.list_rooms(pr.ListRoomsRequest())
        assert loop_time() - start >= 0.045


async def test_an_unknown_method_is_a_bad_route(standin: LiveKitStandIn) -> None:
    async with aiohttp.ClientSession() as session:
        resp = await session.post(f"{standin.url}/twirp/livekit.SIP/Nope", data=b"")
        assert resp.status == 404
        assert (await resp.json())["code"] == "bad_route"
