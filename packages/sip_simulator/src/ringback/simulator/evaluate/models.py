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
    """None when the check was skipped; a skipped check never counts as passed."""
    reason: str
    """What happened, in words a person can act on."""
    spec: dict[str, Any] = Field(default_factory=dict)
    """The assertion as written in the suite."""
    detail: dict[str, Any] = Field(default_factory=dict)
    """Extra facts (the judge's reasoning and model, measured values...)."""

    @property
    def skipped(self) -> bool:
        return self.passed is None


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
    def passed(self) -> bool:
        """Linked, and every assertion that was not skipped passed."""
        return self.linked and all(a.passed is not False for a in self.assertions)

    @property
    def failures(self) -> list[AssertionResult]:
        return [a for a in self.assertions if a.passed is False]

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
    max_ms: float | None = None


class AssertionTally(_Model):
    """How one assertion of a scenario fared across its calls."""

    index: int
    """Its position in the scenario's assertions (-1 for `agent_expectations`)."""
    kind: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0


class ScenarioEvaluation(_Model):
    """A scenario's calls (its repeats) taken together."""

    scenario_id: str
    label: str | None = None
    calls: int
    passed: int
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
    def pass_rate(self) -> float | None:
        """Passed calls over all calls; None for a run without calls."""
        return self.passed / self.total if self.calls else None

    @property
    def failed_calls(self) -> list[CallEvaluation]:
        return [c for c in self.calls if not c.passed]
