"""Running a batch over any `Transport`: concurrency and rate limits, progress, results,
stop and resume, and the outcome of each call (`outcome`)."""

from .pacing import TokenBucket
from .progress import Progress, QuietProgress
from .resume import remaining_calls
from .runner import BatchRunner
from .sink import JsonlRunStore, JsonlSink, MemorySink, ResultSink, read_outcomes
from .transport import CallObserver, Transport

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
