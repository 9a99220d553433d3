"""`TextTransport`: a batch's calls played in-process in text mode, with no telephony.

The same plan as a dialled run (run id, result ids, scenario ids, headers) and the same
outcomes; the suite's concurrency limit applies, its calls-per-second limit (which protects
a SIP trunk) does not.
"""

from __future__ import annotations

import asyncio

from ringback.simulator.batch.outcome import CallOutcome
from ringback.simulator.batch.transport import CallObserver, Pace
from ringback.simulator.plan import PlannedCall
from ringback.simulator.suite.models import Suite

from .call import TextCallSettings, run_text_call


class TextTransport:
    """Plays each call against the in-process agent `settings.agent` (`run_text_call`)."""

    paced = False

    def __init__(self, settings: TextCallSettings) -> None:
        self.settings = settings
        self._observer: CallObserver | None = None
        self._stop = asyncio.Event()

    async def open(
        self, suite: Suite, observer: CallObserver, *, pace: Pace, stop: asyncio.Event
    ) -> str | None:
        self._observer = observer
        self._stop = stop
        return None

    async def place(self, call: PlannedCall) -> CallOutcome:
        return await run_text_call(call, self.settings, observer=self._observer, stop=self._stop)
