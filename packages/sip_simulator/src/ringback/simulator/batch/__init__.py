"""Running a batch over any `Transport`: concurrency and rate limits, progress, results,
stop and resume, and the outcome of each call (`outcome`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .pacing import TokenBucket
    from .progress import Progress, QuietProgress
    from .resume import remaining_calls
    from .runner import BatchRunner
    from .sink import JsonlRunStore, JsonlSink, MemorySink, ResultSink, read_outcomes
    from .transport import CallObserver, Transport

__getattr__ = lazy_exports(
    __name__,
    {
        "TokenBucket": ".pacing",
        "Progress": ".progress",
        "QuietProgress": ".progress",
        "remaining_calls": ".resume",
        "BatchRunner": ".runner",
        "JsonlRunStore": ".sink",
        "JsonlSink": ".sink",
        "MemorySink": ".sink",
        "ResultSink": ".sink",
        "read_outcomes": ".sink",
        "CallObserver": ".transport",
        "Transport": ".transport",
    },
)

__all__ = [
    "BatchRunner",
    "CallObserver",
    "JsonlRunStore",
    "JsonlSink",
    "MemorySink",
    "Progress",
    "QuietProgress",
    "ResultSink",
    "TokenBucket",
    "Transport",
    "read_outcomes",
    "remaining_calls",
]
