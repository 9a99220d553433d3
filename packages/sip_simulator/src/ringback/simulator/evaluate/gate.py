"""`run --fail-under`: fail a finished run when too few of its calls passed."""

from __future__ import annotations

from collections.abc import Callable

from ringback.simulator.suite.models import Suite

from .models import RunEvaluation

EXIT_BELOW = 1
EXIT_INTERRUPTED = 130
MAX_LISTED = 20


def render_gate(evaluation: RunEvaluation, threshold: float) -> list[str]:
    """The pass rate against `threshold`, then each failing call with its reasons."""
    rate = evaluation.pass_rate
    shown = "n/a" if rate is None else f"{rate:.1%}"
    verdict = "below" if rate is None or rate < threshold else "meets"
    lines = [
        f"pass rate {shown} ({evaluation.passed}/{evaluation.total} calls) {verdict} "
        f"fail_under {threshold:.1%}"
    ]
    for call in evaluation.failed_calls[:MAX_LISTED]:
        lines.append(f"  {call.scenario_id}#{call.attempt} ({call.result_id}):")
        lines.extend(f"    {reason}" for reason in call.failure_reasons())
    if len(evaluation.failed_calls) > MAX_LISTED:
        lines.append(f"  and {len(evaluation.failed_calls) - MAX_LISTED} more failing calls")
    return lines


def fail_under_gate(
    evaluation: RunEvaluation | None,
    suite: Suite,
    flag: float | None,
    code: int,
    say: Callable[[str], None],
) -> int:
    """The run's exit code once `fail_under` (the flag, else the suite's) is applied: 1 when
    the pass rate is below it, `code` otherwise. An interrupted run (130) is not gated.
    `evaluation` is None when the results are not in the collector's store: an explicit
    `--fail-under` then fails the run (1); the suite's own `fail_under` only warns."""
    threshold = flag if flag is not None else suite.run.fail_under
    if threshold is None or code == EXIT_INTERRUPTED:
        return code
    if evaluation is None:
        if flag is not None:
            say("error: --fail-under needs the collector's store to evaluate the run")
            return EXIT_BELOW
        say("warning: run.fail_under not applied: these results are not in the collector's store")
        return code
    for line in render_gate(evaluation, threshold):
        say(line)
    rate = evaluation.pass_rate
    return EXIT_BELOW if rate is None or rate < threshold else code
