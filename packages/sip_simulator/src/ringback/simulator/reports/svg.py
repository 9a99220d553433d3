"""Inline SVG charts: who spoke when (a lane chart) and latency histograms. Every piece of
text is escaped; no fonts, scripts or links are referenced."""

from __future__ import annotations

from dataclasses import dataclass
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
AXIS_W = 44
"""Room left of a chart for its y-axis labels."""


@dataclass(frozen=True)
class Limit:
    """A latency assertion's bound, drawn as the threshold line: `p95 <= 1500 ms`."""

    name: str
    ms: float


def _legend(items: list[tuple[str, str, bool]], x: float, y: float) -> str:
    """Legend swatches (`label`, colour, dashed line or filled box) in a row from (x, y)."""
    parts = []
    for label, colour, dashed in items:
        if dashed:
            parts.append(
                f'<line x1="{x:.1f}" x2="{x + 14:.1f}" y1="{y - 4}" y2="{y - 4}" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="4 2"/>'
            )
        else:
            parts.append(f'<rect x="{x:.1f}" y="{y - 9}" width="12" height="9" fill="{colour}"/>')
        parts.append(f'<text x="{x + 18:.1f}" y="{y}" class="legend">{escape(label)}</text>')
        x += 26 + 6.5 * len(label)
    return "".join(parts)


def histogram(stats: LatencyStats, samples: list[float], limit: Limit | None = None) -> str:
    """A histogram of one latency metric: counts of turns per bin on a y axis, milliseconds on
    an x axis, p50 and p95 marked, the assertion's limit (when the suite sets one) as the
    threshold line, and a legend."""
    if not samples:
        return ""
    low = min(samples)
    high = max([*samples, *([limit.ms] if limit is not None else [])])
    span = (high - low) or 1.0
    counts = [0] * BINS
    for value in samples:
        counts[min(int((value - low) / span * BINS), BINS - 1)] += 1
    top = max(counts)
    top_y, plot_w = 22, WIDTH - AXIS_W - 10
    bar_w = plot_w / BINS
    bottom = top_y + HIST_H
    parts = [
        f'<svg class="hist" role="img" viewBox="0 0 {WIDTH} {bottom + 34}" width="100%">'
        f"<title>{escape(stats.metric)}: turns per latency bin (ms)</title>",
        f'<line x1="{AXIS_W}" x2="{AXIS_W}" y1="{top_y}" y2="{bottom}" class="axis-line"/>',
        f'<line x1="{AXIS_W}" x2="{WIDTH - 10}" y1="{bottom}" y2="{bottom}" class="axis-line"/>',
        f'<text x="{AXIS_W - 4}" y="{top_y + 8}" class="axis" text-anchor="end">{top}</text>',
        f'<text x="{AXIS_W - 4}" y="{bottom}" class="axis" text-anchor="end">0</text>',
        f'<text x="4" y="{top_y + HIST_H / 2:.0f}" class="axis">turns</text>',
    ]
    for i, count in enumerate(counts):
        h = count / top * HIST_H
        parts.append(
            f'<rect x="{AXIS_W + i * bar_w + 1:.1f}" y="{bottom - h:.1f}" '
            f'width="{bar_w - 2:.1f}" height="{h:.1f}" fill="#60a5fa"><title>{count} turns '
            f"from {ms(low + i * span / BINS)} to {ms(low + (i + 1) * span / BINS)}</title></rect>"
        )
    marks = [("p50", stats.p50_ms, "#111827"), ("p95", stats.p95_ms, "#dc2626")]
    if limit is not None:
        marks.append((f"limit: {limit.name} <= {ms(limit.ms)}", limit.ms, "#16a34a"))
    for name, mark, colour in marks:
        if mark is None:
            continue
        x = AXIS_W + (mark - low) / span * plot_w
        width = 3 if name.startswith("limit") else 1.5
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top_y}" y2="{bottom}" stroke="{colour}" '
            f'stroke-width="{width}" stroke-dasharray="4 2"><title>{escape(name)} {ms(mark)}'
            "</title></line>"
        )
    for fraction, anchor in ((0.0, "start"), (0.5, "middle"), (1.0, "end")):
        x = AXIS_W + fraction * plot_w
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + 14}" class="axis" text-anchor="{anchor}">'
            f"{ms(low + fraction * span)}</text>"
        )
    parts.append(_legend([(n, c, True) for n, m, c in marks if m is not None], AXIS_W, 12))
    parts.append(
        f'<text x="{WIDTH - 10}" y="{bottom + 28}" class="axis" text-anchor="end">'
        "latency (ms)</text></svg>"
    )
    return "".join(parts)


TURN_METRICS = (
    ("e2e_latency", "e2e", "#2563eb"),
    ("llm_node_ttft", "LLM TTFT", "#10b981"),
    ("tts_node_ttfb", "TTS TTFB", "#f59e0b"),
)
TURN_H = 110


def turn_latency_chart(
    events: list[TimelineEvent], speakers: Speakers = AGENT_SIDE_SPEAKERS
) -> str:
    """Each agent turn's e2e latency, LLM time to first token and TTS time to first byte as
    grouped bars, turn by turn, with a y axis in milliseconds and a legend."""
    turns = [e for e in events if e.kind == "turn" and e.role == "agent"]
    rows = [[_metric(t, key) for key, _, _ in TURN_METRICS] for t in turns]
    if not any(v is not None for row in rows for v in row):
        return ""
    top = max(v for row in rows for v in row if v is not None) or 1.0
    top_y, plot_w = 22, WIDTH - AXIS_W - 10
    bottom = top_y + TURN_H
    group_w = plot_w / len(rows)
    bar_w = max(min(group_w / (len(TURN_METRICS) + 1), 18.0), 1.0)
    who = escape(speakers.agent)
    parts = [
        f'<svg class="turns" role="img" viewBox="0 0 {WIDTH} {bottom + 34}" width="100%">'
        f"<title>latency of each turn of the {who} (ms)</title>",
        f'<line x1="{AXIS_W}" x2="{AXIS_W}" y1="{top_y}" y2="{bottom}" class="axis-line"/>',
        f'<line x1="{AXIS_W}" x2="{WIDTH - 10}" y1="{bottom}" y2="{bottom}" class="axis-line"/>',
        f'<text x="{AXIS_W - 4}" y="{top_y + 8}" class="axis" text-anchor="end">{ms(top)}</text>',
        f'<text x="{AXIS_W - 4}" y="{bottom}" class="axis" text-anchor="end">0</text>',
    ]
    for i, row in enumerate(rows):
        x0 = AXIS_W + i * group_w + (group_w - bar_w * len(TURN_METRICS)) / 2
        for j, ((_, label, colour), value) in enumerate(zip(TURN_METRICS, row, strict=True)):
            if value is None:
                continue
            h = value / top * TURN_H
            parts.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{bottom - h:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>turn {i + 1} {escape(label)} '
                f"{ms(value)}</title></rect>"
            )
        if len(rows) <= 30 or i % max(len(rows) // 15, 1) == 0:
            parts.append(
                f'<text x="{AXIS_W + (i + 0.5) * group_w:.1f}" y="{bottom + 14}" class="axis" '
                f'text-anchor="middle">{i + 1}</text>'
            )
    parts.append(_legend([(label, colour, False) for _, label, colour in TURN_METRICS], AXIS_W, 12))
    parts.append(
        f'<text x="{WIDTH - 10}" y="{bottom + 28}" class="axis" text-anchor="end">'
        f"turn of the {who}</text></svg>"
    )
    return "".join(parts)


def _metric(event: TimelineEvent, key: str) -> float | None:
    value = event.detail.get(key)
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
