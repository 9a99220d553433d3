"""Run a planned batch over any `Transport`: bounded concurrency, a calls-per-second limit,
per-call failures, graceful stop (hang up what is active, keep what finished) and resume."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timezone

from ringback.simulator.plan import PlannedCall, RunPlan
from ringback.simulator.suite.models import Suite

from .outcome import CallOutcome, CallPlaced, FailureKind, RunSummary
from .pacing import TokenBucket
from .progress import Progress, QuietProgress
from .resume import remaining_calls
from .sink import ResultSink
from .transport import Transport

log = logging.getLogger(__name__)


class _Observer:
    """Forwards the transport's events to the display and the sink."""

    def __init__(
        self, sink: ResultSink, progress: Progress, on_error: Callable[[str], None]
    ) -> None:
        self._sink = sink
        self._progress = progress
        self._on_error = on_error

    async def dialling(self, call: PlannedCall, attempt: int) -> None:
        await self._progress.dialling(call, attempt)

    async def answered(self, call: PlannedCall, placed: CallPlaced) -> None:
        await self._progress.answered(call, placed)
        try:
            await self._sink.call_placed(call, placed)
        except Exception as exc:  # the call goes on; the batch stops
            log.exception("could not record call %s", call.result_id)
            self._on_error(f"could not record a result ({type(exc).__name__}: {exc})")


class BatchRunner:
    """Places every call of a plan through `transport` and reports each to a `ResultSink`.

    `BatchRunner(suite, SipTransport(lkapi, fingerprint_key=...), sink=...)` dials through
    LiveKit; `BatchRunner(suite, TextTransport(settings), sink=...)` plays the calls
    in-process. `concurrency` and `calls_per_second` default to the suite's run settings (the
    rate limit only paces a transport that says it is `paced`). A call that fails stays a
    failed result; only a refused LiveKit key (or a sink that cannot record) stops the batch.
    `stop()` (the CLI's Ctrl-C) starts no new call and hangs up active ones.
    """

    def __init__(
        self,
        suite: Suite,
        transport: Transport,
        *,
        sink: ResultSink,
        progress: Progress | None = None,
        concurrency: int | None = None,
        calls_per_second: float | None = None,
        cleanup_timeout_s: float = 30.0,
        bucket: TokenBucket | None = None,
    ) -> None:
        self.suite = suite
        self.transport = transport
        self._sink = sink
        self._progress: Progress = progress or QuietProgress()
        self.concurrency = concurrency or suite.run.concurrency
        self.calls_per_second = calls_per_second or suite.run.calls_per_second
        if self.concurrency < 1 or self.calls_per_second <= 0:
            raise ValueError("concurrency must be at least 1 and calls_per_second positive")
        self._cleanup_timeout_s = cleanup_timeout_s
        self._bucket = bucket
        self._stop = asyncio.Event()
        self._error: str | None = None
        self._active: set[asyncio.Task[None]] = set()
        self._outcomes: list[CallOutcome] = []

    @property
    def active(self) -> int:
        """Calls in progress (from room creation to room deletion)."""
        return len(self._active)

    def stop(self, error: str | None = None) -> None:
        """Stop dialling and hang up active calls. `error`: why, when it is not the user."""
        if error and self._error is None:
            self._error = error
        if not self._stop.is_set():
            self._stop.set()
            self._progress.stopping(len(self._active))

    async def run(self, plan: RunPlan, *, previous: Sequence[CallOutcome] = ()) -> RunSummary:
        """Place the plan's calls that have not finished in `previous` (a resumed run).

        Raises what the transport's `open` raises (SIP: `LiveKitAccessError` / `TrunkError`)
        before anything is placed. Cancelling the task (a second Ctrl-C) still hangs up what
        it can.
        """
        started_at = datetime.now(timezone.utc)
        self._outcomes = []
        todo, skipped = remaining_calls(plan, previous)
        bucket = self._bucket or TokenBucket(self.calls_per_second)
        trunk_id: str | None = None
        if todo:
            observer = _Observer(self._sink, self._progress, self.stop)
            trunk_id = await self.transport.open(
                self.suite, observer, pace=bucket.take, stop=self._stop
            )
        todo_plan = RunPlan(run_id=plan.run_id, suite=plan.suite, calls=todo)
        await self._sink.run_started(todo_plan, skipped=skipped)
        self._progress.start(todo_plan, len(skipped))

        try:
            if todo:
                await self._place_all(todo, bucket)
            if self._active:
                await asyncio.wait(set(self._active))
        except asyncio.CancelledError:
            self.stop()
            await self._wind_down()
            await self._finish(plan, todo, skipped, started_at, trunk_id)
            raise
        return await self._finish(plan, todo, skipped, started_at, trunk_id)

    async def _place_all(self, todo: list[PlannedCall], bucket: TokenBucket) -> None:
        slots = asyncio.Semaphore(self.concurrency)
        paced = self.transport.paced
        for call in todo:
            await slots.acquire()  # freed as calls end; on stop, active calls end promptly
            if self._stop.is_set() or (paced and not await self._unless_stopped(bucket.take())):
                slots.release()
                break
            task = asyncio.create_task(self._one(call), name=f"call-{call.result_id}")
            self._active.add(task)
            task.add_done_callback(functools.partial(self._call_ended, slots=slots))

    def _call_ended(self, task: asyncio.Task[None], *, slots: asyncio.Semaphore) -> None:
        self._active.discard(task)
        slots.release()

    async def _one(self, call: PlannedCall) -> None:
        outcome = await self.transport.place(call)
        self._outcomes.append(outcome)
        try:
            await self._sink.call_finished(call, outcome)
        except Exception as exc:
            log.exception("could not record call %s", call.result_id)
            self.stop(f"could not record a result ({type(exc).__name__}: {exc})")
        self._progress.finished(call, outcome)
        if outcome.failure_kind is FailureKind.LIVEKIT_ACCESS:
            self.stop(outcome.reason)

    async def _unless_stopped(self, awaitable: Awaitable[object]) -> bool:
        """Await `awaitable` unless the batch stops first (then False)."""
        task = asyncio.ensure_future(awaitable)
        waiter = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            if not task.done():
                task.cancel()
        return task.done() and not task.cancelled() and not self._stop.is_set()

    async def _wind_down(self) -> None:
        """After a cancellation: give active calls time to hang up, then cancel the rest."""
        if not self._active:
            return
        _, pending = await asyncio.wait(set(self._active), timeout=self._cleanup_timeout_s)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending, timeout=5)

    async def _finish(
        self,
        plan: RunPlan,
        todo: list[PlannedCall],
        skipped: list[CallOutcome],
        started_at: datetime,
        trunk_id: str | None,
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
            trunk_id=trunk_id,
        )
        await self._sink.run_finished(summary)
        self._progress.close(summary)
        return summary
