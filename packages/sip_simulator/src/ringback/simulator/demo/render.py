"""The demo's report on the terminal: plain lines a person reads top to bottom."""

from __future__ import annotations

import shlex

from ringback.simulator.batch.outcome import CallOutcome
from ringback.simulator.evaluate import CallEvaluation

from .run import CallSides, DemoResult


def _pct(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0%}"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def sip_facts(outcome: CallOutcome) -> str:
    """One line of what SIP said about a call: its Call-ID, answer and end, or its failure."""
    if outcome.answered_at is None:
        kind = (outcome.failure_kind or outcome.status).value
        status = f"SIP {outcome.sip_status_code}, " if outcome.sip_status_code else ""
        return f"SIP: not answered ({status}{kind}): {outcome.reason}"
    dialled = outcome.attempts[-1].started_at if outcome.attempts else outcome.started_at
    answer_s = (outcome.answered_at - dialled).total_seconds()
    held = f", held {outcome.duration_s:.1f} s" if outcome.duration_s is not None else ""
    end = f", ended by {outcome.end_reason}" if outcome.end_reason else ""
    return (
        f"SIP: Call-ID {outcome.sip_call_id or '(not reported)'}, answered (200 OK) "
        f"{answer_s:.1f} s after the INVITE{held}{end}"
    )


def _call_lines(
    call: CallEvaluation, sides: CallSides | None, outcome: CallOutcome | None
) -> list[str]:
    verdict = "PASS" if call.passed else "FAIL"
    agent = sides.agent_call_id if sides else None
    caller = sides.caller_call_id if sides else None
    both = "both sides linked" if agent and caller else "NOT fully linked"
    lines = [
        f"  {verdict}  {call.scenario_id}  (result {call.result_id})",
        f"        {both}: agent call {agent or '-'}, caller call {caller or '-'}",
    ]
    if outcome is not None:
        lines.append(f"        {sip_facts(outcome)}")
        lines.extend(f"        warning: {warning}" for warning in outcome.warnings)
    for check in call.assertions:
        mark = {True: "ok", False: "FAILED", None: "skipped"}[check.passed]
        lines.append(f"        {mark:>7}  {check.kind}: {check.reason}")
    lines.extend(f"        reason: {reason}" for reason in call.failure_reasons())
    return lines


def render_demo(result: DemoResult, *, kept: bool) -> list[str]:
    """Every line the demo prints after it ran."""
    ev = result.evaluation
    by_result = {s.result_id: s for s in result.sides}
    lines = [f"Collector: {result.collector_url} (in-process; stopped now)"]
    outcomes: dict[str, CallOutcome] = {}
    if result.sip is None:
        lines.append(
            f"Run {ev.run_id} of suite {ev.suite!r}: text transport, demo LiveKit agent "
            "with the Ringback plugin, scripted callers"
        )
    else:
        setup = result.sip.setup
        outcomes = {o.result_id: o for o in result.sip.outcomes}
        lines += [
            f"Run {ev.run_id} of suite {ev.suite!r}: over SIP, demo LiveKit agent with the "
            "Ringback plugin and scripted callers, both speaking through offline voices",
            f"Agent's line: inbound trunk {setup.trunk_id} ({setup.trunk}), dispatch rule "
            f"{setup.rule_id} ({setup.rule}); dialled through outbound trunk "
            f"{result.sip.summary.trunk_id or '-'}",
        ]
    lines += ["", "Calls:"]
    for call in sorted(ev.calls, key=lambda c: c.scenario_id):
        rid = call.result_id or ""
        lines.extend(_call_lines(call, by_result.get(rid), outcomes.get(rid)))
    lines += ["", f"Pass rate: {_pct(ev.pass_rate)} ({ev.passed}/{ev.total} calls)"]
    for metric, stats in sorted(ev.latency.items()):
        turns = "caller turns" if metric == "heard_latency" else "agent turns"
        lines.append(
            f"Latency {metric}: p50 {_ms(stats.p50_ms)}, p95 {_ms(stats.p95_ms)} "
            f"({stats.count} {turns})"
        )
    lines.append("")
    pipecat = result.pipecat
    if pipecat is None:
        lines.append("Pipecat: not installed; the Pipecat call was skipped")
    elif pipecat.stored_id is not None:
        lines.append(
            f"Pipecat call stored: {pipecat.call_id} (collector id {pipecat.stored_id}), "
            "unlinked: production traffic"
        )
    else:
        lines.append(f"Pipecat call NOT stored: {pipecat.call_id}")
    lines += [
        "",
        f"Database: {result.database}",
        f"Results:  {result.results_dir}",
        f"Suite:    {result.suite_file}",
    ]
    if result.reports:
        lines.append("Reports:  " + ", ".join(str(p) for p in result.reports))
    else:
        lines.append("Reports:  none (the reports module is not available)")
    if kept:
        database = shlex.quote(str(result.database))
        lines.append(
            f"Browse it:  ringback-sim serve --database-url {database} --no-auth   then open "
            f"http://127.0.0.1:7450/runs/{ev.run_id} (no key needed on loopback)"
        )
    else:
        lines.append(
            f"(all in the temporary folder {result.directory}, now deleted; "
            "use --keep DIR to keep it)"
        )
    lines += ["", "Demo passed." if result.ok else "Demo FAILED: see the reasons above."]
    return lines


__all__ = ["render_demo"]
