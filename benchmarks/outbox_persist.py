"""How long does putting a one-hour call in the outbox take (fsync included)?

    uv run python benchmarks/outbox_persist.py [--runs 50] [--sinks 1] [--dir PATH]

Builds a ~2,000-segment call, then times what `Delivery.submit` does before the first
network attempt: serialise the record, wrap it in the envelope, write + fsync a temp file,
link/rename it into each sink's folder and fsync the folders. By default the temp outbox is
created next to the real one (the per-user state folder), not in /tmp, which is often a
RAM-backed tmpfs where fsync costs nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from ringback.core.delivery import Outbox, build_envelope, entry_key
from ringback.core.sample import sample_call
from ringback.core.settings import default_outbox_dir

TARGET_MS = 20.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--sinks", type=int, default=1, help="sinks to persist to (hard links)")
    parser.add_argument("--dir", type=Path, help="parent folder for the temporary outbox")
    args = parser.parse_args()

    record = sample_call(turns=1000)
    segments = len(record.transcript_with_tool_calls)
    sinks = ["primary", *(f"extra-{i}" for i in range(1, args.sinks))]
    parent = args.dir or default_outbox_dir().parent
    parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="ringback-bench-", dir=parent))
    box = Outbox(root)

    serialise: list[float] = []
    persist: list[float] = []
    try:
        for i in range(args.runs + 3):
            call_id = f"bench-{i}"
            t0 = time.perf_counter()
            body = record.to_json_bytes()
            t1 = time.perf_counter()
            data = build_envelope(call_id, body, agent_hint=None)
            result = box.persist(entry_key(call_id), data, sinks)
            t2 = time.perf_counter()
            if result.error is not None:
                raise SystemExit(f"persist failed: {result.error}")
            if i >= 3:  # the first runs warm caches and create folders
                serialise.append((t1 - t0) * 1000)
                persist.append((t2 - t1) * 1000)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    total = [a + b for a, b in zip(serialise, persist, strict=True)]
    print(f"call: {segments} segments, body {len(body) / 1024:.0f} KiB ({len(body):,} bytes)")
    print(f"outbox: {root.parent} ({len(sinks)} sink(s)), {args.runs} runs")
    for name, values in (
        ("serialise (to_json_bytes)", serialise),
        ("persist (envelope+write+fsync+rename)", persist),
        ("total before the first network attempt", total),
    ):
        print(
            f"  {name:<40} median {statistics.median(values):6.2f} ms"
            f"   p95 {_pct(values, 0.95):6.2f} ms"
        )
    p95 = _pct(persist, 0.95)
    verdict = "OK" if p95 <= TARGET_MS else "OVER"
    print(f"target: persist p95 <= {TARGET_MS:.0f} ms -> {verdict}")


if __name__ == "__main__":
    main()
