"""The bar a finished run must clear: every call passes, unless `fail_under` sets a lower one.

The exit codes of `ringback-sim run` (packages/sip_simulator/README.md, "Exit codes"):

| code | meaning |
|---|---|
| 0 | every call passed its assertions (or the pass rate meets `fail_under`) |
| 1 | calls failed: the pass rate is below the bar, or the batch stopped on an error |
| 2 | the run could not be (fully) evaluated (the judge failed), or a setting is wrong |
| 130 | interrupted (Ctrl-C): continue with `--resume RUN_ID` |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ringback.simulator.suite.models import Suite

from .models import RunEvaluation

EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_NOT_EVALUATED = 2
EXIT_INTERRUPTED = 130
MAX_LISTED = 20


@dataclass(frozen=True)
class Bar:
    """The pass rate a run must reach, and where that number came from."""

    threshold: float
    source: str
    """`--fail-under`, `run.fail_under` or `every call must pass`."""

    @classmethod
    def for_run(cls, suite: Suite, flag: float | None) -> Bar:
        if flag is not None:
            return cls(flag, "--fail-under")
        if suite.run.fail_under is not None:
            return cls(suite.run.fail_under, "run.fail_under")
        return cls(1.0, "every call must pass")

    def met_by(self, evaluation: RunEvaluation) -> bool:
        rate = evaluation.pass_rate
        return rate is not None and rate >= self.threshold


def render_gate(evaluation: RunEvaluation, bar: Bar) -> list[str]:
    """The pass rate against `bar`, then each failing call with its reasons."""
    rate = evaluation.pass_rate
    shown = "n/a" if rate is None else f"{rate:.1%}"
    evaluated = evaluation.total - evaluation.errors
    head = f"pass rate {shown} ({evaluation.passed}/{evaluated} calls)"
    if bar.source.startswith("every"):
        failed = evaluated - evaluation.passed
        if bar.met_by(evaluation):
            head += ": every call evaluated passed" if evaluation.errors else ": every call passed"
        elif evaluated == 0:
            head += ": no call to evaluate"
        else:
            head += (
                f": {failed} failed; every call must pass unless run.fail_under or "
                "--fail-under sets a lower bar"
            )
    else:
        verdict = "meets" if bar.met_by(evaluation) else "below"
        head += f" {verdict} {bar.source} {bar.threshold:.1%}"
    if evaluation.errors:
        head += (
            f"; {evaluation.errors} more could not be evaluated (the judge failed) and are left out"
        )
    lines = [head]
    for call in evaluation.failed_calls[:MAX_LISTED]:
        lines.append(f"  {call.scenario_id}#{call.attempt} ({call.result_id}):")
        lines.extend(f"    {reason}" for reason in call.failure_reasons())
    if len(evaluation.failed_calls) > MAX_LISTED:
        lines.append(f"  and {len(evaluation.failed_calls) - MAX_LISTED} more failing calls")
    for call in evaluation.error_calls[:MAX_LISTED]:
        lines.append(f"  error {call.scenario_id}#{call.attempt} ({call.result_id}):")
        lines.extend(f"    {reason}" for reason in call.error_reasons())
    return lines


def run_exit_code(
    evaluation: RunEvaluation,
    suite: Suite,
    flag: float | None,
    code: int,
    say: Callable[[str], None],
) -> int:
    """The run's exit code: `code` (the batch's own: 0, 1 when it stopped on an error, 130
    when interrupted) combined with `evaluation` against the bar, which `say` prints with
    every failing call's reasons. An interrupted run is not gated. Calls the judge could not
    evaluate are left out of the pass rate; when the rest meet the bar, the run could not be
    fully evaluated (2)."""
    if code == EXIT_INTERRUPTED:
        return code
    bar = Bar.for_run(suite, flag)
    for line in render_gate(evaluation, bar):
        say(line)
    if evaluation.pass_rate is None and evaluation.errors:
        return EXIT_NOT_EVALUATED
    if not bar.met_by(evaluation):
        return EXIT_FAILED
    return EXIT_NOT_EVALUATED if evaluation.errors and code == EXIT_PASSED else code
