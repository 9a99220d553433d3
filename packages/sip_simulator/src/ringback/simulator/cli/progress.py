"""The live progress of a batch: a `rich` panel in a terminal, plain lines otherwise."""

from __future__ import annotations

from collections import Counter, deque
from typing import IO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ringback.simulator.batch.outcome import CallOutcome, CallPlaced, OutcomeStatus, RunSummary
from ringback.simulator.batch.progress import Progress
from ringback.simulator.plan import PlannedCall, RunPlan

STATES = ("queued", "dialling", "in call", "done", "failed", "cancelled")


def describe(call: PlannedCall, outcome: CallOutcome) -> str:
    """One line about a finished call."""
    label = f"{call.scenario_id}#{call.repeat}"
    if outcome.status is OutcomeStatus.COMPLETED:
        duration = f" {outcome.duration_s:.1f}s" if outcome.duration_s is not None else ""
        ids = f" {outcome.livekit_call_id or '-'} Call-ID {outcome.sip_call_id or '(unknown)'}"
        return f"completed {label}{duration}{ids} ({outcome.end_reason})"
    tries = f" after {len(outcome.attempts)} attempts" if len(outcome.attempts) > 1 else ""
    return f"{outcome.status.value} {label}: {outcome.reason}{tries}"


def summary_line(summary: RunSummary) -> str:
    parts = [
        f"run {summary.run_id}: {summary.completed} completed",
        f"{summary.failed} failed",
        f"{summary.errors} errors",
        f"{summary.cancelled} cancelled",
    ]
    if summary.not_started:
        parts.append(f"{summary.not_started} not started")
    if summary.skipped:
        parts.append(f"{summary.skipped} skipped (finished earlier)")
    line = ", ".join(parts)
    if summary.error:
        line += f"\nstopped: {summary.error}"
    elif summary.stopped:
        line += f"\nstopped early; continue with --resume {summary.run_id}"
    return line


class _Tally:
    def __init__(self) -> None:
        self.total = 0
        self.state: dict[str, str] = {}
        self.counts: Counter[str] = Counter()

    def start(self, plan: RunPlan) -> None:
        self.total = len(plan.calls)
        for call in plan.calls:
            self.move(call.result_id, "queued")

    def move(self, result_id: str, state: str) -> None:
        old = self.state.get(result_id)
        if old is not None:
            self.counts[old] -= 1
        self.state[result_id] = state
        self.counts[state] += 1

    @property
    def finished(self) -> int:
        return self.counts["done"] + self.counts["failed"] + self.counts["cancelled"]


def _state_of(outcome: CallOutcome) -> str:
    if outcome.status is OutcomeStatus.COMPLETED:
        return "done"
    if outcome.status is OutcomeStatus.CANCELLED:
        return "cancelled"
    return "failed"


class PlainProgress:
    """A line per finished call (and per retry), for logs and CI."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._tally = _Tally()

    def _print(self, text: str) -> None:
        print(text, file=self._out, flush=True)

    def start(self, plan: RunPlan, skipped: int) -> None:
        self._tally.start(plan)
        extra = f" ({skipped} finished earlier, skipped)" if skipped else ""
        self._print(f"run {plan.run_id}: dialling {len(plan.calls)} calls{extra}")

    async def dialling(self, call: PlannedCall, attempt: int) -> None:
        self._tally.move(call.result_id, "dialling")
        if attempt > 1:
            self._print(f"retrying {call.scenario_id}#{call.repeat} (attempt {attempt})")

    async def answered(self, call: PlannedCall, placed: CallPlaced) -> None:
        self._tally.move(call.result_id, "in call")

    def finished(self, call: PlannedCall, outcome: CallOutcome) -> None:
        self._tally.move(call.result_id, _state_of(outcome))
        done, total = self._tally.finished, self._tally.total
        self._print(f"[{done:>{len(str(total))}}/{total}] {describe(call, outcome)}")

    def stopping(self, active: int) -> None:
        self._print(f"stopping: no new calls; hanging up {active} active calls")

    def close(self, summary: RunSummary) -> None:
        self._print(summary_line(summary))


class LiveProgress:
    """Counters per state and the latest events, redrawn in place."""

    def __init__(self, console: Console, *, recent: int = 6) -> None:
        self._console = console
        self._tally = _Tally()
        self._recent: deque[str] = deque(maxlen=recent)
        self._title = ""
        self._live = Live(
            console=console, get_renderable=self._render, refresh_per_second=4, transient=False
        )

    def _render(self) -> RenderableType:
        table = Table(title=self._title, expand=False, show_edge=False)
        for state in STATES:
            table.add_column(state, justify="right")
        table.add_row(*(str(self._tally.counts[state]) for state in STATES))
        lines = [Text(line, overflow="ellipsis", no_wrap=True) for line in self._recent]
        return Group(table, *lines)

    def start(self, plan: RunPlan, skipped: int) -> None:
        self._tally.start(plan)
        extra = f", {skipped} skipped" if skipped else ""
        self._title = f"run {plan.run_id}: {len(plan.calls)} calls{extra}"
        self._live.start()

    async def dialling(self, call: PlannedCall, attempt: int) -> None:
        self._tally.move(call.result_id, "dialling")
        if attempt > 1:
            self._recent.append(f"retrying {call.scenario_id}#{call.repeat} (attempt {attempt})")

    async def answered(self, call: PlannedCall, placed: CallPlaced) -> None:
        self._tally.move(call.result_id, "in call")

    def finished(self, call: PlannedCall, outcome: CallOutcome) -> None:
        self._tally.move(call.result_id, _state_of(outcome))
        self._recent.append(describe(call, outcome))

    def stopping(self, active: int) -> None:
        self._recent.append(f"stopping: no new calls; hanging up {active} active calls")

    def close(self, summary: RunSummary) -> None:
        self._live.stop()
        self._console.print(summary_line(summary))


def progress_for(console: Console) -> Progress:
    """Live in a terminal, plain lines when output is piped or captured."""
    if console.is_terminal and not console.is_dumb_terminal:
        return LiveProgress(console)
    return PlainProgress(console.file)
