"""What a batch tells its display (`Progress`); the displays themselves are in
`ringback.simulator.cli.progress`."""

from __future__ import annotations

from typing import Protocol

from ringback.simulator.batch.outcome import CallOutcome, CallPlaced, RunSummary
from ringback.simulator.plan import PlannedCall, RunPlan


class Progress(Protocol):
    """What the runner tells the display. Also a `CallObserver` (dialling / answered)."""

    def start(self, plan: RunPlan, skipped: int) -> None: ...

    async def dialling(self, call: PlannedCall, attempt: int) -> None: ...

    async def answered(self, call: PlannedCall, placed: CallPlaced) -> None: ...

    def finished(self, call: PlannedCall, outcome: CallOutcome) -> None: ...

    def stopping(self, active: int) -> None: ...

    def close(self, summary: RunSummary) -> None: ...


class QuietProgress:
    """Shows nothing."""

    def start(self, plan: RunPlan, skipped: int) -> None:
        pass

    async def dialling(self, call: PlannedCall, attempt: int) -> None:
        pass

    async def answered(self, call: PlannedCall, placed: CallPlaced) -> None:
        pass

    def finished(self, call: PlannedCall, outcome: CallOutcome) -> None:
        pass

    def stopping(self, active: int) -> None:
        pass

    def close(self, summary: RunSummary) -> None:
        pass
