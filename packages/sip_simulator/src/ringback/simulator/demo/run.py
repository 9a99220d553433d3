"""`run_demo`: the whole loop on one machine. The collector on a SQLite file, the bundled suite
against the demo agent (in text transport offline, or over real SIP through a LiveKit server
with `sip=`), results linked in the collector, an offline Pipecat call as production traffic,
then the run's evaluation and reports."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ringback.simulator.batch.outcome import RunSummary
from ringback.simulator.batch.runner import BatchRunner
from ringback.simulator.batch.store_sink import CollectorRunStore
from ringback.simulator.environ import environment
from ringback.simulator.evaluate import RunEvaluation
from ringback.simulator.plan import plan_run
from ringback.simulator.reports import load_run, write_reports
from ringback.simulator.store import Store
from ringback.simulator.suite import parse_suite
from ringback.simulator.suite.models import Suite
from ringback.simulator.text import TextCallSettings, TextTransport

from .agent import AGENT_NAME, DemoSupport
from .collector import WORKSPACE_ID, delivery_env, running_collector
from .quiet import pipecat_available, quiet_livekit, quiet_pipecat

if TYPE_CHECKING:
    from .sip import SipDemoTarget, SipRun

SUITE_FILE = "suite.yaml"


@dataclass
class CallSides:
    """Which sides of one simulated call the collector linked to its result."""

    result_id: str
    scenario_id: str
    agent_call_id: str | None
    caller_call_id: str | None


@dataclass
class PipecatCall:
    call_id: str
    delivered: bool
    stored_id: int | None = None
    """The collector's id for it, when it is stored as unlinked production traffic."""


@dataclass
class DemoResult:
    collector_url: str
    directory: Path
    database: Path
    results_dir: Path
    suite_file: Path
    summary: RunSummary
    evaluation: RunEvaluation
    sides: list[CallSides] = field(default_factory=list)
    pipecat: PipecatCall | None = None
    """None when Pipecat is not installed."""
    reports: list[Path] = field(default_factory=list)
    sip: SipRun | None = None
    """Over SIP: the agent's line and each call's SIP facts."""

    @property
    def ok(self) -> bool:
        """Every call finished, linked on both sides and passed; the Pipecat call stored."""
        linked = all(s.agent_call_id and s.caller_call_id for s in self.sides)
        pipecat_ok = self.pipecat is None or self.pipecat.stored_id is not None
        return (
            self.summary.ok
            and not self.summary.error
            and bool(self.sides)
            and linked
            and self.evaluation.pass_rate == 1.0
            and pipecat_ok
        )


def bundled_suite_text() -> str:
    return resources.files(__package__).joinpath(SUITE_FILE).read_text(encoding="utf-8")


def bundled_suite() -> Suite:
    return parse_suite(bundled_suite_text(), name=SUITE_FILE, env={}).suite


async def run_demo(
    directory: Path, *, with_pipecat: bool = True, sip: SipDemoTarget | None = None
) -> DemoResult:
    """Run the demo with every file under `directory` (created if missing); over SIP through
    `sip`'s LiveKit server when given, else in text transport."""
    suite_text = bundled_suite_text()
    if sip is not None:
        from .sip import sip_suite_text

        suite_text = sip_suite_text(suite_text, sip)
    suite_file = _prepare(directory, suite_text)
    suite = parse_suite(suite_text, name=SUITE_FILE, env={}).suite
    results_dir = directory / "runs"
    report_dir = directory / "reports"
    sip_run = None
    async with running_collector(directory) as collector:
        with environment(delivery_env(collector, directory / "outbox")):
            if sip is None:
                with quiet_livekit():
                    summary = await _text_run(suite, results_dir)
            else:
                from .sip import run_over_sip

                with quiet_livekit():
                    sip_run = await run_over_sip(
                        suite,
                        sip,
                        results_dir,
                        database_url=collector.database_url,
                        workspace_id=WORKSPACE_ID,
                        report_dir=report_dir,
                    )
                summary = sip_run.summary
            pipecat = await _pipecat_call(collector.store) if with_pipecat else None
        if sip_run is None:
            # evaluated once, kept with the run (the collector's pages show it), reported from
            loaded = await load_run(collector.store, WORKSPACE_ID, summary.run_id, suite)
            evaluation, bodies = loaded.evaluation, loaded.bodies
            reports = list(write_reports(evaluation, bodies, report_dir).values())
        else:
            evaluation = sip_run.conclusion.evaluation
            reports = list(sip_run.conclusion.reports.values())
        sides = await _sides(collector.store, summary.run_id)
    return DemoResult(
        collector_url=collector.url,
        directory=directory,
        database=Path(collector.database_url),
        results_dir=results_dir,
        suite_file=suite_file,
        summary=summary,
        evaluation=evaluation,
        sides=sides,
        pipecat=pipecat,
        reports=reports,
        sip=sip_run,
    )


def _prepare(directory: Path, suite_text: str) -> Path:
    """Create `directory` and write the suite it runs into it (to read or re-run)."""
    directory.mkdir(parents=True, exist_ok=True)
    suite_file = directory / SUITE_FILE
    suite_file.write_text(suite_text, encoding="utf-8")
    return suite_file


async def _text_run(suite: Suite, results_dir: Path) -> RunSummary:
    """`ringback-sim run --transport text` over the collector's store (read from the env)."""
    plan = plan_run(suite)
    store = CollectorRunStore(results_dir)
    settings = TextCallSettings(
        agent=DemoSupport,
        agent_name=AGENT_NAME,
        caller_agent_name=suite.livekit.caller_agent_name,
    )
    runner = BatchRunner(suite, TextTransport(settings), sink=store.sink(plan.run_id))
    return await runner.run(plan)


async def _pipecat_call(store: Store) -> PipecatCall | None:
    if not pipecat_available():
        return None
    call_id = f"demo-pipecat-{uuid.uuid4().hex[:12]}"
    with quiet_pipecat():
        from .pipecat_call import PIPECAT_AGENT, run_pipecat_call

        delivered = await run_pipecat_call(call_id)
    stored = await store.list_calls(WORKSPACE_ID, linked=False, agent_id=PIPECAT_AGENT)
    found = next((c.id for c in stored if c.call_id == call_id and c.production), None)
    return PipecatCall(call_id=call_id, delivered=delivered, stored_id=found)


async def _sides(store: Store, run_id: str) -> list[CallSides]:
    return [
        CallSides(
            result_id=linked.result.id,
            scenario_id=linked.result.scenario_id,
            agent_call_id=linked.agent_call.call_id if linked.agent_call else None,
            caller_call_id=linked.caller_call.call_id if linked.caller_call else None,
        )
        for linked in await store.list_results(WORKSPACE_ID, run_id)
    ]


__all__ = ["CallSides", "DemoResult", "PipecatCall", "bundled_suite", "run_demo"]
