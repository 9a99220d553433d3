"""The progress display: a live panel in a terminal, plain lines when not one."""

from __future__ import annotations

import io

from rich.console import Console
from support.dialing import run_batch, simple_suite

from ringback.livekit.testing import DialScript, LiveKitStandIn
from ringback.simulator.cli.progress import LiveProgress, PlainProgress, progress_for


def test_a_terminal_gets_the_live_panel_and_a_pipe_plain_lines() -> None:
    terminal = Console(file=io.StringIO(), force_terminal=True)
    piped = Console(file=io.StringIO(), force_terminal=False)
    assert isinstance(progress_for(terminal), LiveProgress)
    assert isinstance(progress_for(piped), PlainProgress)


async def test_the_live_panel_counts_calls_by_state() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120, color_system=None)
    progress = LiveProgress(console)
    async with LiveKitStandIn() as standin:
        standin.dial = lambda req, attempt: (
            DialScript(sip_status_code=404, sip_status="Not Found")
            if req.headers["X-Scenario-Id"] == "gone"
            else DialScript()
        )
        async with standin.client() as lk:
            await run_batch(lk, simple_suite(["a", "b", "gone"]), progress=progress)
    text = screen.getvalue()
    for state in ("queued", "dialling", "in call", "done", "failed", "cancelled"):
        assert state in text
    assert "failed gone#0: SIP 404 Not Found" in text
    assert "2 completed, 1 failed, 0 errors, 0 cancelled" in text
