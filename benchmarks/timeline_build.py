"""How long building a one-hour call (about 2,000 segments) into its JSON body takes.

Run: uv run python benchmarks/timeline_build.py
Target: median ≤ 20 ms on a 2-core machine.
"""

from __future__ import annotations

import gc
import statistics
import time

from ringback.core.sample import sample_timeline

RUNS = 50
TARGET_MS = 20.0


def main() -> None:
    timeline = sample_timeline(900, seconds_per_exchange=4.0)
    record = timeline.build(call_id="warmup")
    body = record.to_json_bytes()
    timings = []
    for n in range(RUNS):
        gc.collect()
        start = time.perf_counter()
        body = timeline.build(call_id=f"bench-{n}").to_json_bytes()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    median = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"one-hour call: {len(record.transcript_with_tool_calls)} segments, {len(body):,} bytes")
    print(
        f"Timeline.build() + to_json_bytes(): median {median:.1f} ms, p95 {p95:.1f} ms, "
        f"min {timings[0]:.1f} ms over {RUNS} runs (target ≤ {TARGET_MS:.0f} ms)"
    )
    print("PASS" if median <= TARGET_MS else "ABOVE TARGET")


if __name__ == "__main__":
    main()
