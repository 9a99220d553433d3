"""The agent's side of LiveKit SIP: an inbound trunk that forwards the X- headers, and a
dispatch rule that puts each call in its own room with the agent dispatched by name.

`AgentLine` says what should answer; `InboundManager.ensure(line)` creates or updates the
trunk and the rule Ringback manages for it (found again by their metadata), so running it
twice changes nothing. This is what `ringback-sim demo --transport sip` sets up, and what a
team hosting its agent on LiveKit needs for its calls to link.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Literal

from livekit import api
from livekit.protocol import agent_dispatch as proto_dispatch
from livekit.protocol import room as proto_room
from livekit.protocol import sip as proto_sip
from pydantic import SecretStr

from .connection import ACCESS_CODES, LiveKitAccessError
from .trunks import MANAGED_BY, TrunkError, managed_endpoint

log = logging.getLogger(__name__)

Action = Literal["reused", "created", "updated"]
HeaderOption = proto_sip.SIPHeaderOptions


@dataclass(frozen=True)
class AgentLine:
    """An agent answering SIP calls through LiveKit."""

    number: str
    """The user part callers dial (`sip:NUMBER@your-livekit-sip-host`): the trunk's number."""
    agent_name: str
    """The LiveKit agent dispatched into each call's room (explicit dispatch)."""
    room_prefix: str = "call-"
    allowed_addresses: tuple[str, ...] = ()
    """Source IPs or CIDRs the trunk accepts calls from; empty: any."""
    username: str | None = None
    """Digest authentication the caller must answer (with `password`)."""
    password: SecretStr | None = None
    include_headers: HeaderOption = proto_sip.SIPHeaderOptions.SIP_X_HEADERS
    """Which INVITE headers become `sip.h.*` attributes; X- headers are what links a call."""

    @property
    def key(self) -> str:
        return f"inbound:{self.number}"


@dataclass(frozen=True)
class AgentLineSetup:
    trunk_id: str
    rule_id: str
    trunk: Action
    rule: Action


def _metadata(line: AgentLine, fingerprint_key: str) -> str:
    """Marks the trunk as Ringback's, with a keyed fingerprint of the credentials so a changed
    password is noticed although LiveKit does not return it."""
    secret = line.password.get_secret_value() if line.password else ""
    digest = hmac.new(
        fingerprint_key.encode(), f"{line.username or ''}\0{secret}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    return json.dumps(
        {"managed_by": MANAGED_BY, "endpoint": line.key, "fingerprint": digest}, sort_keys=True
    )


def inbound_trunk(line: AgentLine, *, fingerprint_key: str) -> proto_sip.SIPInboundTrunkInfo:
    """The inbound trunk Ringback wants for `line`."""
    return proto_sip.SIPInboundTrunkInfo(
        name=f"ringback {line.key}",
        metadata=_metadata(line, fingerprint_key),
        numbers=[line.number],
        allowed_addresses=list(line.allowed_addresses),
        auth_username=line.username or "",
        auth_password=line.password.get_secret_value() if line.password else "",
        include_headers=line.include_headers,
    )


def dispatch_rule(line: AgentLine, trunk_id: str) -> proto_sip.SIPDispatchRuleInfo:
    """The dispatch rule Ringback wants for `line`: a room per call, the agent dispatched."""
    return proto_sip.SIPDispatchRuleInfo(
        name=f"ringback {line.key}",
        metadata=json.dumps({"managed_by": MANAGED_BY, "endpoint": line.key}, sort_keys=True),
        trunk_ids=[trunk_id],
        rule=proto_sip.SIPDispatchRule(
            dispatch_rule_individual=proto_sip.SIPDispatchRuleIndividual(
                room_prefix=line.room_prefix
            )
        ),
        room_config=proto_room.RoomConfiguration(
            agents=[proto_dispatch.RoomAgentDispatch(agent_name=line.agent_name)]
        ),
    )


def _trunk_differs(
    have: proto_sip.SIPInboundTrunkInfo, want: proto_sip.SIPInboundTrunkInfo
) -> bool:
    return (
        have.name != want.name
        or have.metadata != want.metadata
        or list(have.numbers) != list(want.numbers)
        or list(have.allowed_addresses) != list(want.allowed_addresses)
        or have.auth_username != want.auth_username
        or have.include_headers != want.include_headers
    )


def _rule_differs(have: proto_sip.SIPDispatchRuleInfo, want: proto_sip.SIPDispatchRuleInfo) -> bool:
    return (
        have.name != want.name
        or have.metadata != want.metadata
        or list(have.trunk_ids) != list(want.trunk_ids)
        or have.rule != want.rule
        or list(have.room_config.agents) != list(want.room_config.agents)
    )


class InboundManager:
    """Create, update or remove the inbound trunk and dispatch rule of an `AgentLine`."""

    def __init__(self, lkapi: api.LiveKitAPI, *, fingerprint_key: str) -> None:
        self._api = lkapi
        self._key = fingerprint_key

    async def ensure(self, line: AgentLine) -> AgentLineSetup:
        """Make LiveKit route calls to `line.number` to `line.agent_name`; idempotent."""
        try:
            trunk_id, trunk_action = await self._ensure_trunk(line)
            rule_id, rule_action = await self._ensure_rule(line, trunk_id)
        except api.ServerError as exc:
            raise self._error(exc, "setting up the agent's inbound trunk") from None
        return AgentLineSetup(trunk_id, rule_id, trunk_action, rule_action)

    async def remove(self, line: AgentLine) -> None:
        """Delete the trunk and rule managed for `line` (nothing when there are none)."""
        try:
            for rule in await self._rules(line):
                await self._api.sip.delete_dispatch_rule(
                    proto_sip.DeleteSIPDispatchRuleRequest(
                        sip_dispatch_rule_id=rule.sip_dispatch_rule_id
                    )
                )
            for trunk in await self._trunks(line):
                await self._api.sip.delete_trunk(
                    proto_sip.DeleteSIPTrunkRequest(sip_trunk_id=trunk.sip_trunk_id)
                )
        except api.ServerError as exc:
            raise self._error(exc, "removing the agent's inbound trunk") from None

    async def _trunks(self, line: AgentLine) -> list[proto_sip.SIPInboundTrunkInfo]:
        listed = await self._api.sip.list_inbound_trunk(proto_sip.ListSIPInboundTrunkRequest())
        return [t for t in listed.items if managed_endpoint(t.metadata) == line.key]

    async def _rules(self, line: AgentLine) -> list[proto_sip.SIPDispatchRuleInfo]:
        listed = await self._api.sip.list_dispatch_rule(proto_sip.ListSIPDispatchRuleRequest())
        return [r for r in listed.items if managed_endpoint(r.metadata) == line.key]

    async def _ensure_trunk(self, line: AgentLine) -> tuple[str, Action]:
        want = inbound_trunk(line, fingerprint_key=self._key)
        mine = await self._trunks(line)
        if not mine:
            created = await self._api.sip.create_inbound_trunk(
                proto_sip.CreateSIPInboundTrunkRequest(trunk=want)
            )
            log.info("created inbound trunk %s (%s)", created.sip_trunk_id, want.name)
            return created.sip_trunk_id, "created"
        have = mine[0]
        if not _trunk_differs(have, want):
            return have.sip_trunk_id, "reused"
        await self._api.sip.update_inbound_trunk(have.sip_trunk_id, want)
        log.info("updated inbound trunk %s (%s)", have.sip_trunk_id, want.name)
        return have.sip_trunk_id, "updated"

    async def _ensure_rule(self, line: AgentLine, trunk_id: str) -> tuple[str, Action]:
        want = dispatch_rule(line, trunk_id)
        mine = await self._rules(line)
        if not mine:
            created = await self._api.sip.create_dispatch_rule(
                proto_sip.CreateSIPDispatchRuleRequest(
                    name=want.name,
                    metadata=want.metadata,
                    trunk_ids=list(want.trunk_ids),
                    rule=want.rule,
                    room_config=want.room_config,
                )
            )
            log.info("created dispatch rule %s (%s)", created.sip_dispatch_rule_id, want.name)
            return created.sip_dispatch_rule_id, "created"
        have = mine[0]
        if not _rule_differs(have, want):
            return have.sip_dispatch_rule_id, "reused"
        await self._api.sip.update_dispatch_rule(have.sip_dispatch_rule_id, want)
        log.info("updated dispatch rule %s (%s)", have.sip_dispatch_rule_id, want.name)
        return have.sip_dispatch_rule_id, "updated"

    @staticmethod
    def _error(exc: api.ServerError, doing: str) -> Exception:
        if exc.code in ACCESS_CODES:
            return LiveKitAccessError.from_server_error(exc, doing)
        return TrunkError(f"{doing}: LiveKit refused it ({exc.code}: {exc.message})")


__all__ = ["AgentLine", "AgentLineSetup", "InboundManager", "dispatch_rule", "inbound_trunk"]
