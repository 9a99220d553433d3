"""What happened to each call: the models the dialer returns and the batch records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from ringback.simulator.plan import PlannedCall


class OutcomeStatus(str, Enum):
    """What happened to a planned call (`CallOutcome.status`); not the Create Call API's
    `call_status` (`ringback.core.contract.CallStatus`)."""

    COMPLETED = "completed"
    """Answered, then ended (by either side or at the max duration)."""
    FAILED = "failed"
    """The agent's side did not take the call (busy, not found, no answer, auth...)."""
    ERROR = "error"
    """Ringback or LiveKit could not place the call; says nothing about the agent."""
    CANCELLED = "cancelled"
    """Stopped by the user (Ctrl-C) while ringing or in progress; hung up."""


FINISHED = frozenset({OutcomeStatus.COMPLETED, OutcomeStatus.FAILED})
"""Statuses a resumed run does not dial again."""


class FailureKind(str, Enum):
    BUSY = "busy"
    NOT_FOUND = "not_found"
    TIMEOUT = "timeout"
    AUTH = "auth"
    UNAVAILABLE = "unavailable"
    SERVER_ERROR = "server_error"
    REJECTED = "rejected"
    """Any other final SIP response (4xx/6xx)."""
    UNREACHABLE = "unreachable"
    """The agent's SIP address could not be reached (refused, no route, no reply)."""
    LIVEKIT = "livekit"
    """The LiveKit API refused or failed a request (no SIP status)."""
    LIVEKIT_ACCESS = "livekit_access"
    """The LiveKit API key or its grants were refused; the batch stops."""
    INTERNAL = "internal"


class DialAttempt(BaseModel):
    """One `CreateSIPParticipant` (one INVITE)."""

    number: int
    """1-based."""
    started_at: datetime
    ended_at: datetime
    sip_status_code: int | None = None
    sip_status: str | None = None
    failure_kind: FailureKind | None = None
    reason: str | None = None


class CallPlaced(BaseModel):
    """An answered call: LiveKit's ids for it and the SIP Call-ID the agent saw."""

    result_id: str
    livekit_call_id: str | None
    """LiveKit's `SCL_...` id (`SIPParticipantInfo.sip_call_id`); never a SIP Call-ID."""
    sip_call_id: str | None
    """The INVITE's Call-ID header (`sip.callIDFull`), once LiveKit reports it."""
    participant_id: str | None
    answered_at: datetime
    attempt: int


class CallOutcome(BaseModel):
    """The result of one planned call."""

    run_id: str
    result_id: str
    scenario_id: str
    repeat: int
    room_name: str
    participant_identity: str
    status: OutcomeStatus
    trunk_id: str | None = None
    livekit_call_id: str | None = None
    """`SCL_...`: LiveKit's own call id, kept as metadata."""
    sip_call_id: str | None = None
    """The dialled SIP Call-ID (`sip.callIDFull`)."""
    participant_id: str | None = None
    sip_status_code: int | None = None
    sip_status: str | None = None
    failure_kind: FailureKind | None = None
    reason: str | None = None
    """A human explanation of a failure, error or cancellation."""
    end_reason: str | None = None
    """For answered calls: `hangup` (either side), `max_duration` or `cancelled`."""
    attempts: list[DialAttempt] = Field(default_factory=list)
    started_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime
    warnings: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, call: PlannedCall, status: OutcomeStatus, **fields: Any) -> CallOutcome:
        """The outcome of `call`: its ids from the plan, then `status` and `fields`."""
        return cls(
            run_id=call.run_id,
            result_id=call.result_id,
            scenario_id=call.scenario_id,
            repeat=call.repeat,
            room_name=call.room_name,
            participant_identity=call.participant_identity,
            status=status,
            **fields,
        )

    @property
    def finished(self) -> bool:
        """Whether a resumed run skips this call."""
        return self.status in FINISHED

    @property
    def duration_s(self) -> float | None:
        if self.answered_at is None:
            return None
        return (self.ended_at - self.answered_at).total_seconds()


class RunSummary(BaseModel):
    run_id: str
    suite: str
    planned: int
    """Calls in this invocation's plan (after skipping finished ones)."""
    skipped: int = 0
    """Calls a resumed run did not dial because they had finished before."""
    completed: int = 0
    failed: int = 0
    errors: int = 0
    cancelled: int = 0
    not_started: int = 0
    stopped: bool = False
    """Stopped by the user or by a fatal LiveKit error before every call was placed."""
    error: str | None = None
    """Why the batch stopped early, when it was not the user."""
    started_at: datetime
    ended_at: datetime
    trunk_id: str | None = None

    @classmethod
    def tally(
        cls,
        *,
        run_id: str,
        suite: str,
        planned: int,
        skipped: int,
        outcomes: Sequence[CallOutcome],
        stopped: bool,
        error: str | None,
        started_at: datetime,
        trunk_id: str | None = None,
    ) -> RunSummary:
        """Count `outcomes` by status; planned calls without one were not started."""
        counts = Counter(o.status for o in outcomes)
        return cls(
            run_id=run_id,
            suite=suite,
            planned=planned,
            skipped=skipped,
            completed=counts[OutcomeStatus.COMPLETED],
            failed=counts[OutcomeStatus.FAILED],
            errors=counts[OutcomeStatus.ERROR],
            cancelled=counts[OutcomeStatus.CANCELLED],
            not_started=planned - len(outcomes),
            stopped=stopped,
            error=error,
            started_at=started_at,
            ended_at=datetime.now(timezone.utc),
            trunk_id=trunk_id,
        )

    @property
    def ok(self) -> bool:
        return not self.stopped and self.failed == 0 and self.errors == 0
