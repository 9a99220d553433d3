"""Durable delivery: the outbox on disk and the uploader that empties it.

Every finished call is written to the outbox before the first network attempt and leaves it
only once a sink has it (2xx or 409). See `Delivery`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .delivery import Delivery
    from .envelope import CorruptEntry, Envelope, build_envelope, entry_key, parse_envelope
    from .outbox import DEAD, PENDING, QUARANTINE, EntryRef, Outbox, PersistResult
    from .policy import RetryPolicy, Verdict, parse_retry_after, verdict_for
    from .results import DeliveryStatus, FlushReport, SinkOutcome, SubmitResult

__getattr__ = lazy_exports(
    __name__,
    {
        "Delivery": ".delivery",
        "CorruptEntry": ".envelope",
        "Envelope": ".envelope",
        "build_envelope": ".envelope",
        "entry_key": ".envelope",
        "parse_envelope": ".envelope",
        "DEAD": ".outbox",
        "PENDING": ".outbox",
        "QUARANTINE": ".outbox",
        "EntryRef": ".outbox",
        "Outbox": ".outbox",
        "PersistResult": ".outbox",
        "RetryPolicy": ".policy",
        "Verdict": ".policy",
        "parse_retry_after": ".policy",
        "verdict_for": ".policy",
        "DeliveryStatus": ".results",
        "FlushReport": ".results",
        "SinkOutcome": ".results",
        "SubmitResult": ".results",
    },
)

__all__ = [
    "DEAD",
    "PENDING",
    "QUARANTINE",
    "CorruptEntry",
    "Delivery",
    "DeliveryStatus",
    "EntryRef",
    "Envelope",
    "FlushReport",
    "Outbox",
    "PersistResult",
    "RetryPolicy",
    "SinkOutcome",
    "SubmitResult",
    "Verdict",
    "build_envelope",
    "entry_key",
    "parse_envelope",
    "parse_retry_after",
    "verdict_for",
]
