"""The background flusher: one tracked task per sink, retrying its pending entries."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ringback.core.settings import Sink

from .policy import RetryPolicy, SinkHealth

logger = logging.getLogger("ringback.delivery")


@dataclass(frozen=True)
class PassResult:
    """What one pass over a sink's pending entries left behind."""

    remaining: int
    """Entries still pending (failed, busy or blocked)."""
    blocked: bool = False
    """The sink refuses our credentials: nothing to do until its settings change."""


RunPass = Callable[[Sink, Callable[[], bool]], Awaitable[PassResult]]


class BackgroundFlusher:
    """Sends what is pending, sink by sink, each with its own backoff.

    Every sink has its own task, so a sink that hangs or fails never delays another. A task
    makes a pass at start (sending what earlier processes left), then sleeps until the sink's
    backoff expires, a periodic rescan is due, or `wake` is called. All tasks are tracked and
    stopped by `stop`.
    """

    def __init__(
        self,
        run_pass: RunPass,
        sinks: list[Sink],
        health: dict[str, SinkHealth],
        policy: RetryPolicy,
        clock: Callable[[], float],
        housekeeping: Callable[[], Coroutine[Any, Any, None]] | None = None,
    ) -> None:
        self._run_pass = run_pass
        self._sinks = sinks
        self._health = health
        self._policy = policy
        self._clock = clock
        self._housekeeping = housekeeping
        self._events = {s.name: asyncio.Event() for s in sinks}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    @property
    def running(self) -> bool:
        return any(not t.done() for t in self._tasks)

    def start(self) -> None:
        """Start the tasks in the running loop (idempotent)."""
        if self.running:
            return
        self._stopping = False
        loop = asyncio.get_running_loop()
        if self._housekeeping is not None:
            self._track(loop.create_task(self._housekeeping(), name="ringback-housekeeping"))
        for sink in self._sinks:
            self._track(loop.create_task(self._work(sink), name=f"ringback-flusher-{sink.name}"))

    def wake(self, sink: str) -> None:
        """Have a sink's task look at its entries now (its backoff still applies)."""
        event = self._events.get(sink)
        if event is not None and self.running:
            event.set()

    async def stop(self, grace: float = 1.0) -> None:
        """Let the tasks finish the entry in hand (up to `grace` seconds), then cancel them."""
        self._stopping = True
        for event in self._events.values():
            event.set()
        tasks = list(self._tasks)
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "ringback: background task %s crashed", task.get_name(), exc_info=task.exception()
            )

    def _should_stop(self) -> bool:
        return self._stopping

    async def _work(self, sink: Sink) -> None:
        health = self._health[sink.name]
        event = self._events[sink.name]
        delay = 0.0
        while not self._stopping:
            if delay > 0:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(event.wait(), delay)
            event.clear()
            if self._stopping:
                return
            now = self._clock()
            if not health.due(now):
                delay = health.next_at - now
                continue
            try:
                result = await self._run_pass(sink, self._should_stop)
            except Exception:
                logger.exception("ringback: flushing sink %r failed unexpectedly", sink.name)
                health.failed(self._clock())
                result = PassResult(remaining=1)
            now = self._clock()
            if not health.due(now):
                delay = health.next_at - now
            elif result.remaining and not result.blocked:
                delay = self._policy.flusher_first_backoff  # busy elsewhere: look again soon
            else:
                delay = self._policy.flusher_rescan
