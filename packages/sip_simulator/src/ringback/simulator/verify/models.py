"""What `ringback-sim verify` reports: one result per step, and diagnoses of the synced call."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, Field, computed_field

CORRELATION_DOC = "docs/correlation.md"


def doc(anchor: str) -> str:
    """A pointer to a section of the correlation guide."""
    return f"{CORRELATION_DOC}#{anchor}"


class StepStatus(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not run, because a step it needs failed."""


class StepId(str, Enum):
    CREDENTIALS = "credentials"
    TRUNK = "trunk"
    AGENT = "agent"
    CALL = "call"
    SYNC = "sync"
    CORRELATION = "correlation"


class Shape(str, Enum):
    """The known ways a synced call fails to carry what was dialled."""

    NOT_SYNCED = "not_synced"
    """Nothing arrived."""
    NO_CALL_ID = "no_call_id"
    """No SIP Call-ID at all (or only renamed/nested where Ringback does not read it)."""
    PROVIDER_ID = "provider_id"
    """A provider-native id (SCL_..., CA..., v3:...) in place of the Call-ID."""
    DIFFERENT_CALL_ID = "different_call_id"
    """Another Call-ID, as after a hop that starts a new SIP dialog."""
    HEADERS_MISSING = "headers_missing"
    """Injected X- headers that did not come back."""
    HEADERS_ALTERED = "headers_altered"
    """Injected X- headers that came back with other values."""
    CALL_ID_UNKNOWN = "call_id_unknown"
    """LiveKit never reported the dialled Call-ID, so it cannot be compared."""


class SyncedCallProblem(BaseModel):
    """One problem with the synced call (a `Shape`), and what to change; a failed step lists
    them as its `findings`."""

    shape: Shape
    detail: str
    fix: str
    docs: list[str] = Field(default_factory=list)
    """e.g. `docs/correlation.md#livekit`."""


class Step(BaseModel):
    """One check: passed, failed (with a fix) or skipped."""

    id: StepId
    title: str
    status: StepStatus
    detail: str = ""
    fix: str | None = None
    docs: list[str] = Field(default_factory=list)
    findings: list[SyncedCallProblem] = Field(default_factory=list)
    seconds: float | None = None

    @property
    def passed(self) -> bool:
        return self.status is StepStatus.PASSED


class SyncedCall(BaseModel):
    """The agent's side of the verify call as the collector stored it (or the likeliest
    unlinked candidate)."""

    id: int
    agent_id: str
    call_id: str
    linked: bool
    linked_by: str | None = None
    sip_call_id: str | None = None
    sip_headers: dict[str, str] = Field(default_factory=dict)
    """Secret-looking values masked."""


class VerifyReport(BaseModel):
    """The outcome of `ringback-sim verify`."""

    transport: Literal["sip", "text"]
    target: str
    """The SIP URI, number or agent reference verified (never a password)."""
    run_id: str
    result_id: str
    scenario_id: str
    headers: dict[str, str]
    """The X- headers the call carried (secret-looking values masked)."""
    workspace_id: int
    collector: str
    """The collector database read (without its password)."""
    dialled_sip_call_id: str | None = None
    livekit_call_id: str | None = None
    synced_call: SyncedCall | None = None
    steps: list[Step] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        """Every step ran and passed."""
        return bool(self.steps) and all(s.passed for s in self.steps)


__all__ = [
    "CORRELATION_DOC",
    "Shape",
    "Step",
    "StepId",
    "StepStatus",
    "SyncedCall",
    "SyncedCallProblem",
    "VerifyReport",
    "doc",
]
