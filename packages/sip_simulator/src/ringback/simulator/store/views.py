"""What the store returns: keys, calls, runs and results (no secrets)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .linking import AGENT_SIDE


class _View(BaseModel):
    model_config = ConfigDict(frozen=True)


class KeyInfo(_View):
    """An API key as listed: never the key itself."""

    id: int
    workspace_id: int
    name: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class NewKey(_View):
    """A key just created: the only time its secret is available."""

    info: KeyInfo
    key: str = Field(repr=False)


class IngestOutcome(_View):
    """What storing one call did."""

    id: int
    """The server's record id."""
    is_new: bool
    conflict: bool = False
    """The call id was already stored with a different body; nothing was changed."""
    result_id: str | None = None
    linked_by: str | None = None


class CallSummary(_View):
    """A stored call without its body."""

    id: int
    workspace_id: int
    agent_id: str
    call_id: str
    side: str
    """`agent`, or `caller` for the simulator's own recording."""
    received_at: datetime
    call_type: str
    start_timestamp: int
    duration_ms: int
    sip_call_id: str | None = None
    result_id: str | None = None
    linked_by: str | None = None
    linked_at: datetime | None = None

    @property
    def linked(self) -> bool:
        return self.result_id is not None

    @property
    def production(self) -> bool:
        """Unlinked agent-side calls are production traffic."""
        return self.result_id is None and self.side == AGENT_SIDE


class StoredCall(CallSummary):
    """A stored call with its canonical body and the normaliser's notes."""

    body: dict[str, Any]
    notes: list[str] = Field(default_factory=list)
    body_sha256: str


class EvaluationSummary(_View):
    """A run's kept evaluation at a glance, without its body."""

    evaluated_at: datetime
    suite: str
    total: int
    """Calls evaluated."""
    passed: int
    judge_model: str | None = None
    """The model that judged the expectations; None when nothing was judged."""

    @property
    def pass_rate(self) -> float | None:
        """Passed calls over all calls; None for a run without calls."""
        return self.passed / self.total if self.total else None


class RunInfo(_View):
    id: str
    workspace_id: int
    name: str
    created_at: datetime
    finished_at: datetime | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    evaluation: EvaluationSummary | None = None
    """The kept evaluation's summary, when the run has been evaluated."""


class ResultInfo(_View):
    id: str
    """The result id: what X-Result-Id / X-Correlation-Id carry."""
    workspace_id: int
    run_id: str
    scenario_id: str
    attempt: int = 0
    dialled_sip_call_id: str | None = None
    created_at: datetime
    metadata: dict[str, Any] = Field(default_factory=dict)


class ResultWithCalls(_View):
    """A result and every call linked to it, agent side and caller side, oldest first."""

    result: ResultInfo
    agent_calls: list[StoredCall] = Field(default_factory=list)
    caller_calls: list[StoredCall] = Field(default_factory=list)

    @property
    def agent_call(self) -> StoredCall | None:
        """The agent's side (the latest, if it synced more than one)."""
        return self.agent_calls[-1] if self.agent_calls else None

    @property
    def caller_call(self) -> StoredCall | None:
        """The simulator's own side (the latest)."""
        return self.caller_calls[-1] if self.caller_calls else None


def stored_call(row: Any) -> StoredCall:
    """Build a `StoredCall` from a `calls` row."""
    return StoredCall(
        **_summary_fields(row),
        body=json.loads(row.body),
        notes=row.notes or [],
        body_sha256=row.body_sha256,
    )


def call_summary(row: Any) -> CallSummary:
    return CallSummary(**_summary_fields(row))


def _summary_fields(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "workspace_id": row.workspace_id,
        "agent_id": row.agent_id,
        "call_id": row.call_id,
        "side": row.side,
        "received_at": row.received_at,
        "call_type": row.call_type,
        "start_timestamp": row.start_timestamp,
        "duration_ms": row.duration_ms,
        "sip_call_id": row.sip_call_id,
        "result_id": row.result_id,
        "linked_by": row.linked_by,
        "linked_at": row.linked_at,
    }
