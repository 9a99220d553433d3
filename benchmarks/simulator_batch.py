"""How does the batch runner hold up placing 1,000 calls at concurrency 200?

    uv run python benchmarks/simulator_batch.py [--calls 1000] [--concurrency 200] [--rate 500]
        [--low-rate 20] [--low-calls 60] [--ring 1.0] [--polls 2] [--poll-interval 0.05]

Starts Ringback's stand-in for LiveKit's server API (`python -m ringback.livekit.testing`) as a
separate process on 127.0.0.1, so that what is measured here is the runner alone, driving the
real livekit-api client: JWT signing, binary protobuf, one room + dispatch +
CreateSIPParticipant (ringing `--ring` seconds) + GetParticipant polls + DeleteRoom per call.
Prints wall time, achieved call starts per second against the limit (at a high limit, then at
a low one to show the token bucket holds), the peak number of calls in progress seen by the
stand-in, and the runner's peak memory (tracemalloc peak in a second run; max RSS growth of
this process).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from ringback.livekit.testing import API_KEY, API_SECRET
from ringback.simulator.batch import BatchRunner
from ringback.simulator.batch.outcome import CallOutcome, CallPlaced, RunSummary
from ringback.simulator.dial import LiveKitConnection, SipTransport
from ringback.simulator.plan import PlannedCall, RunPlan, plan_run
from ringback.simulator.suite import Suite

TIMEOUT_S = 300


class CountingSink:
    """Counts and discards, so the runner's own memory is what is measured."""

    def __init__(self) -> None:
        self.finished = 0
        self.statuses: dict[str, int] = {}

    async def run_started(self, plan: RunPlan, *, skipped: Sequence[CallOutcome]) -> None:
        pass

    async def call_placed(self, call: PlannedCall, placed: CallPlaced) -> None:
        pass

    async def call_finished(self, call: PlannedCall, outcome: CallOutcome) -> None:
        self.finished += 1
        self.statuses[outcome.status.value] = self.statuses.get(outcome.status.value, 0) + 1

    async def run_finished(self, summary: RunSummary) -> None:
        pass


def suite(calls: int, concurrency: int) -> Suite:
    scenarios = 10 if calls % 10 == 0 else 1
    return Suite.model_validate(
        {
            "name": "benchmark",
            "agent": {
                "sip_uri": "sip:agent@pbx.example.com:5060",
                "transport": "tcp",
                "username": "bench",
                "password": "bench-password",
            },
            "run": {"repeat": calls // scenarios, "concurrency": concurrency},
            "test_profiles": {"p": {"information": {"main_agent_variables": {"X-Tier": "gold"}}}},
            "scenarios": [
                {"id": f"s{i}", "profile": "p", "instructions": "Ask about the order."}
                for i in range(scenarios)
            ],
        }
    )


def start_standin(args: argparse.Namespace) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "ringback.livekit.testing",
        "--ring",
        str(args.ring),
        "--polls",
        str(args.polls),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith("listening "):
        process.kill()
        raise SystemExit(f"the stand-in did not start: {line!r}")
    return process, line.removeprefix("listening ")


async def stats(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/_standin/stats") as resp:
        return dict(await resp.json())


async def one_batch(
    url: str, calls: int, concurrency: int, rate: float, poll_interval: float
) -> tuple[float, RunSummary, CountingSink, dict[str, Any]]:
    the_suite = suite(calls, concurrency)
    plan = plan_run(the_suite)
    sink = CountingSink()
    before = await stats(url)
    connection = LiveKitConnection(url, API_KEY, API_SECRET)
    async with connection.open(concurrency=concurrency) as lkapi:
        runner = BatchRunner(
            the_suite,
            SipTransport(lkapi, fingerprint_key=API_SECRET, poll_interval_s=poll_interval),
            sink=sink,
            concurrency=concurrency,
            calls_per_second=rate,
        )
        started = time.perf_counter()
        summary = await asyncio.wait_for(runner.run(plan), TIMEOUT_S)
        wall = time.perf_counter() - started
    after = await stats(url)
    starts = after["starts"][len(before["starts"]) :]
    span = starts[-1] - starts[0]
    after["achieved_rate"] = (len(starts) - 1) / span if span > 0 else float("inf")
    head = starts[:concurrency]  # before the first call ends, only the rate limit binds
    head_span = head[-1] - head[0]
    after["head_rate"] = (len(head) - 1) / head_span if head_span > 0 else float("inf")
    return wall, summary, sink, after


def cpu_seconds(pid: int) -> float:
    """User + system CPU of another process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def main(args: argparse.Namespace) -> None:
    process, url = start_standin(args)
    try:
        rss_before = max_rss_mib()
        cpu_before, standin_before = time.process_time(), cpu_seconds(process.pid)
        wall, summary, sink, seen = await one_batch(
            url, args.calls, args.concurrency, args.rate, args.poll_interval
        )
        runner_cpu = time.process_time() - cpu_before
        standin_cpu = cpu_seconds(process.pid) - standin_before
        rss_after = max_rss_mib()
        print(f"stand-in: {url} (separate process), ring {args.ring}s, {args.polls} polls/call")
        print(
            f"batch: {args.calls} calls, concurrency {args.concurrency}, limit {args.rate:g}/s, "
            f"poll every {args.poll_interval}s"
        )
        print(f"  wall time          {wall:8.2f} s")
        print(f"  outcomes           {json.dumps(sink.statuses)}")
        print(
            f"  call starts        {seen['achieved_rate']:8.1f} /s achieved "
            f"(limit {args.rate:g}/s; {args.calls / wall:.1f} calls/s end to end)"
        )
        print(
            f"  first {args.concurrency} starts   {seen['head_rate']:8.1f} /s "
            f"(before any slot frees, so only the {args.rate:g}/s limit and CPU bind)"
        )
        print(
            f"  peak in progress   {seen['max_rooms']:8d} rooms "
            f"(limit {args.concurrency}); peak ringing "
            f"{seen['max_in_flight'].get('CreateSIPParticipant', 0)}"
        )
        print(f"  rooms left         {seen['rooms_left']:8d}")
        print(
            f"  CPU                {runner_cpu:8.2f} s runner, {standin_cpu:.2f} s stand-in "
            f"({seen['requests']} requests; errors {json.dumps(seen['errors'])}, the not_found "
            "being each call's last GetParticipant, after the callee hung up)"
        )
        print(
            f"  max RSS            {rss_after:8.1f} MiB "
            f"(+{rss_after - rss_before:.1f} MiB over the {rss_before:.1f} MiB before the batch)"
        )

        tracemalloc.start()
        await one_batch(url, args.calls, args.concurrency, args.rate, args.poll_interval)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  tracemalloc peak   {peak / 2**20:8.1f} MiB (second run, runner + client)")

        low_wall, _, low_sink, low_seen = await one_batch(
            url, args.low_calls, args.concurrency, args.low_rate, args.poll_interval
        )
        print(f"low limit: {args.low_calls} calls at {args.low_rate:g}/s")
        print(
            f"  call starts        {low_seen['achieved_rate']:8.2f} /s achieved "
            f"(limit {args.low_rate:g}/s), wall {low_wall:.2f} s, {json.dumps(low_sink.statuses)}"
        )
        if summary.completed != args.calls or low_sink.statuses.get("completed") != args.low_calls:
            raise SystemExit("some calls did not complete")
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--low-rate", type=float, default=20.0)
    parser.add_argument("--low-calls", type=int, default=60)
    parser.add_argument("--ring", type=float, default=1.0)
    parser.add_argument("--polls", type=int, default=2)
    parser.add_argument("--poll-interval", type=float, default=0.05)
    asyncio.run(main(parser.parse_args()))
