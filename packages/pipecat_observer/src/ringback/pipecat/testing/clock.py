"""`ManualClock`: pipeline time that moves only when told to, so every timestamp is exact."""

from __future__ import annotations

from pipecat.clocks.base_clock import BaseClock
from ringback.core.timeline import CallClock

WALL_ORIGIN = 1_750_000_000.0
"""Unix seconds at pipeline time 0 (2025-06-15T15:06:40Z)."""


class ManualClock(BaseClock):
    """A pipeline clock that only moves when told to (`set_ms`, `advance_ms`).

    Give it to a `PipelineWorker(clock=...)`; the scripted services advance it where real
    ones take time, and report metrics against its fake wall clock (`wall()`).
    """

    def __init__(self, wall_origin: float = WALL_ORIGIN) -> None:
        self.wall_origin = wall_origin
        self._ns = 0

    def get_time(self) -> int:
        return self._ns

    def start(self) -> None:
        pass

    @property
    def ms(self) -> float:
        """Pipeline time now, in milliseconds."""
        return self._ns / 1e6

    def set_ms(self, ms: float) -> None:
        """Move to `ms`; never backwards."""
        ns = round(ms * 1e6)
        if ns < self._ns:
            raise ValueError(f"the clock cannot go back from {self.ms} ms to {ms} ms")
        self._ns = ns

    def advance_ms(self, ms: float) -> None:
        self._ns += round(ms * 1e6)

    def wall(self) -> float:
        """The fake wall-clock time (unix seconds) of now, for services' metrics."""
        return self.wall_origin + self._ns / 1e9


def call_clock(clock: ManualClock | None = None) -> CallClock:
    """The time base to give `RingbackObserver(clock=...)` for a `ManualClock` pipeline, so
    the synced call's times are the pipeline's (pipeline time 0 is the clock's wall origin)."""
    origin = clock.wall_origin if clock is not None else WALL_ORIGIN
    return CallClock(wall_origin=origin, mono_origin_ns=0)


__all__ = ["WALL_ORIGIN", "ManualClock", "call_clock"]
