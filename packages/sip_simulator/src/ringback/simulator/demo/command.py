"""`ringback-sim demo`: the whole loop on this machine, offline, in well under a minute."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

EXIT_FAILED = 1


def demo_command(
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep",
            metavar="DIR",
            help="Keep the database, results, suite and reports in DIR (default: a "
            "temporary folder, deleted at the end).",
        ),
    ] = None,
) -> None:
    """Run the end-to-end demo offline: a collector on a temporary SQLite file, a bundled
    suite in text transport against a demo LiveKit agent with the Ringback plugin, an offline
    Pipecat call with the Ringback observer, then the linked run evaluated and reported."""
    from .render import render_demo
    from .run import run_demo

    started = time.monotonic()
    typer.echo("Ringback demo: starting a collector and running the bundled suite...")
    if keep is not None:
        result = asyncio.run(run_demo(keep.resolve()))
    else:
        with tempfile.TemporaryDirectory(prefix="ringback-demo-") as tmp:
            result = asyncio.run(run_demo(Path(tmp)))
    for line in render_demo(result, kept=keep is not None):
        typer.echo(line)
    typer.echo(f"({time.monotonic() - started:.1f} s)")
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


__all__ = ["demo_command"]
