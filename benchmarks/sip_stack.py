"""The loop over real SIP: answer time, heard latency, CPU per call, and how many calls at once
this machine holds.

Run next to a LiveKit server with SIP (the development stack starts one):

    ../shared/livekit-stack/with-stack .venv/bin/python benchmarks/sip_stack.py

For each concurrency (1, 2, 3, ... up to --max), a batch of `--calls-per-level` x concurrency
calls of the bundled demo's order-status scenario goes out through livekit-sip to the demo
agent (RingbackPlugin, offline voices) and a simulated caller (offline voices), both workers in
this process; both sides sync to an in-process collector. A level holds when every call was
answered, both its sides linked, and it passed its assertions (it depends on what each side
heard: a machine that falls behind real time mishears). CPU is the whole machine's (from
/proc/stat: run it on an otherwise idle machine), per second of call held: the number of cores
one call in progress takes, LiveKit's servers included. The benchmark stops at the first level
that does not hold.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from ringback.simulator.batch.outcome import OutcomeStatus
from ringback.simulator.demo.collector import WORKSPACE_ID, delivery_env, environment
from ringback.simulator.demo.collector import running_collector as demo_collector
from ringback.simulator.demo.run import bundled_suite_text
from ringback.simulator.demo.sip import (
    SipDemoTarget,
    agent_line,
    run_over_sip,
    sip_suite_text,
)
from ringback.simulator.dial.inbound import InboundManager
from ringback.simulator.suite.models import Suite

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def busy() -> float:
    """CPU seconds the whole machine has spent so far (every process: this one, the job
    processes, livekit-server, livekit-sip): run on an otherwise idle machine."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Level:
    concurrency: int
    calls: int
    held: int
    wall_s: float
    answer_s: list[float]
    heard_ms: list[float]
    e2e_ms: list[float]
    cores_per_call: float
    failures: list[str]

    @property
    def ok(self) -> bool:
        return not self.failures


def level_suite(target: SipDemoTarget, number: str, concurrency: int, calls: int) -> Suite:
    data: dict[str, Any] = yaml.safe_load(sip_suite_text(bundled_suite_text(), target))
    data["agent"]["sip_uri"] = f"sip:{number}@{target.sip_address}"
    data["livekit"]["caller_agent_name"] = f"bench-caller-{uuid.uuid4().hex[:8]}"
    data["scenarios"] = [s for s in data["scenarios"] if s["id"] == "order-status"]
    data["run"].update(repeat=calls, concurrency=concurrency, calls_per_second=2)
    return Suite.model_validate(data)


async def run_level(target: SipDemoTarget, concurrency: int, calls: int) -> Level:
    line = replace(
        agent_line(),
        number=f"bench-{uuid.uuid4().hex[:8]}",
        agent_name=f"bench-agent-{uuid.uuid4().hex[:8]}",
        room_prefix=f"bench-{uuid.uuid4().hex[:6]}-",
    )
    suite = level_suite(target, line.number, concurrency, calls)
    with tempfile.TemporaryDirectory(prefix="ringback-bench-") as tmp:
        directory = Path(tmp)
        async with demo_collector(directory) as collector:
            with environment(delivery_env(collector, directory / "outbox")):
                started, cpu_before = time.monotonic(), busy()
                run = await run_over_sip(
                    suite,
                    target,
                    directory / "runs",
                    database_url=collector.database_url,
                    workspace_id=WORKSPACE_ID,
                    report_dir=directory / "reports",
                    line=line,
                )
                cpu = busy() - cpu_before
                wall = time.monotonic() - started
    async with target.connection.open() as lkapi:
        await InboundManager(lkapi, fingerprint_key=target.connection.api_secret).remove(line)
    answered = [o for o in run.outcomes if o.status is OutcomeStatus.COMPLETED]
    answer_s = [
        (o.answered_at - o.attempts[-1].started_at).total_seconds()
        for o in answered
        if o.answered_at and o.attempts
    ]
    held = sum(o.duration_s or 0.0 for o in answered)
    evaluation = run.conclusion.evaluation
    failures = [f"{o.result_id[:8]}: {o.reason}" for o in run.outcomes if o not in answered]
    failures += [
        f"{c.result_id and c.result_id[:8]}: {'; '.join(c.failure_reasons())}"
        for c in evaluation.calls
        if not c.passed
    ]

    def samples(metric: str) -> list[float]:
        return [v for c in evaluation.calls for v in c.latency_samples.get(metric, [])]

    return Level(
        concurrency=concurrency,
        calls=len(run.outcomes),
        held=len(answered),
        wall_s=wall,
        answer_s=answer_s,
        heard_ms=samples("heard_latency"),
        e2e_ms=samples("e2e_latency"),
        cores_per_call=cpu / held if held else float("nan"),
        failures=failures,
    )


def line_of(level: Level) -> str:
    def ms(values: list[float], q: float) -> str:
        return f"{percentile(values, q):.0f} ms" if values else "-"

    answer = [s * 1000 for s in level.answer_s]
    return (
        f"{level.concurrency:>3} at once  {level.calls:>3} calls  {level.wall_s:6.1f} s  "
        f"answer p50 {ms(answer, 0.5):>8} p95 {ms(answer, 0.95):>8}  "
        f"heard p50 {ms(level.heard_ms, 0.5):>8} p95 {ms(level.heard_ms, 0.95):>8}  "
        f"e2e p50 {ms(level.e2e_ms, 0.5):>8}  "
        f"{level.cores_per_call:.2f} cores per call  "
        + ("held" if level.ok else f"FAILED ({len(level.failures)})")
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, default=4, help="the highest concurrency to try")
    parser.add_argument("--calls-per-level", type=int, default=2)
    args = parser.parse_args()
    target = SipDemoTarget.from_env(None)
    print(f"LiveKit {target.connection.url}, SIP {target.sip_address}, {os.cpu_count()} cores")
    held = 0
    for concurrency in range(1, args.max + 1):
        level = await run_level(target, concurrency, args.calls_per_level * concurrency)
        print(line_of(level), flush=True)
        for failure in level.failures[:5]:
            print(f"      {failure}")
        if not level.ok:
            break
        held = concurrency
    print(f"most calls at once with no failure: {held}")
    if held:
        print("(answer: INVITE to 200 OK; heard: the caller's end of turn to the agent's next")
        print(" speech as the caller heard it; e2e: the agent's own end-of-speech to speech)")
    else:
        print("no level held")


if __name__ == "__main__":
    asyncio.run(main())
