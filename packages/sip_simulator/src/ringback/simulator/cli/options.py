"""Options more than one command takes, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

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

__all__ = ["Baseline", "FailOnRegression"]
