"""What `ringback-sim run` does: load and plan the suite, check the setup, run the batch over
its transport, then evaluate, report and hold the run to its bar."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

from ringback.simulator.batch.outcome import CallOutcome, OutcomeStatus, RunSummary
from ringback.simulator.batch.progress import Progress
from ringback.simulator.batch.resume import remaining_calls
from ringback.simulator.batch.runner import BatchRunner
from ringback.simulator.batch.sink import JsonlRunStore, ResultSink
from ringback.simulator.batch.transport import Transport
from ringback.simulator.dial.connection import (
    LiveKitAccessError,
    LiveKitConfigError,
    LiveKitConnection,
    LiveKitUnreachableError,
)
from ringback.simulator.dial.dryrun import dry_run_calls, render_dry_run
from ringback.simulator.dial.transport import SipTransport
from ringback.simulator.dial.trunks import TrunkError
from ringback.simulator.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE
from ringback.simulator.plan import HeaderPlanError, RunPlan, plan_run
from ringback.simulator.suite import SuiteError, load_suite
from ringback.simulator.suite.models import Suite

from .console import fail, say
from .options import check_baseline_options
from .progress import progress_for
from .run import RunStore, TransportKind

if TYPE_CHECKING:
    from ringback.simulator.batch.conclude import Conclusion
    from ringback.simulator.evaluate.compare import Comparison
    from ringback.simulator.text import AgentFactory


def run_batch(
    store_factory: Callable[[Path], RunStore] | None,
    *,
    suite_file: Path,
    dry_run: bool,
    filter_: list[str] | None,
    tag: list[str] | None,
    resume: str | None,
    concurrency: int | None,
    calls_per_second: float | None,
    poll_interval: float,
    results_dir: Path,
    as_json: bool,
    transport: TransportKind,
    agent: str | None,
    agent_llm: str | None,
    agent_name: str | None,
    report_dir: Path | None,
    fail_under: float | None,
    link_timeout: float | None,
    baseline: str | None,
    fail_on_regression: bool,
) -> None:
    """Dial every scenario of `suite_file` through the LiveKit SIP API (or, with
    `--transport text`, play them in-process against `agent`); exits with the run's code."""
    out, err = Console(), Console(stderr=True)
    factory = _agent_factory(transport, agent, agent_llm, agent_name, err)
    suite = _load(suite_file, err)
    plan = _plan(suite, resume, filter_ or [], tag or [], err)
    store = (store_factory or JsonlRunStore)(results_dir)
    previous = _previous(store, resume, err) if resume else []
    if dry_run:
        todo, skipped = remaining_calls(plan, previous)
        shown = RunPlan(run_id=plan.run_id, suite=plan.suite, calls=todo)
        if as_json:
            print(json.dumps(dry_run_calls(shown), indent=2))
        else:
            print(render_dry_run(suite, shown))
            if skipped:
                print(f"\n{len(skipped)} calls finished earlier and are skipped")
        return
    _check_judge(store, suite, err)
    _check_baseline(store, baseline, fail_on_regression, err)

    def finish(summary: RunSummary) -> int:
        return _finish(
            store,
            suite,
            plan.run_id,
            summary,
            transport=transport,
            link_timeout=link_timeout,
            fail_under=fail_under,
            report_dir=report_dir or results_dir,
            out=out,
            baseline=baseline,
            fail_on_regression=fail_on_regression,
        )

    evaluated = isinstance(getattr(store, "workspace_id", None), int)
    if evaluated:
        _check_database(getattr(store, "database_url", None), err)
    embedded = factory is not None and evaluated and not os.environ.get("RINGBACK_BASE_URL")
    if evaluated and not embedded:
        problem = _unreachable_collector()
        if problem is not None:
            fail(err, f"{problem}")
    if factory is not None:
        opening = _text_transport(
            suite,
            factory,
            agent_llm=agent_llm,
            agent_name=agent_name,
            embedded=embedded,
            err=err,
        )
    else:
        try:
            connection = LiveKitConnection.from_env()
        except LiveKitConfigError as exc:
            fail(err, str(exc), exc=exc)
        opening = _sip_transport(
            connection, concurrency or suite.run.concurrency, poll_interval_s=poll_interval
        )
    try:
        summary = asyncio.run(
            _execute(
                suite,
                plan,
                previous,
                opening,
                store.sink(plan.run_id),
                progress_for(out),
                concurrency=concurrency,
                calls_per_second=calls_per_second,
                err=err,
            )
        )
    except (LiveKitUnreachableError, LiveKitAccessError, TrunkError) as exc:
        fail(err, str(exc), exc=exc)
    except (KeyboardInterrupt, asyncio.CancelledError):
        say(err, f"interrupted; continue with --resume {plan.run_id}")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    raise typer.Exit(finish(summary))


def _agent_factory(
    transport: TransportKind,
    agent: str | None,
    agent_llm: str | None,
    agent_name: str | None,
    err: Console,
) -> AgentFactory | None:
    """The `--agent` factory for a text run (None for SIP); exits on a bad combination."""
    if transport is TransportKind.SIP:
        from ringback.simulator.text.agent_ref import text_only_flags_error

        error = text_only_flags_error(agent, agent_llm, agent_name)
        if error is not None:
            fail(err, f"{error}")
        return None
    if not agent:
        fail(err, "--transport text needs --agent module:Class (the Agent to test)")
    from ringback.simulator.text import AgentImportError, load_agent

    try:
        return load_agent(agent)
    except AgentImportError as exc:
        fail(err, str(exc), exc=exc)


@contextlib.asynccontextmanager
async def _text_transport(
    suite: Suite,
    factory: AgentFactory,
    *,
    agent_llm: str | None,
    agent_name: str | None,
    embedded: bool,
    err: Console,
) -> AsyncIterator[Transport]:
    from ringback.simulator.text import TextCallSettings, TextTransport

    settings = TextCallSettings(
        agent=factory,
        agent_llm=agent_llm or suite.caller.llm,
        agent_name=agent_name,
        caller_agent_name=suite.livekit.caller_agent_name,
    )
    if not embedded:
        yield TextTransport(settings)
        return
    async with _embedded_collector(err):
        yield TextTransport(settings)


@contextlib.asynccontextmanager
async def _embedded_collector(err: Console) -> AsyncIterator[None]:
    """The collector over the run's store, in this process on a free loopback port, with
    Ringback's delivery pointed at it for the run (no key needed on loopback)."""
    from ringback.simulator.collector.embedded import embedded_collector
    from ringback.simulator.collector.settings import CollectorSettings
    from ringback.simulator.environ import environment

    settings = CollectorSettings(host="127.0.0.1", port=0, no_auth=True)
    async with embedded_collector(settings) as collector:
        say(
            err,
            f"RINGBACK_BASE_URL is unset: this run's calls are collected in-process at "
            f"{collector.url} into {collector.store.description}",
        )
        with environment({"RINGBACK_BASE_URL": collector.url}):
            yield


def _check_database(url: str | None, err: Console) -> None:
    """Exit with one line when the store's URL cannot be used (a bad URL, a missing driver)."""
    from ringback.simulator.store import check_driver, database_url, default_database_url

    try:
        check_driver(database_url(url or default_database_url()))
    except ValueError as exc:
        fail(err, f"{exc} (RINGBACK_COLLECTOR_DATABASE_URL)", exc=exc)


def _unreachable_collector() -> str | None:
    """Why Ringback's delivery (RINGBACK_BASE_URL) cannot reach a collector, or None."""
    import httpx

    from ringback.core.settings import load_settings

    try:
        base_url = load_settings().base_url
    except ValueError:
        return None  # a settings typo: delivery itself says what is wrong and keeps the calls
    shown = httpx.URL(base_url).copy_with(username=None, password=None)
    try:
        httpx.get(f"{base_url.rstrip('/')}/healthz", timeout=5.0)
    except httpx.TransportError as exc:
        return (
            f"no collector answers at {shown} (RINGBACK_BASE_URL; {type(exc).__name__}), so "
            "no call could be synced or evaluated: start one with `ringback-sim serve` in "
            "another terminal, or point RINGBACK_BASE_URL at yours"
        )
    return None


@contextlib.asynccontextmanager
async def _sip_transport(
    connection: LiveKitConnection, concurrency: int, *, poll_interval_s: float
) -> AsyncIterator[Transport]:
    async with connection.open(concurrency=concurrency) as lkapi:
        yield SipTransport(
            lkapi, fingerprint_key=connection.api_secret, poll_interval_s=poll_interval_s
        )


async def _execute(
    suite: Suite,
    plan: RunPlan,
    previous: Sequence[CallOutcome],
    opening: contextlib.AbstractAsyncContextManager[Transport],
    sink: ResultSink,
    progress: Progress,
    *,
    concurrency: int | None,
    calls_per_second: float | None,
    err: Console,
) -> RunSummary:
    async with opening as transport:
        runner = BatchRunner(
            suite,
            transport,
            sink=sink,
            progress=progress,
            concurrency=concurrency,
            calls_per_second=calls_per_second,
        )
        with _interrupts(runner.stop, err):
            return await runner.run(plan, previous=previous)


@contextlib.contextmanager
def _interrupts(stop: Callable[[], None], err: Console) -> Iterator[None]:
    """The first Ctrl-C calls `stop` (no new calls, hang up active ones); the second
    cancels the running task."""
    main = asyncio.current_task()
    presses = 0

    def on_interrupt() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            say(err, "stopping (Ctrl-C again to quit without waiting)")
            stop()
        elif main is not None:
            main.cancel()

    loop = asyncio.get_running_loop()
    handled = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
        handled = True
    try:
        yield
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)


def _load(path: Path, err: Console) -> Suite:
    try:
        loaded = load_suite(path)
    except SuiteError as exc:
        for problem in exc.problems:
            say(err, str(problem))
        raise typer.Exit(EXIT_USAGE) from None
    for warning in loaded.warnings:
        say(err, f"warning: {warning}")
    return loaded.suite


def _plan(
    suite: Suite, run_id: str | None, patterns: Sequence[str], tags: Sequence[str], err: Console
) -> RunPlan:
    try:
        return plan_run(suite, run_id=run_id, patterns=patterns, tags=tags)
    except (HeaderPlanError, ValueError) as exc:
        fail(err, str(exc), exc=exc)


def _previous(store: RunStore, run_id: str, err: Console) -> list[CallOutcome]:
    try:
        return store.previous(run_id)
    except LookupError as exc:
        fail(err, str(exc), exc=exc)


def _exit_code(summary: RunSummary, *, evaluated: bool) -> int:
    """The batch's own code: 1 when it stopped on an error, 130 when interrupted. A run that
    is not evaluated also fails on any failed call; an evaluated one leaves that to the bar."""
    if summary.error:
        return EXIT_FAILED
    if summary.stopped:
        return EXIT_INTERRUPTED
    return 0 if summary.ok or evaluated else EXIT_FAILED


def _unevaluated_exit_code(suite: Suite, flag: float | None, code: int, out: Console) -> int:
    """A run whose results are not in the collector's store (JSON lines only) has nothing to
    evaluate: an explicit `--fail-under` fails it; the suite's own `fail_under` only warns."""
    if code == EXIT_INTERRUPTED:
        return code
    if flag is not None:
        say(out, "error: --fail-under needs the collector's store to evaluate the run")
        return EXIT_USAGE
    if suite.run.fail_under is not None:
        say(
            out,
            "warning: run.fail_under not applied: these results are not in the collector's store",
        )
    return code


def _finish(
    store: RunStore,
    suite: Suite,
    run_id: str,
    summary: RunSummary,
    *,
    transport: TransportKind,
    link_timeout: float | None,
    fail_under: float | None,
    report_dir: Path,
    out: Console,
    baseline: str | None = None,
    fail_on_regression: bool = False,
) -> int:
    """The run's exit code. When its results are in the collector's store: wait for the agent
    sides of the answered SIP calls (`link_timeout`), evaluate the run once, keep the
    evaluation with it, write the reports, then hold it to the bar (every call passes, or
    `fail_under`); see `evaluate.gate` for the codes."""
    from ringback.simulator.evaluate.gate import EXIT_NOT_EVALUATED, run_exit_code

    workspace_id = getattr(store, "workspace_id", None)
    if not isinstance(workspace_id, int):
        return _unevaluated_exit_code(suite, fail_under, _exit_code(summary, evaluated=False), out)
    code = _exit_code(summary, evaluated=True)
    if code == EXIT_INTERRUPTED:
        return code
    answered: set[str] = set()
    if transport is TransportKind.SIP:  # text calls are synced before their run returns
        answered = {
            o.result_id for o in store.previous(run_id) if o.status is OutcomeStatus.COMPLETED
        }
    timeout = suite.run.link_timeout.total_seconds() if link_timeout is None else link_timeout
    try:
        conclusion = asyncio.run(
            _conclude(
                store, workspace_id, suite, run_id, answered, timeout, report_dir, out, baseline
            )
        )
    except Exception as exc:  # the run's own outcome stands; only the evaluation is missing
        say(out, f"error: the run was not evaluated: {type(exc).__name__}: {exc}")
        return EXIT_NOT_EVALUATED
    if conclusion.unsynced:
        n = len(conclusion.unsynced)
        calls, were, count = ("call", "was", "counts") if n == 1 else ("calls", "were", "count")
        say(
            out,
            f"warning: {n} answered {calls} {were} not synced back by the agent within "
            f"{timeout:g}s and {count} as unlinked (wait longer with --link-timeout)",
        )
    if conclusion.report_error:
        say(out, f"warning: reports not written: {conclusion.report_error}")
    for fmt, path in conclusion.reports.items():
        say(out, f"report ({fmt.value}): {path}")
    code = run_exit_code(conclusion.evaluation, suite, fail_under, code, lambda t: say(out, t))
    return _regression_exit_code(conclusion.comparison, fail_on_regression, code, out)


def _regression_exit_code(
    comparison: Comparison | None, fail_on_regression: bool, code: int, out: Console
) -> int:
    """Print the comparison with the baseline; 1 with `fail_on_regression` when a scenario got
    worse (unless the run already failed)."""
    if comparison is None:
        return code
    from ringback.simulator.reports.comparison import comparison_lines

    for line in comparison_lines(comparison):
        say(out, line)
    if fail_on_regression and comparison.regressions and code in (0, EXIT_USAGE):
        return EXIT_FAILED
    return code


async def _conclude(
    store: RunStore,
    workspace_id: int,
    suite: Suite,
    run_id: str,
    answered: set[str],
    timeout: float,
    report_dir: Path,
    out: Console,
    baseline: str | None = None,
) -> Conclusion:
    from ringback.simulator.batch.conclude import conclude_run
    from ringback.simulator.evaluate.judge_llm import suite_judge

    told = False

    def on_wait(missing: int, left: float) -> None:
        nonlocal told
        if not told:
            told = True
            calls = "call" if missing == 1 else "calls"
            say(out, f"waiting up to {left:.0f}s for the agent to sync {missing} {calls} back")

    async with suite_judge(suite.judge) as judge:
        return await conclude_run(
            getattr(store, "database_url", None),
            workspace_id,
            run_id,
            suite,
            answered=answered,
            link_timeout_s=timeout,
            judge=judge,
            report_dir=report_dir / run_id,
            on_wait=on_wait,
            baseline=baseline,
        )


def _check_baseline(
    store: RunStore, baseline: str | None, fail_on_regression: bool, err: Console
) -> None:
    """Before anything is dialled: the baseline run exists and has an evaluation to compare
    with (it needs the collector's store)."""
    check_baseline_options(baseline, fail_on_regression, err)
    if baseline is None:
        return
    workspace_id = getattr(store, "workspace_id", None)
    if not isinstance(workspace_id, int):
        fail(err, "--baseline needs the collector's store (the baseline's evaluation is there)")
    from ringback.simulator.reports.collect import NoBaselineError, baseline_evaluation
    from ringback.simulator.store import Store

    async def check() -> None:
        async with await Store.open(getattr(store, "database_url", None)) as opened:
            await baseline_evaluation(opened, workspace_id, baseline)

    try:
        asyncio.run(check())
    except NoBaselineError as exc:
        fail(err, str(exc), exc=exc)


def _check_judge(store: RunStore, suite: Suite, err: Console) -> None:
    """When the run will be evaluated (its results are in the collector's store), build the
    suite's judge once and close it, so a bad `judge:` exits before anything is dialled. The
    judge that evaluates is built at the end of the run, in the loop that uses it."""
    if suite.judge is None or not isinstance(getattr(store, "workspace_id", None), int):
        return
    from ringback.simulator.evaluate.judge_llm import JudgeConfigError, check_judge

    try:
        asyncio.run(check_judge(suite.judge))
    except JudgeConfigError as exc:
        fail(err, str(exc), exc=exc)
