"""The report's charts: each agent turn's latency, and a latency histogram with axes, units,
p50/p95, the suite's limit as the threshold line, and a legend."""

from __future__ import annotations

import json

from ringback.core.sample import sample_call
from ringback.simulator.evaluate.models import LatencyStats
from ringback.simulator.reports.models import timeline
from ringback.simulator.reports.speakers import CALLER_SIDE_SPEAKERS
from ringback.simulator.reports.svg import Limit, histogram, turn_latency_chart


def test_the_histogram_has_axes_units_marks_the_limit_and_a_legend() -> None:
    samples = [400.0, 520.0, 610.0, 650.0, 700.0, 900.0]
    stats = LatencyStats(metric="e2e_latency", count=6, p50_ms=630, p95_ms=850, max_ms=900)
    chart = histogram(stats, samples, Limit("p95", 1500))

    assert chart.startswith('<svg class="hist"')
    assert "<title>e2e_latency: turns per latency bin (ms)</title>" in chart
    assert ">turns</text>" in chart  # the y axis
    assert "latency (ms)</text>" in chart  # the x axis, with its unit
    assert ">1,500 ms</text>" in chart  # which reaches the limit, beyond the slowest turn
    assert chart.count('<line x1="') >= 5  # two axes, p50, p95, the limit
    legend = [t for t in chart.split('class="legend">')[1:]]
    assert [t.split("<", 1)[0] for t in legend] == ["p50", "p95", "limit: p95 &lt;= 1,500 ms"]
    assert sum(int(c.split(" turns", 1)[0]) for c in chart.split("<title>")[2:14]) == 6

    plain = histogram(stats, samples)
    assert "limit" not in plain
    assert histogram(stats, []) == ""


def test_each_agent_turns_latency_is_a_group_of_bars_named_by_its_speaker() -> None:
    events = timeline(json.loads(sample_call(3, call_id="c").to_json_bytes()))
    agent_turns = [e for e in events if e.kind == "turn" and e.role == "agent"]
    chart = turn_latency_chart(events)

    assert chart.startswith('<svg class="turns"')
    assert "<title>latency of each turn of the agent under test (ms)</title>" in chart
    bars = [r for r in chart.split("<rect ")[1:] if "<title>turn " in r]
    assert len(bars) == 3 * len(agent_turns)  # e2e, LLM TTFT, TTS TTFB per turn
    assert f"<title>turn 1 e2e {agent_turns[0].detail['e2e_latency']:.0f} ms</title>" in chart
    for label in ("e2e", "LLM TTFT", "TTS TTFB"):
        assert f'class="legend">{label}</text>' in chart
    assert "turn of the simulated caller</text>" in turn_latency_chart(events, CALLER_SIDE_SPEAKERS)
    assert turn_latency_chart([e for e in events if e.kind != "turn"]) == ""
