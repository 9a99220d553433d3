"""The call clock: a monotonic time base with the wall-clock start recorded once."""

from __future__ import annotations

import time


class CallClock:
    """Milliseconds since an origin, on a monotonic clock.

    The wall-clock time of the origin is read once, together with the monotonic reading, so
    offsets never jump when the system clock is adjusted during a call. Frameworks that report
    wall-clock times (LiveKit's `started_speaking_at`) or monotonic ones (Pipecat's pipeline
    clock) are converted with `from_wall` / `from_monotonic_ns`.
    """

    __slots__ = ("_mono_origin_ns", "wall_origin")

    def __init__(self, *, wall_origin: float | None = None, mono_origin_ns: int | None = None):
        self._mono_origin_ns = time.monotonic_ns() if mono_origin_ns is None else mono_origin_ns
        self.wall_origin = time.time() if wall_origin is None else wall_origin
        """Unix seconds at the origin."""

    def now_ms(self) -> float:
        """Milliseconds since the origin."""
        return (time.monotonic_ns() - self._mono_origin_ns) / 1e6

    def from_wall(self, unix_seconds: float) -> float:
        """Offset in ms of a wall-clock time (unix seconds)."""
        return (unix_seconds - self.wall_origin) * 1000.0

    def from_monotonic_ns(self, monotonic_ns: int) -> float:
        """Offset in ms of a `time.monotonic_ns()` reading."""
        return (monotonic_ns - self._mono_origin_ns) / 1e6

    def to_wall(self, offset_ms: float) -> float:
        """Unix seconds of an offset."""
        return self.wall_origin + offset_ms / 1000.0
