"""What an evaluation produces: JSON-serialisable results that reports consume."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field

EXPECTATIONS_KIND = "agent_expectations"
"""`AssertionResult.kind` of the LLM-judged `agent_expectations`."""
JUDGE_SKIPPED = "skipped: no judge configured"


class _Model(BaseModel):
    # Output shapes: their JSON (computed fields included) reads back as the same model.
    model_config = ConfigDict(extra="ignore")


class AssertionResult(_Model):
    """One assertion (or the judged expectations) checked against one call."""

    kind: str
    """The assertion kind (`tool_called`, `latency`...) or `agent_expectations`."""
    passed: bool | None
    """None when the check was not made (skipped, or `error`); never counts as passed."""
    error: bool = False
    """The check could not be made through no fault of the agent: the judge failed (an LLM
    error, a timeout, an answer that is not a verdict). The call is then an `error`, not a
    failure."""
    reason: str
    """What happened, in words a person can act on."""
    spec: dict[str, Any] = Field(default_factory=dict)
    """The assertion as written in the suite."""
    detail: dict[str, Any] = Field(default_factory=dict)
    """Extra facts (the judge's reasoning and model, measured values...)."""

    @property
    def skipped(self) -> bool:
        return self.passed is None and not self.error


class CallEvaluation(_Model):
    """Every assertion of a scenario checked against one simulated call."""

    result_id: str | None = None
    scenario_id: str
    attempt: int = 0
    linked: bool
    """An agent-side call is linked to this result."""
    caller_linked: bool = False
    agent_call_id: str | None = None
    assertions: list[AssertionResult] = Field(default_factory=list)
    latency_samples: dict[str, list[float]] = Field(default_factory=dict)
    """Per metric, every sample of this call (ms): the agent turns' own metrics, and
    `heard_latency` per caller turn the agent answered."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status(self) -> str:
        """`failed` (not linked, or an assertion failed), else `error` (a check could not be
        made: the judge failed), else `passed`."""
        if not self.linked or any(a.passed is False for a in self.assertions):
            return "failed"
        return "error" if self.errors else "passed"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """Linked, every check made, and every assertion that was not skipped passed."""
        return self.status == "passed"

    @property
    def failures(self) -> list[AssertionResult]:
        return [a for a in self.assertions if a.passed is False]

    @property
    def errors(self) -> list[AssertionResult]:
        """The checks that could not be made (the judge failed)."""
        return [a for a in self.assertions if a.error]

    def error_reasons(self) -> list[str]:
        return [f"{a.kind}: {a.reason}" for a in self.errors]

    def failure_reasons(self) -> list[str]:
        reasons = [f"{a.kind}: {a.reason}" for a in self.failures]
        if not self.linked and not any(a.kind == "linked" for a in self.failures):
            reasons.insert(0, f"linked: {NOT_LINKED}")
        return reasons


NOT_LINKED = (
    "no agent side is linked to this call: the agent under test never synced it "
    "(is the Ringback plugin installed and pointed at this collector?)"
)


class LatencyStats(_Model):
    metric: str
    count: int
    """Agent turns that reported the metric."""
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None


class AssertionTally(_Model):
    """How one assertion of a scenario fared across its calls."""

    index: int
    """Its position in the scenario's assertions (-1 for `agent_expectations`)."""
    kind: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: int = 0


class ScenarioEvaluation(_Model):
    """A scenario's calls (its repeats) taken together."""

    scenario_id: str
    label: str | None = None
    calls: int
    passed: int
    errors: int = 0
    """Calls that could not be fully evaluated (the judge failed); left out of `pass_rate`."""
    pass_rate: float | None
    assertions: list[AssertionTally] = Field(default_factory=list)
    latency: dict[str, LatencyStats] = Field(default_factory=dict)


class RunEvaluation(_Model):
    """A whole run: every call, per scenario, and the latency distribution."""

    run_id: str
    suite: str
    calls: list[CallEvaluation] = Field(default_factory=list)
    scenarios: list[ScenarioEvaluation] = Field(default_factory=list)
    latency: dict[str, LatencyStats] = Field(default_factory=dict)
    """Per metric, over every agent turn of every call."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> int:
        return len(self.calls)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> int:
        return sum(c.passed for c in self.calls)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def errors(self) -> int:
        """Calls that could not be fully evaluated (the judge failed): not counted either way."""
        return sum(c.status == "error" for c in self.calls)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pass_rate(self) -> float | None:
        """Passed calls over the calls evaluated (`errors` left out); None when there is none."""
        evaluated = self.total - self.errors
        return self.passed / evaluated if evaluated else None

    @property
    def failed_calls(self) -> list[CallEvaluation]:
        return [c for c in self.calls if c.status == "failed"]

    @property
    def error_calls(self) -> list[CallEvaluation]:
        return [c for c in self.calls if c.status == "error"]
