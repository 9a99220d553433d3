"""The agent under test, as `ringback-sim verify` sees it over SIP: when the LiveKit stand-in
is dialled, it syncs a Create Call body of a chosen shape to the real collector (right, no
Call-ID, a provider-native id, another Call-ID, headers missing, ...) over HTTP, and only
then answers, so the call is stored before verify looks for it. No sleeps involved."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from livekit.protocol import sip as ps

from ringback.core.contract import CallRecord
from ringback.livekit.testing import SIP_HOST, DialScript, LiveKitStandIn

from .collector_calls import call_record
from .collector_server import RunningCollector


@dataclass(frozen=True)
class Invite:
    """What reached the agent: the INVITE's X- headers and its Call-ID."""

    headers: dict[str, str]
    call_id: str

    def x_headers(self, *, drop: Iterable[str] = (), **changed: str) -> dict[str, str]:
        """The INVITE's headers, without `drop`, with `changed` values (X_Run_Id=...)."""
        dropped = {d.lower() for d in drop}
        out = {k: v for k, v in self.headers.items() if k.lower() not in dropped}
        for key, value in changed.items():
            out[key.replace("_", "-")] = value
        return out


Shape = Callable[[Invite], CallRecord | list[CallRecord] | None]
"""What the agent syncs for a call, in order (None: nothing)."""


def synced(
    invite: Invite,
    *,
    sip_call_id: str | None = None,
    sip_headers: dict[str, str] | None = None,
    correlation: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> CallRecord:
    """A sample agent-side call with the given correlation fields and metadata
    (`correlation` goes to `general_meta_data_raw.correlation`)."""
    record = call_record(f"agent-{secrets.token_hex(6)}", sip_call_id=sip_call_id)
    record = record.model_copy(update={"sip_headers": sip_headers})
    extra = dict(metadata or {})
    if correlation is not None:
        extra["correlation"] = correlation
    if extra:
        meta = record.general_meta_data_raw.model_dump()
        meta.update(extra)
        record = record.model_copy(
            update={"general_meta_data_raw": type(record.general_meta_data_raw)(**meta)}
        )
    return record


def correct(invite: Invite) -> CallRecord:
    """What a well-configured agent syncs: the dialled Call-ID and every X- header."""
    return synced(invite, sip_call_id=invite.call_id, sip_headers=dict(invite.headers))


@dataclass
class SyncingAgent:
    """Answers every dial of `standin` after syncing `shape(invite)` to `collector`."""

    standin: LiveKitStandIn
    collector: RunningCollector
    shape: Shape | None = correct
    agent_id: str = "support-bot"
    report_call_id: bool = True
    """Whether LiveKit reports `sip.callIDFull` for the call."""
    invites: list[Invite] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    """The collector's answers to the syncs."""
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.standin.dial = self._dial

    def _dial(self, request: ps.CreateSIPParticipantRequest, attempt: int) -> DialScript:
        invite = Invite(dict(request.headers), f"{secrets.token_hex(12)}@{SIP_HOST}")
        self.invites.append(invite)
        call_id: bool | str = invite.call_id if self.report_call_id else False
        made = self.shape(invite) if self.shape is not None else None
        records = [] if made is None else made if isinstance(made, list) else [made]
        if not records:
            return DialScript(call_id_full=call_id, answered_polls=None)
        answer = asyncio.Event()
        task = asyncio.create_task(self._sync(records, answer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return DialScript(call_id_full=call_id, answered_polls=None, hold=answer)

    async def _sync(self, records: list[CallRecord], answer: asyncio.Event) -> None:
        try:
            async with httpx.AsyncClient() as client:
                for record in records:
                    response = await client.post(
                        self.collector.call_url(agent=self.agent_id),
                        content=record.to_json_bytes(),
                        headers=self.collector.headers(**{"Content-Type": "application/json"}),
                    )
                    self.statuses.append(response.status_code)
        finally:
            answer.set()


__all__ = ["Invite", "Shape", "SyncingAgent", "correct", "synced"]
