"""`ringback-sim report RUN_ID`: evaluate a stored run and write its reports."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ringback.simulator.exit_codes import EXIT_FAILED, EXIT_USAGE
from ringback.simulator.reports.formats import ReportFormat

from .console import fail, say

if TYPE_CHECKING:
    from ringback.simulator.evaluate import RunEvaluation
    from ringback.simulator.suite.models import Suite

DEFAULT_OUT = Path(".ringback/reports")


def _load(path: Path, err: Console) -> Suite:
    from ringback.simulator.suite import SuiteError, load_suite

    try:
        return load_suite(path).suite
    except SuiteError as exc:
        for problem in exc.problems:
            say(err, str(problem))
        raise typer.Exit(EXIT_USAGE) from None


def report_command(
    run_id: Annotated[str, typer.Argument(help="The run to report on.")],
    suite_file: Annotated[
        Path,
        typer.Option("--suite", help="The suite YAML the run used (its assertions)."),
    ],
    formats: Annotated[
        list[ReportFormat] | None,
        typer.Option("--format", help="json, junit, html or md (repeatable; default: all)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Folder for the reports (default: .ringback/reports/RUN_ID)."),
    ] = None,
) -> None:
    """Evaluate RUN_ID from the collector's store (RINGBACK_COLLECTOR_DATABASE_URL, workspace
    RINGBACK_WORKSPACE_ID) against --suite (its `judge`, when set, judges the expectations),
    keep the evaluation with the run, and write its reports."""
    from ringback.core.settings import load_settings
    from ringback.simulator.collector.settings import CollectorSettings
    from ringback.simulator.evaluate.judge_llm import JudgeConfigError, suite_judge
    from ringback.simulator.reports.collect import UnknownRunError, report_run
    from ringback.simulator.reports.format import percent
    from ringback.simulator.store import DatabaseError, DriverMissingError, SchemaError

    out_console, err = Console(), Console(stderr=True)
    suite = _load(suite_file, err)
    out_dir = out if out is not None else DEFAULT_OUT / run_id

    async def report() -> tuple[RunEvaluation, dict[ReportFormat, Path]]:
        async with suite_judge(suite.judge) as judge:
            return await report_run(
                CollectorSettings().database_url,
                load_settings().workspace_id,
                run_id,
                suite,
                out_dir,
                formats or list(ReportFormat),
                judge=judge,
            )

    try:
        evaluation, written = asyncio.run(report())
    except (UnknownRunError, JudgeConfigError, DriverMissingError, SchemaError) as exc:
        fail(err, str(exc), exc=exc)
    except (OSError, DatabaseError) as exc:
        say(err, f"error: the run could not be reported: {type(exc).__name__}: {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    say(
        out_console,
        f"run {run_id}: pass rate {percent(evaluation.pass_rate)} "
        f"({evaluation.passed}/{evaluation.total} calls)",
    )
    for fmt, path in written.items():
        say(out_console, f"{fmt.value}: {path}")
