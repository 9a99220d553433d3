"""What `Delivery.submit` and `Delivery.flush` report."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field, computed_field


class DeliveryStatus(str, Enum):
    """Where one call stands with one sink."""

    DELIVERED = "delivered"
    """The server stored it (2xx); the entry is gone from the outbox."""
    ALREADY_STORED = "already_stored"
    """The server had it already (409); the entry is gone from the outbox."""
    PENDING_RETRY = "pending_retry"
    """Not delivered yet (5xx, 429, timeout, network); kept and retried by the flusher."""
    AUTH_FAILED = "auth_failed"
    """401/403; kept, and not retried until the sink's key, workspace or URL changes."""
    REDIRECTED = "redirected"
    """3xx: the base URL is probably wrong; kept."""
    REJECTED = "rejected"
    """Another 4xx: moved to `dead/<sink>/` with the server's message."""
    QUARANTINED = "quarantined"
    """The entry file was unreadable or corrupt: moved to `quarantine/<sink>/`."""
    BUSY = "busy"
    """Another sender (task or process) holds the entry right now."""
    NOT_PERSISTED = "not_persisted"
    """Not delivered, and the outbox could not be written: the call is lost."""
    ERROR = "error"
    """An unexpected error in Ringback itself; the entry (if persisted) is kept."""


DONE = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.ALREADY_STORED})
KEPT = frozenset(
    {
        DeliveryStatus.PENDING_RETRY,
        DeliveryStatus.AUTH_FAILED,
        DeliveryStatus.REDIRECTED,
        DeliveryStatus.BUSY,
        DeliveryStatus.ERROR,
    }
)


class SinkOutcome(BaseModel):
    """One call's result with one sink."""

    sink: str
    call_id: str
    status: DeliveryStatus
    http_status: int | None = None
    attempts: int = 0
    """HTTP attempts made this time."""
    request_id: str | None = None
    """The `X-Request-Id` Ringback sent on the last attempt."""
    server_request_id: str | None = None
    """The server's `x-request-id` on the last answer, if any."""
    error: str | None = None
    """Short, human explanation when not delivered (never contains the API key)."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def delivered(self) -> bool:
        """The sink has the call."""
        return self.status in DONE

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pending(self) -> bool:
        """The entry is still in the outbox's `pending/` folder for this sink."""
        return self.status in KEPT

    def summary(self) -> str:
        """One line, e.g. `primary: delivered (HTTP 201)`."""
        text = f"{self.sink}: {self.status.value}"
        if self.http_status is not None and not (self.error or "").startswith("HTTP"):
            text += f" (HTTP {self.http_status})"
        if self.error:
            text += f" ({self.error})"
        return text


class SubmitResult(BaseModel):
    """What `Delivery.submit` did with one call."""

    call_id: str
    persisted: bool = False
    """The call was written to the outbox before sending."""
    persist_error: str | None = None
    disabled: bool = False
    """Delivery is turned off (`RINGBACK_ENABLED=false`): nothing was done."""
    outcomes: list[SinkOutcome] = Field(default_factory=list)
    error: str | None = None
    """An unexpected error in Ringback itself (logged with its traceback)."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def delivered(self) -> bool:
        """Every sink has the call."""
        return bool(self.outcomes) and all(o.delivered for o in self.outcomes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pending(self) -> bool:
        """Some sink's entry is still waiting in the outbox."""
        return any(o.pending for o in self.outcomes)

    def summary(self) -> str:
        """One human line about what happened to the call."""
        head = f"call {self.call_id!r}"
        if self.disabled:
            return f"{head}: not sent, delivery is disabled (RINGBACK_ENABLED=false)"
        if self.error and not self.outcomes:
            return f"{head}: not handled ({self.error})"
        verdict = (
            "delivered"
            if self.delivered
            else ("kept in the outbox, retried later" if self.pending else "not delivered")
        )
        text = f"{head}: {verdict}; " + "; ".join(o.summary() for o in self.outcomes)
        if not self.persisted and self.persist_error:
            text += f" [not saved to the outbox: {self.persist_error}]"
        return text


class FlushReport(BaseModel):
    """What `Delivery.flush` did."""

    outcomes: list[SinkOutcome] = Field(default_factory=list)
    remaining: dict[str, int] = Field(default_factory=dict)
    """Per sink: entries still pending when the flush ended."""
    disabled: bool = False
    error: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def delivered(self) -> int:
        return sum(o.delivered for o in self.outcomes)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pending(self) -> int:
        return sum(self.remaining.values())

    def summary(self) -> str:
        """One human line, e.g. `3 delivered, 1 still pending (backup: 1)`."""
        if self.disabled:
            return "nothing sent: delivery is disabled (RINGBACK_ENABLED=false)"
        text = f"{self.delivered} delivered, {self.pending} still pending"
        left = ", ".join(f"{sink}: {n}" for sink, n in self.remaining.items() if n)
        if left:
            text += f" ({left})"
        if self.error:
            text += f"; error: {self.error}"
        return text
