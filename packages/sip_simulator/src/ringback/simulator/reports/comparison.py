"""A run against its baseline, in the terminal, Markdown, HTML and JSON."""

from __future__ import annotations

from html import escape

from ringback.simulator.evaluate.compare import Comparison, MetricChange, ScenarioChange

from .format import cell, ms, percent


def _points(change: float | None) -> str:
    """A pass-rate change in percentage points: `+12.5 pt`, `-50.0 pt`, `=`."""
    if change is None:
        return "n/a"
    return "=" if abs(change) < 1e-9 else f"{change * 100:+.1f} pt"


def _ms_change(change: float | None) -> str:
    return "n/a" if change is None else f"{change:+.0f} ms"


def _scenario_line(s: ScenarioChange) -> str:
    head = (
        f"{s.scenario_id}: {percent(s.baseline_pass_rate)} -> {percent(s.pass_rate)} "
        f"({_points(s.change)})"
        if s.baseline_pass_rate is not None
        else f"{s.scenario_id}: new, {percent(s.pass_rate)}"
    )
    if s.regressed:
        head = "REGRESSED " + head
    parts = [head]
    if s.new_failures:
        parts.append("newly failing: " + ", ".join(s.new_failures))
    if s.fixed:
        parts.append("fixed: " + ", ".join(s.fixed))
    return "; ".join(parts)


def _metric_line(m: MetricChange) -> str:
    return (
        f"{m.metric}: p50 {ms(m.baseline_p50_ms)} -> {ms(m.p50_ms)} ({_ms_change(m.p50_change_ms)})"
        f", p95 {ms(m.baseline_p95_ms)} -> {ms(m.p95_ms)} ({_ms_change(m.p95_change_ms)})"
    )


def comparison_lines(c: Comparison) -> list[str]:
    """The comparison for the terminal: the pass rate, each scenario, each latency metric."""
    lines = [
        f"against baseline run {c.baseline_run_id}: pass rate {percent(c.baseline_pass_rate)} "
        f"-> {percent(c.pass_rate)}; "
        + (
            f"{len(c.regressions)} scenario(s) regressed: {', '.join(c.regressions)}"
            if c.regressions
            else "no scenario regressed"
        )
    ]
    lines += [f"  {_scenario_line(s)}" for s in c.scenarios]
    lines += [f"  {_metric_line(m)}" for m in c.latency]
    return lines


def render_comparison_markdown(c: Comparison) -> str:
    lines = [
        f"# Run `{c.run_id}` against baseline `{c.baseline_run_id}`",
        "",
        f"Pass rate **{percent(c.baseline_pass_rate)} -> {percent(c.pass_rate)}**; "
        + (
            f"**{len(c.regressions)} scenario(s) regressed**."
            if c.regressions
            else "no scenario regressed."
        ),
        "",
        "| Scenario | Baseline | Now | Change | Newly failing | Fixed |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for s in c.scenarios:
        name = f"**{cell(s.scenario_id)}** (regressed)" if s.regressed else cell(s.scenario_id)
        lines.append(
            f"| {name} | {percent(s.baseline_pass_rate)} | {percent(s.pass_rate)} "
            f"| {_points(s.change)} | {cell(', '.join(s.new_failures))} | "
            f"{cell(', '.join(s.fixed))} |"
        )
    if c.latency:
        lines += ["", "| Metric | p50 then | p50 now | change | p95 then | p95 now | change |"]
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for m in c.latency:
            lines.append(
                f"| {m.metric} | {ms(m.baseline_p50_ms)} | {ms(m.p50_ms)} "
                f"| {_ms_change(m.p50_change_ms)} | {ms(m.baseline_p95_ms)} | {ms(m.p95_ms)} "
                f"| {_ms_change(m.p95_change_ms)} |"
            )
    return "\n".join(lines) + "\n"


def comparison_section(c: Comparison) -> str:
    """The comparison as an HTML section of the report (all text escaped)."""
    rows = "".join(
        f"<tr{' class=regressed' if s.regressed else ''}><td>{escape(s.scenario_id)}</td>"
        f"<td>{percent(s.baseline_pass_rate)}</td><td>{percent(s.pass_rate)}</td>"
        f"<td>{'<span class=fail>' if s.regressed else ''}{_points(s.change)}"
        f"{'</span>' if s.regressed else ''}</td>"
        f"<td>{escape(', '.join(s.new_failures))}</td><td>{escape(', '.join(s.fixed))}</td></tr>"
        for s in c.scenarios
    )
    metrics = "".join(
        f"<tr><td>{escape(m.metric)}</td><td>{ms(m.baseline_p50_ms)}</td><td>{ms(m.p50_ms)}</td>"
        f"<td>{_ms_change(m.p50_change_ms)}</td><td>{ms(m.baseline_p95_ms)}</td>"
        f"<td>{ms(m.p95_ms)}</td><td>{_ms_change(m.p95_change_ms)}</td></tr>"
        for m in c.latency
    )
    verdict = (
        f'<span class="fail">{len(c.regressions)} scenario(s) regressed</span>'
        if c.regressions
        else '<span class="pass">no scenario regressed</span>'
    )
    return (
        f'<section id="baseline"><h2>Against baseline <code>{escape(c.baseline_run_id)}</code>'
        f"</h2><p>Pass rate {percent(c.baseline_pass_rate)} &rarr; {percent(c.pass_rate)}; "
        f"{verdict}.</p><table><tr><th>Scenario</th><th>Baseline</th><th>Now</th>"
        f"<th>Change</th><th>Newly failing</th><th>Fixed</th></tr>{rows}</table>"
        + (
            "<table><tr><th>Metric</th><th>p50 then</th><th>p50 now</th><th>change</th>"
            f"<th>p95 then</th><th>p95 now</th><th>change</th></tr>{metrics}</table>"
            if metrics
            else ""
        )
        + "</section>"
    )


def render_comparison_json(c: Comparison) -> str:
    return c.model_dump_json(indent=2) + "\n"


__all__ = [
    "comparison_lines",
    "comparison_section",
    "render_comparison_json",
    "render_comparison_markdown",
]
