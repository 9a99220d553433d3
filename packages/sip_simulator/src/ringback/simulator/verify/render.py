"""The verify report for people (one line per step, a `fix:` under each failure) and the
redaction every output goes through."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .models import Shape, Step, StepStatus, SyncedCallProblem, VerifyReport

MIN_SECRET_CHARS = 4
"""Shorter "secrets" are not redacted (they would mangle ordinary text)."""
MARK = {StepStatus.PASSED: "✓", StepStatus.FAILED: "✗", StepStatus.SKIPPED: "-"}
LABEL = {
    Shape.NOT_SYNCED: "not synced",
    Shape.NO_CALL_ID: "no Call-ID",
    Shape.PROVIDER_ID: "provider id instead of the Call-ID",
    Shape.DIFFERENT_CALL_ID: "different Call-ID",
    Shape.HEADERS_MISSING: "headers missing",
    Shape.HEADERS_ALTERED: "headers altered",
    Shape.CALL_ID_UNKNOWN: "dialled Call-ID unknown",
}


def _cleaner(secrets: Iterable[str | None]) -> Callable[[Any], Any] | None:
    """A function replacing every secret in a JSON-ready value by `***` (None: no secret)."""
    hidden = sorted({s for s in secrets if s and len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)
    if not hidden:
        return None

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            for secret in hidden:
                value = value.replace(secret, "***")
            return value
        if isinstance(value, dict):
            return {clean(k): clean(v) for k, v in value.items()}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean


def redact(report: VerifyReport, secrets: Iterable[str | None]) -> VerifyReport:
    """`report` with every occurrence of a secret (SIP password, API secrets and keys)
    replaced by `***`, wherever a server or exception message may have echoed it."""
    clean = _cleaner(secrets)
    if clean is None:
        return report
    return VerifyReport.model_validate(clean(report.model_dump(mode="json", exclude={"ok"})))


def redact_steps(steps: Iterable[Step], secrets: Iterable[str | None]) -> list[Step]:
    """`steps` redacted as `redact` does a report (for the steps of an interrupted run)."""
    clean = _cleaner(secrets)
    if clean is None:
        return list(steps)
    return [Step.model_validate(clean(step.model_dump(mode="json"))) for step in steps]


def _finding_lines(finding: SyncedCallProblem) -> Iterator[str]:
    yield f"    • {LABEL[finding.shape]}: {finding.detail}"
    yield f"      fix: {finding.fix}"
    if finding.docs:
        yield f"      see: {', '.join(finding.docs)}"


def step_lines(step: Step) -> Iterator[str]:
    """One step as lines: its mark, title and detail, then a failure's fix and findings."""
    yield f"{MARK[step.status]} {step.title}: {step.detail}"
    if step.status is not StepStatus.FAILED:
        return
    if step.fix:
        yield f"    fix: {step.fix}"
    if step.docs:
        yield f"    see: {', '.join(step.docs)}"
    for finding in step.findings:
        yield from _finding_lines(finding)


def render(report: VerifyReport) -> list[str]:
    """The report as lines of text."""
    lines = [f"Verifying {report.target} ({report.transport} transport)"]
    lines.append(
        f"  run {report.run_id}, result {report.result_id}; X- headers: "
        + ", ".join(report.headers)
    )
    lines.append(f"  collector {report.collector}, workspace {report.workspace_id}")
    for step in report.steps:
        lines.extend(step_lines(step))
    counts = {status: sum(1 for s in report.steps if s.status is status) for status in StepStatus}
    total = len(report.steps)
    if report.ok:
        lines.append(f"PASSED: all {total} checks passed.")
    else:
        lines.append(
            f"FAILED: {counts[StepStatus.PASSED]} of {total} checks passed "
            f"({counts[StepStatus.FAILED]} failed, {counts[StepStatus.SKIPPED]} skipped)."
        )
    return lines


__all__ = ["redact", "redact_steps", "render", "step_lines"]
