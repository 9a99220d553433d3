"""Where a batch reports each call: the `ResultSink` protocol, an in-memory sink and a
JSON-lines file sink (one record per line, appended, readable back for `--resume`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ringback.simulator.batch.outcome import CallOutcome, CallPlaced, RunSummary
from ringback.simulator.plan import PlannedCall, RunPlan, masked


@runtime_checkable
class ResultSink(Protocol):
    """Receives a batch's progress, in order, from the runner."""

    async def run_started(self, plan: RunPlan, *, skipped: Sequence[CallOutcome]) -> None:
        """`plan.calls` are the calls about to be dialled; `skipped` finished in an earlier
        invocation of the same run (`--resume`)."""

    async def call_placed(self, call: PlannedCall, placed: CallPlaced) -> None:
        """The call was answered."""

    async def call_finished(self, call: PlannedCall, outcome: CallOutcome) -> None:
        """The call is over (completed, failed, error or cancelled) and its room deleted."""

    async def run_finished(self, summary: RunSummary) -> None: ...


class MemorySink:
    """Keeps everything in lists; `wait_until` lets tests wait on what arrived."""

    def __init__(self) -> None:
        self.plans: list[RunPlan] = []
        self.skipped: list[CallOutcome] = []
        self.placed: list[CallPlaced] = []
        self.outcomes: list[CallOutcome] = []
        self.summaries: list[RunSummary] = []
        self._changed = asyncio.Condition()

    async def run_started(self, plan: RunPlan, *, skipped: Sequence[CallOutcome]) -> None:
        self.plans.append(plan)
        self.skipped.extend(skipped)
        await self._notify()

    async def call_placed(self, call: PlannedCall, placed: CallPlaced) -> None:
        self.placed.append(placed)
        await self._notify()

    async def call_finished(self, call: PlannedCall, outcome: CallOutcome) -> None:
        self.outcomes.append(outcome)
        await self._notify()

    async def run_finished(self, summary: RunSummary) -> None:
        self.summaries.append(summary)
        await self._notify()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(wait(), timeout)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()


def _record(kind: str, **fields: Any) -> str:
    at = datetime.now(timezone.utc).isoformat()
    return json.dumps({"type": kind, "at": at, **fields}, separators=(",", ":")) + "\n"


class JsonlSink:
    """Appends one JSON record per event to `path`. Header values that look secret are
    masked; the SIP password is never part of any record."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _write(self, line: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as file:
            file.write(line)

    async def run_started(self, plan: RunPlan, *, skipped: Sequence[CallOutcome]) -> None:
        calls = [
            {
                "result_id": c.result_id,
                "scenario_id": c.scenario_id,
                "repeat": c.repeat,
                "room_name": c.room_name,
                "headers": masked(c.headers),
            }
            for c in plan.calls
        ]
        self._write(
            _record(
                "run_started",
                run_id=plan.run_id,
                suite=plan.suite,
                calls=calls,
                skipped=[o.result_id for o in skipped],
            )
        )

    async def call_placed(self, call: PlannedCall, placed: CallPlaced) -> None:
        self._write(_record("call_placed", run_id=call.run_id, **placed.model_dump(mode="json")))

    async def call_finished(self, call: PlannedCall, outcome: CallOutcome) -> None:
        self._write(_record("call_finished", outcome=outcome.model_dump(mode="json")))

    async def run_finished(self, summary: RunSummary) -> None:
        self._write(_record("run_finished", summary=summary.model_dump(mode="json")))


def read_outcomes(path: Path) -> list[CallOutcome]:
    """The latest outcome of every call recorded in a JSON-lines file."""
    latest: dict[str, CallOutcome] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if record.get("type") == "call_finished":
            outcome = CallOutcome.model_validate(record["outcome"])
            latest[outcome.result_id] = outcome
    return list(latest.values())


class JsonlRunStore:
    """Runs as `<directory>/<run_id>.jsonl`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, run_id: str) -> Path:
        return self.directory / f"{run_id}.jsonl"

    def sink(self, run_id: str) -> JsonlSink:
        return JsonlSink(self.path(run_id))

    def previous(self, run_id: str) -> list[CallOutcome]:
        path = self.path(run_id)
        if not path.exists():
            raise LookupError(f"no results for run {run_id} in {self.directory}")
        return read_outcomes(path)
