"""`TextBatchRunner`: a planned batch run in-process, in text mode, with no telephony.

The same plan as a dialled run (run id, result ids, scenario ids, headers) and the same
`ResultSink` events and outcomes; the suite's concurrency limit applies, its calls-per-second
limit (which protects a SIP trunk) does not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timezone

from ringback.simulator.batch.progress import Progress, QuietProgress
from ringback.simulator.batch.resume import remaining_calls
from ringback.simulator.batch.sink import ResultSink
from ringback.simulator.dial.outcome import CallOutcome, CallPlaced, RunSummary
from ringback.simulator.plan import PlannedCall, RunPlan
from ringback.simulator.suite.models import Suite

from .call import TextCallSettings, run_text_call

log = logging.getLogger("ringback.simulator.text")


class _Observer:
    def __init__(self, runner: TextBatchRunner) -> None:
        self._runner = runner

    async def dialling(self, call: PlannedCall, attempt: int) -> None:
        await self._runner._progress.dialling(call, attempt)

    async def answered(self, call: PlannedCall, placed: CallPlaced) -> None:
        await self._runner._progress.answered(call, placed)
        try:
            await self._runner._sink.call_placed(call, placed)
        except Exception as exc:
            log.exception("could not record call %s", call.result_id)
            self._runner.stop(f"could not record a result ({type(exc).__name__}: {exc})")


class TextBatchRunner:
    """Plays every call of a plan against an in-process agent and reports each to a sink.

    `stop()` starts no new calls and hangs up the active ones (`cancelled`).
    """

    def __init__(
        self,
        suite: Suite,
        settings: TextCallSettings,
        *,
        sink: ResultSink,
        progress: Progress | None = None,
        concurrency: int | None = None,
    ) -> None:
        self.suite = suite
        self.settings = settings
        self.concurrency = concurrency or suite.run.concurrency
        self._sink = sink
        self._progress: Progress = progress or QuietProgress()
        self._stop = asyncio.Event()
        self._error: str | None = None
        self._outcomes: list[CallOutcome] = []
        self._active = 0

    def stop(self, error: str | None = None) -> None:
        if error and self._error is None:
            self._error = error
        if not self._stop.is_set():
            self._stop.set()
            self._progress.stopping(self._active)

    async def run(self, plan: RunPlan, *, previous: Sequence[CallOutcome] = ()) -> RunSummary:
        """Play the plan's calls that have not finished in `previous` (a resumed run)."""
        started_at = datetime.now(timezone.utc)
        self._outcomes = []
        todo, skipped = remaining_calls(plan, previous)
        todo_plan = RunPlan(run_id=plan.run_id, suite=plan.suite, calls=todo)
        await self._sink.run_started(todo_plan, skipped=skipped)
        self._progress.start(todo_plan, len(skipped))
        slots = asyncio.Semaphore(self.concurrency)
        observer = _Observer(self)

        async def one(call: PlannedCall) -> None:
            async with slots:
                if self._stop.is_set():
                    return
                self._active += 1
                try:
                    outcome = await run_text_call(
                        call, self.settings, observer=observer, stop=self._stop
                    )
                finally:
                    self._active -= 1
            self._outcomes.append(outcome)
            try:
                await self._sink.call_finished(call, outcome)
            except Exception as exc:
                log.exception("could not record call %s", call.result_id)
                self.stop(f"could not record a result ({type(exc).__name__}: {exc})")
            self._progress.finished(call, outcome)

        tasks = [asyncio.create_task(one(call), name=f"text-{call.result_id}") for call in todo]
        try:
            if tasks:
                await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            self.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._finish(plan, todo, skipped, started_at)
            raise
        return await self._finish(plan, todo, skipped, started_at)

    async def _finish(
        self,
        plan: RunPlan,
        todo: list[PlannedCall],
        skipped: list[CallOutcome],
        started_at: datetime,
    ) -> RunSummary:
        summary = RunSummary.tally(
            run_id=plan.run_id,
            suite=plan.suite,
            planned=len(todo),
            skipped=len(skipped),
            outcomes=self._outcomes,
            stopped=self._stop.is_set(),
            error=self._error,
            started_at=started_at,
        )
        await self._sink.run_finished(summary)
        self._progress.close(summary)
        return summary


__all__ = ["TextBatchRunner"]
