"""The Markdown summary: pass rate, per scenario, latency, and each failing call's reasons."""

from __future__ import annotations

from ringback.simulator.evaluate import CallEvaluation, RunEvaluation

from .format import cell, ms, percent


def _status(call: CallEvaluation) -> str:
    skipped = sum(a.skipped for a in call.assertions)
    verdict = {"passed": "pass", "failed": "FAIL", "error": "ERROR (the judge failed)"}
    shown = verdict[call.status]
    return f"{shown} ({skipped} skipped)" if skipped else shown


def render_markdown(evaluation: RunEvaluation) -> str:
    """A summary for a PR comment or a CI job page."""
    lines = [
        f"# Ringback run `{evaluation.run_id}`",
        "",
        f"Suite **{cell(evaluation.suite)}**: pass rate **{percent(evaluation.pass_rate)}** "
        f"({evaluation.passed}/{evaluation.total - evaluation.errors} calls passed"
        + (
            f"; {evaluation.errors} could not be evaluated: the judge failed"
            if evaluation.errors
            else ""
        )
        + ").",
        "",
        "## Scenarios",
        "",
        "| Scenario | Calls | Passed | Pass rate |",
        "| --- | ---: | ---: | ---: |",
    ]
    for s in evaluation.scenarios:
        name = f"{cell(s.scenario_id)}" + (f" ({cell(s.label)})" if s.label else "")
        lines.append(f"| {name} | {s.calls} | {s.passed} | {percent(s.pass_rate)} |")
    if evaluation.latency:
        lines += ["", "## Latency", "", "| Metric | Turns | p50 | p95 | p99 | max |"]
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for stats in evaluation.latency.values():
            lines.append(
                f"| {stats.metric} | {stats.count} | {ms(stats.p50_ms)} | {ms(stats.p95_ms)} "
                f"| {ms(stats.p99_ms)} | {ms(stats.max_ms)} |"
            )
    lines += ["", "## Calls", "", "| Call | Linked | Result |", "| --- | --- | --- |"]
    for call in evaluation.calls:
        linked = "yes" if call.linked else "**no**"
        lines.append(f"| {cell(call.scenario_id)}[{call.attempt}] | {linked} | {_status(call)} |")
    failed = evaluation.failed_calls
    if failed:
        lines += ["", "## Failures", ""]
        for call in failed:
            lines.append(f"- **{cell(call.scenario_id)}[{call.attempt}]** (`{call.result_id}`)")
            lines.extend(f"  - {cell(reason)}" for reason in call.failure_reasons())
    if evaluation.error_calls:
        lines += ["", "## Not evaluated (the judge failed)", ""]
        for call in evaluation.error_calls:
            lines.append(f"- **{cell(call.scenario_id)}[{call.attempt}]** (`{call.result_id}`)")
            lines.extend(f"  - {cell(reason)}" for reason in call.error_reasons())
    return "\n".join(lines) + "\n"
