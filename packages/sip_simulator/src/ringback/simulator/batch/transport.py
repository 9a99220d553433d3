"""`Transport`: how a batch places its calls. The runner is the same for every transport.

`ringback.simulator.dial.SipTransport` dials through the LiveKit SIP API;
`ringback.simulator.text.TextTransport` plays each call in-process in text mode. A new
transport is one class with these two methods.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from ringback.simulator.plan import PlannedCall
from ringback.simulator.suite.models import Suite

from .outcome import CallOutcome, CallPlaced

Pace = Callable[[], Awaitable[object]]
"""Waits for a calls-per-second token (the runner's rate limit)."""


class CallObserver(Protocol):
    """Told about each attempt and each answer (the progress display and the result sink)."""

    async def dialling(self, call: PlannedCall, attempt: int) -> None: ...

    async def answered(self, call: PlannedCall, placed: CallPlaced) -> None: ...


class Transport(Protocol):
    """Places a batch's calls. `open` once per run, then `place` each call (concurrently)."""

    paced: bool
    """Whether the calls-per-second limit applies (it protects a SIP trunk)."""

    async def open(
        self, suite: Suite, observer: CallObserver, *, pace: Pace, stop: asyncio.Event
    ) -> str | None:
        """Get ready before the first call; returns the SIP trunk the calls use, if any.

        Raises for a set-up that cannot work, before anything is placed. `pace` paces
        retried attempts; once `stop` is set, calls in progress hang up promptly.
        """
        ...

    async def place(self, call: PlannedCall) -> CallOutcome:
        """Place `call` and follow it to its end; a failure comes back in the outcome."""
        ...
