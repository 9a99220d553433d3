"""The outbound trunk a run dials through: one given by id, or one Ringback manages per
endpoint, created once and kept up to date (idempotent across runs)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Literal

from livekit import api
from livekit.protocol import sip as proto_sip

from ringback.core.errors import RingbackError
from ringback.simulator.suite.choices import Transport
from ringback.simulator.suite.models import AgentEndpoint, MediaEncryption

from .connection import ACCESS_CODES, LiveKitAccessError

log = logging.getLogger(__name__)

MANAGED_BY = "ringback"
DEFAULT_NUMBER = "ringback"
"""The From user when the suite gives no `caller_number` (LiveKit wants one number)."""

_TRANSPORT = {
    None: proto_sip.SIPTransport.SIP_TRANSPORT_AUTO,
    Transport.UDP: proto_sip.SIPTransport.SIP_TRANSPORT_UDP,
    Transport.TCP: proto_sip.SIPTransport.SIP_TRANSPORT_TCP,
    Transport.TLS: proto_sip.SIPTransport.SIP_TRANSPORT_TLS,
}
_ENCRYPTION = {
    MediaEncryption.DISABLE: proto_sip.SIPMediaEncryption.SIP_MEDIA_ENCRYPT_DISABLE,
    MediaEncryption.ALLOW: proto_sip.SIPMediaEncryption.SIP_MEDIA_ENCRYPT_ALLOW,
    MediaEncryption.REQUIRE: proto_sip.SIPMediaEncryption.SIP_MEDIA_ENCRYPT_REQUIRE,
}


class TrunkError(RingbackError, RuntimeError):
    """The trunk cannot be used or set up; nothing was dialled."""


@dataclass(frozen=True)
class TrunkResolution:
    trunk_id: str
    action: Literal["given", "reused", "created", "updated"]
    name: str | None = None


def media_encryption(value: MediaEncryption) -> proto_sip.SIPMediaEncryption:
    return _ENCRYPTION[value]


def endpoint_address(endpoint: AgentEndpoint) -> str:
    """`host[:port]` of the SIP URI: what a trunk's `address` holds."""
    assert endpoint.sip_uri is not None
    rest = endpoint.sip_uri.split(":", 1)[1]
    return rest.rsplit("@", 1)[-1]


def endpoint_key(endpoint: AgentEndpoint) -> str:
    """What identifies a managed trunk: user, address and transport (never the password)."""
    user = f"{endpoint.username}@" if endpoint.username else ""
    transport = endpoint.transport.value if endpoint.transport else "auto"
    return f"{user}{endpoint_address(endpoint)};transport={transport}"


def managed_trunk(
    endpoint: AgentEndpoint, *, fingerprint_key: str
) -> proto_sip.SIPOutboundTrunkInfo:
    """The trunk Ringback wants for `endpoint`. Its metadata carries a keyed fingerprint of
    the whole configuration, password included, so a changed password is noticed even when
    LiveKit does not return passwords."""
    password = endpoint.password.get_secret_value() if endpoint.password else ""
    config: dict[str, str | list[str]] = {
        "address": endpoint_address(endpoint),
        "transport": endpoint.transport.value if endpoint.transport else "auto",
        "numbers": [endpoint.caller_number or DEFAULT_NUMBER],
        "username": endpoint.username or "",
        "password": password,
        "media_encryption": endpoint.media_encryption.value,
    }
    digest = hmac.new(
        fingerprint_key.encode(), json.dumps(config, sort_keys=True).encode(), hashlib.sha256
    ).hexdigest()[:32]
    key = endpoint_key(endpoint)
    metadata = {"managed_by": MANAGED_BY, "endpoint": key, "fingerprint": digest}
    return proto_sip.SIPOutboundTrunkInfo(
        name=f"ringback {key}",
        metadata=json.dumps(metadata, sort_keys=True),
        address=endpoint_address(endpoint),
        transport=_TRANSPORT[endpoint.transport],
        numbers=[endpoint.caller_number or DEFAULT_NUMBER],
        auth_username=endpoint.username or "",
        auth_password=password,
        media_encryption=_ENCRYPTION[endpoint.media_encryption],
    )


def managed_endpoint(metadata: str) -> str | None:
    """The endpoint key in the metadata of a trunk or rule Ringback manages; None for any
    other's."""
    try:
        value = json.loads(metadata or "{}")
    except ValueError:
        return None
    if isinstance(value, dict) and value.get("managed_by") == MANAGED_BY:
        endpoint = value.get("endpoint")
        return endpoint if isinstance(endpoint, str) else None
    return None


def _differs(have: proto_sip.SIPOutboundTrunkInfo, want: proto_sip.SIPOutboundTrunkInfo) -> bool:
    if (
        have.name != want.name
        or have.metadata != want.metadata
        or have.address != want.address
        or have.transport != want.transport
        or list(have.numbers) != list(want.numbers)
        or have.auth_username != want.auth_username
        or have.media_encryption != want.media_encryption
    ):
        return True
    # LiveKit may or may not return the password; compare it only when it does.
    return bool(have.auth_password) and have.auth_password != want.auth_password


class TrunkManager:
    """Resolve the trunk for an endpoint: `trunk_id` as given, or Ringback's managed one."""

    def __init__(self, lkapi: api.LiveKitAPI, *, fingerprint_key: str) -> None:
        self._api = lkapi
        self._key = fingerprint_key

    async def resolve(self, endpoint: AgentEndpoint) -> TrunkResolution:
        try:
            if endpoint.trunk_id:
                return await self._given(endpoint.trunk_id)
            return await self._managed(endpoint)
        except api.ServerError as exc:
            if exc.code in ACCESS_CODES:
                raise LiveKitAccessError.from_server_error(
                    exc, "setting up the outbound trunk"
                ) from None
            raise TrunkError(
                f"LiveKit refused the outbound trunk request ({exc.code}: {exc.message})"
            ) from None

    async def _given(self, trunk_id: str) -> TrunkResolution:
        listed = await self._api.sip.list_outbound_trunk(
            proto_sip.ListSIPOutboundTrunkRequest(trunk_ids=[trunk_id])
        )
        if not any(t.sip_trunk_id == trunk_id for t in listed.items):
            raise TrunkError(
                f"agent.trunk_id {trunk_id!r} is not an outbound trunk of this LiveKit project"
            )
        return TrunkResolution(trunk_id, "given")

    async def _managed(self, endpoint: AgentEndpoint) -> TrunkResolution:
        want = managed_trunk(endpoint, fingerprint_key=self._key)
        key = endpoint_key(endpoint)
        listed = await self._api.sip.list_outbound_trunk(proto_sip.ListSIPOutboundTrunkRequest())
        mine = [t for t in listed.items if managed_endpoint(t.metadata) == key]
        if not mine:
            created = await self._api.sip.create_outbound_trunk(
                proto_sip.CreateSIPOutboundTrunkRequest(trunk=want)
            )
            log.info("created outbound trunk %s (%s)", created.sip_trunk_id, want.name)
            return TrunkResolution(created.sip_trunk_id, "created", want.name)
        if len(mine) > 1:
            log.warning(
                "%d outbound trunks are managed for %s; using %s",
                len(mine),
                key,
                mine[0].sip_trunk_id,
            )
        have = mine[0]
        if not _differs(have, want):
            return TrunkResolution(have.sip_trunk_id, "reused", want.name)
        await self._api.sip.update_outbound_trunk(have.sip_trunk_id, want)
        log.info("updated outbound trunk %s (%s)", have.sip_trunk_id, want.name)
        return TrunkResolution(have.sip_trunk_id, "updated", want.name)
