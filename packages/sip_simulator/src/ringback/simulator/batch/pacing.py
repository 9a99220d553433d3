"""A calls-per-second token bucket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

_EPSILON = 1e-9


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; `take()` waits for one.

    With the default burst of 1, the n-th take (0-based) returns no earlier than
    `first + n / rate`. `clock` and `sleep` are injectable for tests.
    """

    def __init__(
        self,
        rate: float,
        *,
        burst: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._tokens = burst
        self._last = clock()
        self._lock = asyncio.Lock()

    async def take(self) -> float:
        """Wait for a token; returns the clock time it was granted."""
        async with self._lock:
            while True:
                now = self._clock()
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1 - _EPSILON:  # float refills land a hair short of 1
                    self._tokens = max(0.0, self._tokens - 1)
                    return now
                await self._sleep((1 - self._tokens) / self.rate)
