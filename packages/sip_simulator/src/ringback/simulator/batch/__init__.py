"""Running a batch: concurrency and rate limits, progress, results, stop and resume."""

from .dryrun import dry_run_calls, render_dry_run
from .pacing import TokenBucket
from .progress import LiveProgress, PlainProgress, Progress, QuietProgress, progress_for
from .resume import remaining_calls
from .runner import BatchRunner
from .sink import JsonlRunStore, JsonlSink, MemorySink, ResultSink, read_outcomes

__all__ = [
    "BatchRunner",
    "JsonlRunStore",
    "JsonlSink",
    "LiveProgress",
    "MemorySink",
    "PlainProgress",
    "Progress",
    "QuietProgress",
    "ResultSink",
    "TokenBucket",
    "dry_run_calls",
    "progress_for",
    "read_outcomes",
    "remaining_calls",
    "render_dry_run",
]
