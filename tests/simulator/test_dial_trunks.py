"""The outbound trunk: created once per endpoint, reused across runs, updated when its
configuration (password included) changes; a given trunk id is used as is."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from livekit import api
from livekit.protocol import sip as ps
from support.dialing import PASSWORD, simple_suite

from ringback.livekit.testing import LiveKitStandIn
from ringback.simulator.dial import (
    LiveKitAccessError,
    TrunkError,
    TrunkManager,
    endpoint_key,
)
from ringback.simulator.suite.models import AgentEndpoint

KEY = "fingerprint-key"


@pytest.fixture
async def standin() -> AsyncIterator[LiveKitStandIn]:
    async with LiveKitStandIn() as server:
        yield server


def endpoint(**changes: object) -> AgentEndpoint:
    base = simple_suite(["one"]).agent.model_dump()
    base["password"] = PASSWORD
    base.update(changes)
    return AgentEndpoint.model_validate(base)


async def resolve(standin: LiveKitStandIn, agent: AgentEndpoint, key: str = KEY) -> str:
    async with standin.client() as lk:
        resolution = await TrunkManager(lk, fingerprint_key=key).resolve(agent)
    return resolution.action


async def test_one_create_then_reuse_across_runs(standin: LiveKitStandIn) -> None:
    assert await resolve(standin, endpoint()) == "created"
    assert await resolve(standin, endpoint()) == "reused"
    assert await resolve(standin, endpoint()) == "reused"
    assert len(standin.of("CreateSIPOutboundTrunk")) == 1
    assert standin.of("UpdateSIPOutboundTrunk") == []
    (trunk,) = standin.trunks.values()
    assert trunk.address == "pbx.example.com:5060"
    assert trunk.transport == ps.SIPTransport.SIP_TRANSPORT_TCP
    assert trunk.auth_username == "ringback"
    assert trunk.auth_password == PASSWORD
    assert list(trunk.numbers) == ["ringback"]
    assert trunk.name == f"ringback {endpoint_key(endpoint())}"
    assert PASSWORD not in trunk.metadata
    assert PASSWORD not in trunk.name


async def test_a_changed_password_updates_the_trunk_once(standin: LiveKitStandIn) -> None:
    await resolve(standin, endpoint())
    assert await resolve(standin, endpoint(password="n3w-pw")) == "updated"
    assert await resolve(standin, endpoint(password="n3w-pw")) == "reused"
    (update,) = standin.of("UpdateSIPOutboundTrunk")
    assert update.replace.auth_password == "n3w-pw"
    assert len(standin.trunks) == 1
    assert next(iter(standin.trunks.values())).auth_password == "n3w-pw"


@pytest.mark.parametrize(
    "change",
    [{"media_encryption": "require"}, {"caller_number": "+15105550100"}],
    ids=["media-encryption", "caller-number"],
)
async def test_other_changes_update_the_same_trunk(
    standin: LiveKitStandIn, change: dict[str, object]
) -> None:
    await resolve(standin, endpoint())
    assert await resolve(standin, endpoint(**change)) == "updated"
    assert len(standin.trunks) == 1


async def test_edits_made_outside_ringback_are_repaired(standin: LiveKitStandIn) -> None:
    await resolve(standin, endpoint())
    (trunk,) = standin.trunks.values()
    trunk.address = "elsewhere.example.com"
    assert await resolve(standin, endpoint()) == "updated"
    assert next(iter(standin.trunks.values())).address == "pbx.example.com:5060"


async def test_a_visible_password_is_compared_too() -> None:
    async with LiveKitStandIn(return_passwords=True) as standin:
        await resolve(standin, endpoint())
        # Same fingerprint, different stored password (changed in the console): repaired.
        next(iter(standin.trunks.values())).auth_password = "edited"
        assert await resolve(standin, endpoint()) == "updated"


async def test_another_user_or_transport_is_another_trunk(standin: LiveKitStandIn) -> None:
    await resolve(standin, endpoint())
    assert await resolve(standin, endpoint(username="other")) == "created"
    assert await resolve(standin, endpoint(transport="udp")) == "created"
    assert len(standin.trunks) == 3


async def test_trunks_not_managed_by_ringback_are_left_alone(standin: LiveKitStandIn) -> None:
    async with standin.client() as lk:
        await lk.sip.create_outbound_trunk(
            ps.CreateSIPOutboundTrunkRequest(
                trunk=ps.SIPOutboundTrunkInfo(
                    name=f"ringback {endpoint_key(endpoint())}",
                    address="pbx.example.com:5060",
                    numbers=["+1"],
                )
            )
        )
    assert await resolve(standin, endpoint()) == "created"
    assert standin.of("UpdateSIPOutboundTrunk") == []


async def test_a_given_trunk_id_is_checked_and_used_as_is(standin: LiveKitStandIn) -> None:
    async with standin.client() as lk:
        made = await lk.sip.create_outbound_trunk(
            ps.CreateSIPOutboundTrunkRequest(
                trunk=ps.SIPOutboundTrunkInfo(address="carrier.example.com", numbers=["+1"])
            )
        )
    given = AgentEndpoint(phone_number="+15105550142", trunk_id=made.sip_trunk_id)
    assert await resolve(standin, given) == "given"
    assert len(standin.of("CreateSIPOutboundTrunk")) == 1  # only the test's own
    missing = AgentEndpoint(phone_number="+15105550142", trunk_id="ST_nope")
    with pytest.raises(TrunkError, match="ST_nope"):
        await resolve(standin, missing)


async def test_a_refused_key_is_a_clear_error(standin: LiveKitStandIn) -> None:
    async with api.LiveKitAPI(standin.url, standin.api_key, "x" * 40) as lk:
        with pytest.raises(LiveKitAccessError) as info:
            await TrunkManager(lk, fingerprint_key=KEY).resolve(endpoint())
    message = str(info.value)
    assert "LIVEKIT_API_KEY" in message
    assert "LIVEKIT_API_SECRET" in message
    assert "unauthenticated" in message
    assert "x" * 40 not in message


async def test_a_key_without_sip_admin_is_a_clear_error(standin: LiveKitStandIn) -> None:
    token = (
        api.AccessToken(standin.api_key, standin.api_secret)
        .with_sip_grants(api.SIPGrants(call=True))
        .to_jwt()
    )
    async with api.LiveKitAPI.with_token(token, standin.url) as lk:
        with pytest.raises(LiveKitAccessError, match=r"sip\.admin") as info:
            await TrunkManager(lk, fingerprint_key=KEY).resolve(endpoint())
    assert info.value.code == "permission_denied"
