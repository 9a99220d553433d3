"""Options more than one command takes, declared once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from .console import fail

Baseline = Annotated[
    str | None,
    typer.Option(
        metavar="RUN_ID",
        help="Compare with this earlier run (its kept evaluation): per scenario pass-rate "
        "change, newly failing and fixed assertions, latency p50/p95 change; written beside "
        "the reports. Needs the collector's store.",
    ),
]
FailOnRegression = Annotated[
    bool,
    typer.Option(
        "--fail-on-regression",
        help="With --baseline: exit 1 when a scenario got worse than in the baseline.",
    ),
]


def check_baseline_options(baseline: str | None, fail_on_regression: bool, err: Console) -> None:
    """`--fail-on-regression` needs a `--baseline` to compare with."""
    if fail_on_regression and baseline is None:
        fail(err, "--fail-on-regression needs --baseline RUN_ID (the run to compare with)")


__all__ = ["Baseline", "FailOnRegression", "check_baseline_options"]
