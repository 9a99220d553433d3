"""`ringback-sim demo`: the whole loop on this machine, offline, in well under a minute; or,
with `--transport sip`, the same loop over real SIP through a LiveKit server."""

from __future__ import annotations

import asyncio
import tempfile
import time
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ringback.simulator.exit_codes import EXIT_FAILED

from .console import fail


class DemoTransport(str, Enum):
    TEXT = "text"
    SIP = "sip"


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
    transport: Annotated[
        DemoTransport,
        typer.Option(
            help="text: offline, in-process. sip: dial the demo agent over real SIP through "
            "the LiveKit server at LIVEKIT_URL (LIVEKIT_API_KEY, LIVEKIT_API_SECRET), with "
            "offline voices on both sides."
        ),
    ] = DemoTransport.TEXT,
    sip_address: Annotated[
        str | None,
        typer.Option(
            metavar="HOST[:PORT]",
            help="With --transport sip: where the LiveKit server's SIP service answers "
            "(default: LIVEKIT_SIP_ADDRESS).",
        ),
    ] = None,
) -> None:
    """Run the end-to-end demo: a collector on a temporary SQLite file, a bundled suite
    against a demo LiveKit agent with the Ringback plugin (in text transport offline, or over
    real SIP), an offline Pipecat call with the Ringback observer, then the linked run
    evaluated and reported."""
    err = Console(stderr=True)
    from ringback.simulator.demo.render import render_demo
    from ringback.simulator.demo.run import run_demo

    target = None
    if transport is DemoTransport.SIP:
        from ringback.simulator.demo.sip import SipDemoConfigError, SipDemoTarget
        from ringback.simulator.dial.connection import LiveKitConfigError

        try:
            target = SipDemoTarget.from_env(sip_address)
        except (LiveKitConfigError, SipDemoConfigError) as exc:
            fail(err, str(exc), exc=exc)
    elif sip_address is not None:
        fail(err, "--sip-address needs --transport sip")
    if keep is not None and keep.exists() and not keep.is_dir():
        fail(err, f"--keep {keep} is a file; give a folder (it is created if missing)")

    started = time.monotonic()
    over = "over SIP" if target else "in text transport"
    typer.echo(f"Ringback demo: starting a collector and running the bundled suite {over}...")
    try:
        if keep is not None:
            result = asyncio.run(run_demo(keep.resolve(), sip=target))
        else:
            with tempfile.TemporaryDirectory(prefix="ringback-demo-") as tmp:
                result = asyncio.run(run_demo(Path(tmp), sip=target))
    except Exception as exc:
        if target is None or not _sip_setup_error(exc):
            raise
        fail(err, str(exc), exc=exc)
    for line in render_demo(result, kept=keep is not None):
        typer.echo(line)
    typer.echo(f"({time.monotonic() - started:.1f} s)")
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)


def _sip_setup_error(exc: BaseException) -> bool:
    """A LiveKit server, key or SIP setup the demo could not use (said in words, no
    traceback)."""
    from ringback.simulator.demo.sip import SipDemoError
    from ringback.simulator.demo.workers import WorkerStartError
    from ringback.simulator.dial.connection import LiveKitAccessError
    from ringback.simulator.dial.trunks import TrunkError

    return isinstance(exc, LiveKitAccessError | TrunkError | SipDemoError | WorkerStartError)


__all__ = ["demo_command"]
