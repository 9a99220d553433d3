"""A text-transport `ringback-sim run` against a running collector, as the tests use it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

# The text transport loads LiveKit plugins (silero), which register only on the main thread:
# in the real CLI the command runs there; here it runs on a worker thread, so load them now.
import ringback.livekit.voices  # noqa: F401
from ringback.simulator.cli import app

from .collector_server import RunningCollector

TEST_AGENT = "support.caller_agents:TextSupport"


def point_ringback_at(mp: pytest.MonkeyPatch, collector: RunningCollector, tmp: Path) -> None:
    """Deliver synced calls to `collector` and record runs in its store."""
    mp.setenv("RINGBACK_BASE_URL", collector.url)
    mp.setenv("RINGBACK_API_KEY", collector.key)
    mp.setenv("RINGBACK_OUTBOX_DIR", str(tmp / "outbox"))
    mp.setenv("RINGBACK_COLLECTOR_DATABASE_URL", collector.settings.database_url)


async def text_run(suite: Path, tmp: Path, *extra: str) -> Result:
    """`ringback-sim run SUITE --transport text --agent <test agent>` in a worker thread (the
    CLI runs its own event loop while the collector serves in the test's)."""
    args = [
        "run",
        str(suite),
        "--transport",
        "text",
        "--agent",
        TEST_AGENT,
        "--results-dir",
        str(tmp / "runs"),
        *extra,
    ]
    return await asyncio.to_thread(CliRunner().invoke, app, args)
