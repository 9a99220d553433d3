"""The HTML report: one self-contained page (inline CSS and SVG, no scripts, no network
assets). Everything that comes from a suite or a call body goes through `escape`.

The pieces (`document`, `report_body`, `timeline_section`, `verdict`) are public so the
collector's pages render runs and calls with the same code as the report file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from html import escape
from typing import Any

from ringback.simulator.evaluate import AssertionResult, CallEvaluation, RunEvaluation

from .format import ms, percent
from .models import CallBodies, TimelineEvent, timeline
from .speakers import AGENT_SIDE_SPEAKERS, Speakers
from .svg import Limit, histogram, lane_chart, turn_latency_chart

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#111827;
padding:0 1rem}
h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #e5e7eb}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.25rem .6rem;text-align:left;
border-bottom:1px solid #e5e7eb;vertical-align:top}
.pass{color:#047857;font-weight:600}.fail{color:#b91c1c;font-weight:600}
.skip{color:#92400e;font-weight:600}.muted{color:#6b7280}
.rate{font-size:2rem;font-weight:700}
details{border:1px solid #e5e7eb;border-radius:6px;margin:.5rem 0;padding:.4rem .8rem}
summary{cursor:pointer}svg text{font:11px sans-serif;fill:#374151}
svg .grid{stroke:#e5e7eb}svg .axis-line{stroke:#9ca3af}svg text.legend{fill:#111827}
pre{white-space:pre-wrap;margin:0}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
"""Nothing may be loaded, even if some text escaped the escaping."""


def document(title: str, body: str) -> str:
    """A whole page: `title` is escaped here; `body` must already be safe HTML."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"{body}</body></html>\n"
    )


def verdict(passed: bool | None, *, error: bool = False) -> str:
    """`pass`, `FAIL`, `error` (the check could not be made) or `skipped`, coloured."""
    if error:
        return '<span class="skip">error</span>'
    if passed is None:
        return '<span class="skip">skipped</span>'
    return '<span class="pass">pass</span>' if passed else '<span class="fail">FAIL</span>'


def _summary(evaluation: RunEvaluation) -> str:
    rows = "".join(
        f"<tr><td>{escape(s.scenario_id)}</td><td>{escape(s.label or '')}</td>"
        f"<td>{s.calls}</td><td>{s.passed}</td><td>{percent(s.pass_rate)}</td></tr>"
        for s in evaluation.scenarios
    )
    return (
        f'<p><span class="rate" id="pass-rate">{percent(evaluation.pass_rate)}</span> '
        f"pass rate: {evaluation.passed} of {evaluation.total - evaluation.errors} calls passed"
        f"{_errors(evaluation)}</p>"
        "<h2>Scenarios</h2><table><tr><th>Scenario</th><th>Label</th><th>Calls</th>"
        f"<th>Passed</th><th>Pass rate</th></tr>{rows}</table>"
    )


def _errors(evaluation: RunEvaluation) -> str:
    if not evaluation.errors:
        return ""
    return (
        f'; <span class="skip" id="errors">{evaluation.errors} could not be evaluated</span> '
        "(the judge failed) and are left out"
    )


def _latency(evaluation: RunEvaluation) -> str:
    if not evaluation.latency:
        return "<h2>Latency</h2><p class=muted>No agent turn reported latency.</p>"
    parts = ["<h2>Latency</h2>"]
    for metric, stats in evaluation.latency.items():
        samples = [v for c in evaluation.calls for v in c.latency_samples.get(metric, [])]
        chart = histogram(stats, samples, latency_limit(evaluation, metric))
        parts.append(
            f'<h3 id="latency-{escape(metric)}">{escape(metric)}</h3><p>{stats.count} turns, '
            f"p50 {ms(stats.p50_ms)}, p95 {ms(stats.p95_ms)}, p99 {ms(stats.p99_ms)}, "
            f"max {ms(stats.max_ms)}</p>{chart}"
        )
    return "".join(parts)


def latency_limit(evaluation: RunEvaluation, metric: str) -> Limit | None:
    """The bound the suite's first `latency` assertion on `metric` sets (p95, else max, else
    p50), drawn on that metric's histogram."""
    for call in evaluation.calls:
        for result in call.assertions:
            if result.kind != "latency" or result.spec.get("metric", "e2e_latency") != metric:
                continue
            for name in ("p95_ms", "max_ms", "p50_ms"):
                bound = result.spec.get(name)
                if isinstance(bound, (int, float)):
                    return Limit(name.removesuffix("_ms"), float(bound))
    return None


def usage_table(body: Mapping[str, Any] | None) -> str:
    """What a call used (models, tokens, audio seconds, characters) and what it cost."""
    if body is None:
        return ""
    meta = body.get("general_meta_data_raw")
    usage = meta.get("usage") if isinstance(meta, Mapping) else None
    rows = []
    for entry in usage if isinstance(usage, list) else []:
        if not isinstance(entry, Mapping):
            continue
        amounts = ", ".join(
            f"{escape(str(k).replace('_', ' '))} {escape(str(v))}"
            for k, v in entry.items()
            if k not in ("kind", "model") and v not in (None, 0)
        )
        rows.append(
            f"<tr><td>{escape(str(entry.get('kind') or ''))}</td>"
            f"<td>{escape(str(entry.get('model') or ''))}</td><td>{amounts}</td></tr>"
        )
    cost = body.get("call_cost")
    shown_cost = f"{cost:.4f}" if isinstance(cost, (int, float)) else "not reported"
    if not rows and not isinstance(cost, (int, float)):
        return ""
    return (
        '<table class="usage"><tr><th>Usage</th><th>Model</th><th>Amount</th></tr>'
        f"{''.join(rows)}<tr><td>cost</td><td></td><td>{escape(shown_cost)}</td></tr></table>"
    )


def _assertion(result: AssertionResult) -> str:
    spec = escape(json.dumps(result.spec, ensure_ascii=False, default=str)) if result.spec else ""
    return (
        f"<tr><td>{verdict(result.passed, error=result.error)}</td><td>{escape(result.kind)}</td>"
        f"<td>{escape(result.reason)}</td><td><code>{spec}</code></td></tr>"
    )


MAX_RESULT_CHARS = 300


def _shown(value: object) -> str:
    """A tool's result or error as compact JSON, cut at `MAX_RESULT_CHARS`."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_RESULT_CHARS else text[:MAX_RESULT_CHARS] + "…"


def timeline_row(event: TimelineEvent, speakers: Speakers = AGENT_SIDE_SPEAKERS) -> str:
    """One timeline event as a table row: when, who (named by `speakers`), what."""
    if event.kind == "turn":
        what = escape(event.text)
    elif event.kind == "tool":
        params = json.dumps(event.detail.get("params"), ensure_ascii=False, default=str)
        what = f"<code>{escape(event.text)}({escape(params)})</code>"
        if event.detail.get("is_error"):
            error = event.detail.get("error") or event.detail.get("result")
            what += ' &rarr; <span class="fail">error</span>' + (
                f" <code>{escape(_shown(error))}</code>" if error is not None else ""
            )
        elif event.detail.get("result") is not None:
            what += f" &rarr; <code>{escape(_shown(event.detail['result']))}</code>"
    else:
        what = f"{escape(str(event.detail.get('from') or ''))} &rarr; {escape(event.text)}"
    who = escape(speakers.name(event.role))
    return f"<tr><td>{ms(event.start_ms)}</td><td>{who}</td><td>{what}</td></tr>"


def timeline_section(
    events: list[TimelineEvent], side: str, speakers: Speakers = AGENT_SIDE_SPEAKERS
) -> str:
    """A call's timeline: a heading naming `side`, the lane chart and the event table, each
    speaker named by `speakers`."""
    rows = "".join(timeline_row(e, speakers) for e in events)
    return (
        f"<h4>Timeline ({escape(side, quote=False)})</h4>{lane_chart(events, speakers)}"
        f"<table><tr><th>At</th><th>Who</th><th>What</th></tr>{rows}</table>"
    )


def _call(call: CallEvaluation, pair: CallBodies) -> str:
    events = timeline(pair.agent if pair.agent is not None else pair.caller)
    side = "agent's side" if pair.agent is not None else "simulated caller's side only"
    speakers = Speakers.of(caller_side=pair.agent is None)
    link = (
        f'<span class="pass">linked</span> to agent call {escape(call.agent_call_id or "")}'
        if call.linked
        else '<span class="fail">not linked</span>: the agent never synced this call'
    )
    caller = "caller side linked" if call.caller_linked else "caller side not linked"
    reasons = "".join(
        f"<li>{escape(r)}</li>" for r in (*call.failure_reasons(), *call.error_reasons())
    )
    rows = "".join(_assertion(a) for a in call.assertions)
    body = (
        f"<p>{link}; {caller}. Result <code>{escape(call.result_id or '')}</code></p>"
        + (f'<ul class="fail">{reasons}</ul>' if reasons else "")
        + "<table><tr><th></th><th>Assertion</th><th>Reason</th><th>Spec</th></tr>"
        + f"{rows}</table>"
    )
    if events:
        body += usage_table(pair.agent) + turn_latency_chart(events, speakers)
        body += timeline_section(events, side, speakers)
    else:
        body += "<p class=muted>No timeline: no side of this call was synced.</p>"
    if pair.agent is not None and pair.caller is not None:
        caller_events = timeline(pair.caller)
        if caller_events:
            body += timeline_section(
                caller_events,
                "simulated caller's side",
                Speakers.of(caller_side=True),
            )
    opened = "" if call.passed else " open"
    errored = call.status == "error"
    return (
        f'<details class="call"{opened}><summary>{verdict(call.passed, error=errored)} '
        f"<strong>{escape(call.scenario_id)}[{call.attempt}]</strong></summary>{body}</details>"
    )


def report_body(
    evaluation: RunEvaluation, bodies: Mapping[str, CallBodies], comparison: str = ""
) -> str:
    """The report's content (what goes inside `<body>`); `comparison` (safe HTML) is the
    section comparing the run with its baseline, when there is one."""
    run_id, suite = escape(evaluation.run_id), escape(evaluation.suite)
    calls = "".join(
        _call(c, bodies.get(c.result_id or "") or CallBodies()) for c in evaluation.calls
    )
    return (
        f'<h1>Ringback run <code id="run-id">{run_id}</code></h1><p>Suite {suite}</p>'
        f"{_summary(evaluation)}{comparison}{_latency(evaluation)}<h2>Calls</h2>{calls}"
    )


def render_html(
    evaluation: RunEvaluation,
    bodies: Mapping[str, CallBodies],
    *,
    header: str = "",
    footer: str = "",
    comparison: str = "",
) -> str:
    """The whole report as one HTML document. `header` and `footer` (safe HTML, empty in the
    report file) frame the report when the collector serves it as a page; `comparison` is the
    baseline section."""
    body = header + report_body(evaluation, bodies, comparison) + footer
    return document(f"Ringback run {evaluation.run_id}", body)
