"""Durable delivery: the outbox on disk and the uploader that empties it.

Every finished call is written to the outbox before the first network attempt and leaves it
only once a sink has it (2xx or 409). See `Delivery`.
"""

from .delivery import Delivery
from .envelope import CorruptEntry, Envelope, build_envelope, entry_key, parse_envelope
from .outbox import DEAD, PENDING, QUARANTINE, EntryRef, Outbox, PersistResult
from .policy import RetryPolicy, Verdict, parse_retry_after, verdict_for
from .results import DeliveryStatus, FlushReport, SinkOutcome, SubmitResult

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
