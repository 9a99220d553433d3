"""Results in the collector's store, so the calls an agent syncs back link to them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from ringback.simulator.batch.outcome import CallOutcome, CallPlaced, RunSummary
from ringback.simulator.plan import PlannedCall, RunPlan
from ringback.simulator.store import Store

from .sink import JsonlRunStore, ResultSink


class CollectorSink:
    """Registers the run, every planned result and each dialled SIP Call-ID in the collector's
    store. A call synced before or after its result is registered links either way."""

    def __init__(self, database_url: str | None, workspace_id: int) -> None:
        self.database_url = database_url
        self.workspace_id = workspace_id
        self._store: Store | None = None

    async def _open(self) -> Store:
        if self._store is None:
            self._store = await Store.open(self.database_url)
        return self._store

    async def run_started(self, plan: RunPlan, *, skipped: Sequence[CallOutcome]) -> None:
        store = await self._open()
        ws = self.workspace_id
        if await store.get_run(ws, plan.run_id) is None:  # a resumed run is already there
            await store.create_run(ws, run_id=plan.run_id, name=plan.suite)
        for call in plan.calls:
            await store.register_result(
                ws,
                plan.run_id,
                call.result_id,
                scenario_id=call.scenario_id,
                attempt=call.repeat,
                metadata={"headers": sorted(call.headers)},
            )

    async def call_placed(self, call: PlannedCall, placed: CallPlaced) -> None:
        if placed.sip_call_id:
            store = await self._open()
            await store.set_dialled_call_id(self.workspace_id, call.result_id, placed.sip_call_id)

    async def call_finished(self, call: PlannedCall, outcome: CallOutcome) -> None:
        if not outcome.sip_call_id:
            return
        store = await self._open()
        known = await store.get_result(self.workspace_id, call.result_id)
        if known is not None and known.result.dialled_sip_call_id != outcome.sip_call_id:
            await store.set_dialled_call_id(self.workspace_id, call.result_id, outcome.sip_call_id)

    async def run_finished(self, summary: RunSummary) -> None:
        store = await self._open()
        try:
            await store.finish_run(self.workspace_id, summary.run_id)
        finally:
            await store.close()
            self._store = None


class TeeSink:
    """Tells every sink, in order."""

    def __init__(self, *sinks: ResultSink) -> None:
        self.sinks = sinks

    async def run_started(self, plan: RunPlan, *, skipped: Sequence[CallOutcome]) -> None:
        for sink in self.sinks:
            await sink.run_started(plan, skipped=skipped)

    async def call_placed(self, call: PlannedCall, placed: CallPlaced) -> None:
        for sink in self.sinks:
            await sink.call_placed(call, placed)

    async def call_finished(self, call: PlannedCall, outcome: CallOutcome) -> None:
        for sink in self.sinks:
            await sink.call_finished(call, outcome)

    async def run_finished(self, summary: RunSummary) -> None:
        await asyncio.gather(*(sink.run_finished(summary) for sink in self.sinks))


class CollectorRunStore(JsonlRunStore):
    """JSON-lines results (for `--resume`) plus the collector's store (for linking).

    The store is `RINGBACK_COLLECTOR_DATABASE_URL` (default: the local collector's SQLite
    file) and the workspace `RINGBACK_WORKSPACE_ID` (default 1).
    """

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        from ringback.core.settings import load_settings
        from ringback.simulator.collector.settings import CollectorSettings

        self.database_url = CollectorSettings().database_url
        self.workspace_id = load_settings().workspace_id

    def sink(self, run_id: str) -> TeeSink:  # type: ignore[override]
        return TeeSink(super().sink(run_id), CollectorSink(self.database_url, self.workspace_id))
