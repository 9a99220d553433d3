"""Inline SVG charts: who spoke when (a lane chart) and latency histograms. Every piece of
text is escaped; no fonts, scripts or links are referenced."""

from __future__ import annotations

from html import escape

from ringback.simulator.evaluate import LatencyStats

from .format import ms
from .models import TimelineEvent
from .speakers import AGENT_SIDE_SPEAKERS, Speakers

WIDTH = 760
LABEL_W = 76
LANE_H = 22
LANE_KEYS = ("user", "agent", "tool", "transition")
COLOURS = {"user": "#3b82f6", "agent": "#10b981", "tool": "#f59e0b", "transition": "#8b5cf6"}
ERROR_COLOUR = "#ef4444"
MIN_BAR = 3.0


def _lane(event: TimelineEvent) -> str:
    return event.role if event.kind == "turn" else event.kind


def _title(event: TimelineEvent) -> str:
    span = ms(event.start_ms) + (f" - {ms(event.end_ms)}" if event.end_ms is not None else "")
    return escape(f"{span}: {event.text}")


def lane_chart(events: list[TimelineEvent], speakers: Speakers = AGENT_SIDE_SPEAKERS) -> str:
    """Who spoke when: one lane per speaker (named by `speakers`), tool calls and node
    transitions as markers."""
    if not events:
        return ""
    labels = (speakers.user_lane, speakers.agent_lane, "tools", "nodes")
    end = max(max(e.end_ms or e.start_ms for e in events), 1.0)
    scale = (WIDTH - LABEL_W - 10) / end
    height = LANE_H * len(LANE_KEYS) + 20
    parts = [
        f'<svg class="lanes" role="img" viewBox="0 0 {WIDTH} {height}" width="100%">'
        "<title>who spoke when</title>"
    ]
    for row, label in enumerate(labels):
        y = row * LANE_H
        parts.append(f'<text x="0" y="{y + 15}" class="lane">{label}</text>')
        parts.append(
            f'<line x1="{LABEL_W}" x2="{WIDTH}" y1="{y + LANE_H - 1}" y2="{y + LANE_H - 1}" '
            'class="grid"/>'
        )
    rows = {key: i for i, key in enumerate(LANE_KEYS)}
    for event in events:
        lane = _lane(event)
        if lane not in rows:
            continue
        x = LABEL_W + event.start_ms * scale
        w = max(((event.end_ms or event.start_ms) - event.start_ms) * scale, MIN_BAR)
        y = rows[lane] * LANE_H + 3
        colour = ERROR_COLOUR if event.detail.get("is_error") else COLOURS[lane]
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{LANE_H - 8}" rx="2" '
            f'fill="{colour}"><title>{_title(event)}</title></rect>'
        )
    axis_y = LANE_H * len(LANE_KEYS) + 14
    parts.append(f'<text x="{LABEL_W}" y="{axis_y}" class="axis">0 s</text>')
    parts.append(
        f'<text x="{WIDTH}" y="{axis_y}" class="axis" text-anchor="end">'
        f"{end / 1000:.1f} s</text></svg>"
    )
    return "".join(parts)


BINS = 12
HIST_H = 90


def histogram(stats: LatencyStats, samples: list[float]) -> str:
    """A histogram of one latency metric with its p50 and p95 marked."""
    if not samples:
        return ""
    low, high = min(samples), max(samples)
    span = (high - low) or 1.0
    counts = [0] * BINS
    for value in samples:
        counts[min(int((value - low) / span * BINS), BINS - 1)] += 1
    top = max(counts)
    plot_w = WIDTH - 20
    bar_w = plot_w / BINS
    parts = [
        f'<svg class="hist" role="img" viewBox="0 0 {WIDTH} {HIST_H + 30}" width="100%">'
        f"<title>{escape(stats.metric)} histogram</title>"
    ]
    for i, count in enumerate(counts):
        h = count / top * HIST_H
        parts.append(
            f'<rect x="{10 + i * bar_w:.1f}" y="{HIST_H - h:.1f}" width="{bar_w - 2:.1f}" '
            f'height="{h:.1f}" fill="#60a5fa"><title>{count} turns from '
            f"{ms(low + i * span / BINS)}</title></rect>"
        )
    for name, mark, colour in (("p50", stats.p50_ms, "#111827"), ("p95", stats.p95_ms, "#dc2626")):
        if mark is None:
            continue
        x = 10 + (mark - low) / span * plot_w
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{HIST_H}" stroke="{colour}" '
            f'stroke-dasharray="4 2"><title>{name} {ms(mark)}</title></line>'
        )
    parts.append(f'<text x="10" y="{HIST_H + 16}" class="axis">{ms(low)}</text>')
    parts.append(
        f'<text x="{WIDTH - 10}" y="{HIST_H + 16}" class="axis" text-anchor="end">'
        f"{ms(high)}</text></svg>"
    )
    return "".join(parts)
