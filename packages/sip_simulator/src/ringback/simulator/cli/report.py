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
from .options import Baseline, FailOnRegression, check_baseline_options

if TYPE_CHECKING:
    from ringback.simulator.reports.collect import LoadedRun
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
    re_evaluate: Annotated[
        bool,
        typer.Option(
            "--re-evaluate",
            help="Evaluate the run again against --suite and replace the evaluation kept "
            "with it (default: report the kept one).",
        ),
    ] = False,
    baseline: Baseline = None,
    fail_on_regression: FailOnRegression = False,
) -> None:
    """Write the reports of RUN_ID from the collector's store (RINGBACK_COLLECTOR_DATABASE_URL,
    workspace RINGBACK_WORKSPACE_ID). A run with a kept evaluation is reported from it; one
    without (or with --re-evaluate) is evaluated against --suite (its `judge`, when set,
    judges the expectations) and the evaluation is kept with the run. A suite the run did not
    use is refused."""
    from ringback.core.settings import load_settings
    from ringback.simulator.collector.settings import CollectorSettings
    from ringback.simulator.evaluate.judge_llm import JudgeConfigError, suite_judge
    from ringback.simulator.reports.collect import (
        NoBaselineError,
        SuiteMismatchError,
        UnknownRunError,
        report_run,
    )
    from ringback.simulator.reports.comparison import comparison_lines
    from ringback.simulator.reports.format import percent
    from ringback.simulator.store import DatabaseError, DriverMissingError, SchemaError

    out_console, err = Console(), Console(stderr=True)
    check_baseline_options(baseline, fail_on_regression, err)
    suite = _load(suite_file, err)
    out_dir = out if out is not None else DEFAULT_OUT / run_id

    async def report() -> tuple[LoadedRun, dict[ReportFormat, Path]]:
        async with suite_judge(suite.judge) as judge:
            return await report_run(
                CollectorSettings().database_url,
                load_settings().workspace_id,
                run_id,
                suite,
                out_dir,
                formats or list(ReportFormat),
                judge=judge,
                re_evaluate=re_evaluate,
                baseline=baseline,
            )

    try:
        loaded, written = asyncio.run(report())
    except (
        UnknownRunError,
        NoBaselineError,
        SuiteMismatchError,
        JudgeConfigError,
        DriverMissingError,
        SchemaError,
    ) as exc:
        fail(err, str(exc), exc=exc)
    except (OSError, DatabaseError) as exc:
        say(err, f"error: the run could not be reported: {type(exc).__name__}: {exc}")
        raise typer.Exit(EXIT_FAILED) from None
    evaluation = loaded.evaluation
    if loaded.evaluated_at is None:
        source = "evaluated now and kept with the run"
    else:
        when = loaded.evaluated_at.strftime("%Y-%m-%d %H:%M UTC")
        source = f"the evaluation kept with the run ({when}; --re-evaluate to evaluate again)"
    say(
        out_console,
        f"run {run_id}: pass rate {percent(evaluation.pass_rate)} "
        f"({evaluation.passed}/{evaluation.total} calls), {source}",
    )
    for fmt, path in written.items():
        say(out_console, f"{fmt.value}: {path}")
    if loaded.comparison is not None:
        for line in comparison_lines(loaded.comparison):
            say(out_console, line)
        if fail_on_regression and loaded.comparison.regressions:
            raise typer.Exit(EXIT_FAILED)
