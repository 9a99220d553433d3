"""`ringback-sim verify` against the real stack: the command a user runs, in its own process,
dialling the demo agent (a worker in this process) and reading the collector it syncs to."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from livekit.protocol import sip as proto_sip
from support.livekit_stack import Stack, own_line

from ringback.simulator.demo.collector import delivery_env
from ringback.simulator.demo.collector import running_collector as demo_collector
from ringback.simulator.demo.sip import agent_server
from ringback.simulator.demo.workers import running_worker
from ringback.simulator.dial.inbound import AgentLine, InboundManager
from ringback.simulator.environ import environment

CLI = Path(sys.executable).with_name("ringback-sim")


async def verify(stack: Stack, line: AgentLine, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    """Run `ringback-sim verify --json` at `line` while the demo agent answers it, both
    syncing to one collector."""
    async with demo_collector(tmp_path) as collector, stack.api() as lkapi:
        delivery = delivery_env(collector, tmp_path / "outbox")
        manager = InboundManager(lkapi, fingerprint_key=stack.api_secret)
        await manager.ensure(line)
        try:
            with environment(delivery):
                async with running_worker(agent_server(line.agent_name)):
                    process = await asyncio.create_subprocess_exec(
                        str(CLI),
                        "verify",
                        "--sip-uri",
                        stack.sip_uri(line.number),
                        "--sip-transport",
                        "tcp",
                        "--hold",
                        "4",
                        "--sync-timeout",
                        "20",
                        "--json",
                        env={**os.environ, **{k: v for k, v in delivery.items() if v}},
                        stdout=asyncio.subprocess.PIPE,
                    )
                    out, _ = await process.communicate()
        finally:
            await manager.remove(line)
    assert process.returncode is not None
    return process.returncode, json.loads(out)


def steps(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["id"]: step for step in report["steps"]}


async def test_verify_passes_against_an_agent_that_links(stack: Stack, tmp_path: Path) -> None:
    code, report = await verify(stack, own_line(), tmp_path)
    assert code == 0, report
    assert {step["status"] for step in report["steps"]} == {"passed"}


async def test_verify_names_the_step_when_the_trunk_drops_the_headers(
    stack: Stack, tmp_path: Path
) -> None:
    line = own_line(include_headers=proto_sip.SIPHeaderOptions.SIP_NO_HEADERS)
    code, report = await verify(stack, line, tmp_path)
    assert code == 1
    found = steps(report)
    failed = [step_id for step_id, step in found.items() if step["status"] == "failed"]
    assert len(failed) == 1, found
    step = found[failed[0]]
    (finding,) = step["findings"]
    assert finding["shape"] == "headers_missing"
    assert "include_headers" in finding["fix"]
    # the call itself was answered and synced back, linked by its SIP Call-ID
    assert all(s["status"] == "passed" for i, s in found.items() if i != failed[0])
