"""`ringback-sim worker`: run the simulated-caller worker.

Register with `app.command("worker")(worker_command)`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ringback.simulator.exit_codes import EXIT_USAGE

from .console import say

ENV_VARS = ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")


def _agent_name(agent_name: str | None, suite_file: Path | None, err: Console) -> str:
    from ringback.simulator.caller.worker import DEFAULT_AGENT_NAME

    if agent_name:
        return agent_name
    if suite_file is None:
        return DEFAULT_AGENT_NAME
    from ringback.simulator.suite import SuiteError, load_suite

    try:
        return load_suite(suite_file).suite.livekit.caller_agent_name
    except SuiteError as exc:
        for problem in exc.problems:
            say(err, str(problem))
        raise typer.Exit(EXIT_USAGE) from None


def worker_command(
    agent_name: Annotated[
        str | None,
        typer.Option(
            help="The agent name to register (default: the suite's livekit.caller_agent_name, "
            "else ringback-caller)."
        ),
    ] = None,
    suite_file: Annotated[
        Path | None,
        typer.Option("--suite", help="Read the agent name from this suite file."),
    ] = None,
    dev: Annotated[
        bool, typer.Option("--dev", help="Development mode: no pre-warmed job processes.")
    ] = False,
    drain_timeout: Annotated[
        int,
        typer.Option(min=0, help="Seconds active calls may take to end on Ctrl-C / SIGTERM."),
    ] = 60,
    log_level: Annotated[str, typer.Option(help="DEBUG, INFO, WARNING or ERROR.")] = "INFO",
) -> None:
    """Run the simulated-caller worker: a LiveKit Agents worker that plays each dispatched
    scenario (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET; calls sync to RINGBACK_*)."""
    err = Console(stderr=True)
    name = _agent_name(agent_name, suite_file, err)
    missing = [var for var in ENV_VARS if not os.environ.get(var, "").strip()]
    if missing:
        say(
            err,
            f"error: {', '.join(missing)} not set: the simulated-caller worker registers with "
            "your LiveKit project (LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET)",
        )
        raise typer.Exit(EXIT_USAGE)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from ringback.simulator.caller.worker import build_server, serve

    server = build_server(agent_name=name)
    say(err, f"simulated-caller worker {name!r}: waiting for calls (Ctrl-C to stop)")
    asyncio.run(serve(server, devmode=dev, drain_timeout=drain_timeout or None))


__all__ = ["worker_command"]
