"""`Checklist`: the verify steps in order; once one fails, the ones after it are skipped."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from .models import Step, StepId, StepStatus, SyncedCallProblem


class Checklist:
    """Collects step results in a fixed order. A failed step blocks every later one."""

    def __init__(self, titles: Sequence[tuple[StepId, str]]) -> None:
        self._titles = dict(titles)
        self._order = [step_id for step_id, _ in titles]
        self.steps: list[Step] = []
        self._started = time.monotonic()

    @property
    def blocked(self) -> bool:
        """Whether a step has failed (nothing more should run)."""
        return any(s.status is StepStatus.FAILED for s in self.steps)

    def start(self) -> None:
        """Start timing the next step."""
        self._started = time.monotonic()

    def _elapsed(self) -> float:
        return round(time.monotonic() - self._started, 3)

    def passed(self, step_id: StepId, detail: str) -> bool:
        """Record `step_id` as passed; returns True."""
        self.steps.append(
            Step(
                id=step_id,
                title=self._titles[step_id],
                status=StepStatus.PASSED,
                detail=detail,
                seconds=self._elapsed(),
            )
        )
        return True

    def failed(
        self,
        step_id: StepId,
        detail: str,
        fix: str | None = None,
        *,
        docs: Iterable[str] = (),
        findings: Iterable[SyncedCallProblem] = (),
    ) -> bool:
        """Record `step_id` as failed; returns False."""
        self.steps.append(
            Step(
                id=step_id,
                title=self._titles[step_id],
                status=StepStatus.FAILED,
                detail=detail,
                fix=fix,
                docs=list(docs),
                findings=list(findings),
                seconds=self._elapsed(),
            )
        )
        return False

    def finish(self) -> list[Step]:
        """Every step, the ones that did not run marked skipped."""
        done = {s.id for s in self.steps}
        failed = next((s for s in self.steps if s.status is StepStatus.FAILED), None)
        reason = f"skipped: {failed.title} failed" if failed else "skipped"
        for step_id in self._order:
            if step_id not in done:
                self.steps.append(
                    Step(
                        id=step_id,
                        title=self._titles[step_id],
                        status=StepStatus.SKIPPED,
                        detail=reason,
                    )
                )
        return self.steps


__all__ = ["Checklist"]
