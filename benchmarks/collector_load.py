"""How many ~20 KB calls per second does the collector store, and how fast does it answer?

    uv run python benchmarks/collector_load.py [--clients 8] [--calls 3000] [--seconds 30]

Starts `ringback-sim serve` in a subprocess on 127.0.0.1 (a free port, SQLite in a temporary
folder, request logging on, as in normal use), creates an API key, then drives `--clients`
concurrent httpx clients posting distinct ~20 KB calls (Ringback's sample call) until
`--calls` are stored or `--seconds` have passed. Prints calls/s and p50/p90/p99/max latency
against the targets: >= 300 calls/s and p99 <= 100 ms on a 2-core machine. The clients run on
the same machine as the server and take part of its CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ringback.core.sample import sample_call
from ringback.simulator.store import Store

TARGET_CALLS_PER_S = 300.0
TARGET_P99_MS = 100.0
WARMUP = 50


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _bodies(count: int, size_kb: int) -> list[bytes]:
    turns = 2
    while len(sample_call(turns).to_json_bytes()) < size_kb * 1024:
        turns += 2
    record = sample_call(turns)
    return [
        record.model_copy(update={"call_id": f"load-{i:06d}"}).to_json_bytes() for i in range(count)
    ]


async def _create_key(db: Path) -> str:
    async with await Store.open(str(db)) as store:
        return (await store.create_key(1, "load benchmark")).key


async def _start_server(db: Path, log: Path) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "ringback.simulator.cli",
        "serve",
        "--port",
        "0",
        "--database-url",
        str(db),
        stdout=asyncio.subprocess.PIPE,
        stderr=log.open("wb"),
    )
    assert proc.stdout is not None
    while True:
        line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        if not line:
            raise SystemExit(f"the collector did not start; see {log}")
        found = re.search(r"listening on (http://\S+?);", line)
        if found:
            return proc, found.group(1)


async def _drive(
    url: str, key: str, bodies: list[bytes], clients: int, seconds: float
) -> tuple[list[float], int, float]:
    endpoint = f"{url}/api/v1/public/call"
    params = {"workspace_id": "1", "agent_remote_identifier": "load-agent"}
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        warm = [
            client.post(
                endpoint,
                params={**params, "agent_remote_identifier": "warmup"},
                content=b,
                headers=headers,
            )
            for b in bodies[:WARMUP]
        ]
        await asyncio.gather(*warm)
        queue = iter(bodies)
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal failures
            for body in queue:
                if time.perf_counter() >= deadline:
                    return
                started = time.perf_counter()
                response = await client.post(endpoint, params=params, content=body, headers=headers)
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code != 201:
                    failures += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    return latencies, failures, elapsed


async def _stored_calls(db: Path) -> int:
    async with await Store.open(str(db)) as store:
        return await store.count_calls(1, agent_id="load-agent")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--calls", type=int, default=3000, help="calls to post (at most)")
    parser.add_argument("--seconds", type=float, default=30.0, help="time limit for the run")
    parser.add_argument("--size-kb", type=int, default=20, help="approximate call size")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="ringback-collector-load-"))
    db, log = folder / "collector.sqlite3", folder / "server.log"
    proc: asyncio.subprocess.Process | None = None
    try:
        key = await _create_key(db)
        bodies = _bodies(args.calls + WARMUP, args.size_kb)
        size = sum(len(b) for b in bodies) / len(bodies)
        proc, url = await _start_server(db, log)
        print(
            f"collector {url} (SQLite {db}); {args.clients} clients posting "
            f"{len(bodies[WARMUP:])} distinct calls of {size / 1024:.1f} KB "
            f"(limit {args.seconds:.0f} s) on {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.2f} before the run"
        )
        server_cpu = _cpu_seconds(proc.pid)
        client_cpu = time.process_time()
        latencies, failures, elapsed = await _drive(
            url, key, bodies[WARMUP:], args.clients, args.seconds
        )
        client_cpu = time.process_time() - client_cpu
        after = _cpu_seconds(proc.pid)
        server_cpu = after - server_cpu if after is not None and server_cpu is not None else None
    finally:
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await asyncio.wait_for(proc.wait(), 30)

    done = len(latencies)
    rate = done / elapsed
    p50, p90, p99 = (_pct(latencies, q) for q in (0.50, 0.90, 0.99))
    stored = await _stored_calls(db)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"requests: {done} in {elapsed:.2f} s, non-201 answers: {failures}, stored: {stored}")
    cpu = f"server {server_cpu / done * 1000:.2f} ms" if server_cpu is not None else "server ?"
    print(f"CPU per call: {cpu}, clients {client_cpu / done * 1000:.2f} ms")
    print(
        f"throughput: {rate:.0f} calls/s (target >= {TARGET_CALLS_PER_S:.0f}) "
        f"{'OK' if rate >= TARGET_CALLS_PER_S else 'BELOW TARGET'}"
    )
    print(
        f"latency ms: p50 {p50:.1f}  p90 {p90:.1f}  p99 {p99:.1f}  max {max(latencies):.1f} "
        f"(p99 target <= {TARGET_P99_MS:.0f}) "
        f"{'OK' if p99 <= TARGET_P99_MS else 'ABOVE TARGET'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
