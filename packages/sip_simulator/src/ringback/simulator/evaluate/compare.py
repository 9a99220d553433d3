"""A run against a baseline run: per scenario, the pass rate's change and which assertions
newly fail or were fixed; per latency metric, the change of p50 and p95."""

from __future__ import annotations

from pydantic import Field, computed_field

from .models import RunEvaluation, ScenarioEvaluation, _Model


class ScenarioChange(_Model):
    scenario_id: str
    pass_rate: float | None
    baseline_pass_rate: float | None
    """None when the scenario is new (not in the baseline) or had no call evaluated there."""
    new_failures: list[str] = Field(default_factory=list)
    """Assertions (`kind` or `kind#index`) that fail now and never failed in the baseline."""
    fixed: list[str] = Field(default_factory=list)
    """Assertions that failed in the baseline and pass now."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def change(self) -> float | None:
        """`pass_rate - baseline_pass_rate`, when both are known."""
        if self.pass_rate is None or self.baseline_pass_rate is None:
            return None
        return self.pass_rate - self.baseline_pass_rate

    @computed_field  # type: ignore[prop-decorator]
    @property
    def regressed(self) -> bool:
        """Worse than the baseline: a lower pass rate, or an assertion that newly fails."""
        return (self.change is not None and self.change < 0) or bool(self.new_failures)


class MetricChange(_Model):
    metric: str
    p50_ms: float | None = None
    baseline_p50_ms: float | None = None
    p95_ms: float | None = None
    baseline_p95_ms: float | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def p50_change_ms(self) -> float | None:
        return _diff(self.p50_ms, self.baseline_p50_ms)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def p95_change_ms(self) -> float | None:
        return _diff(self.p95_ms, self.baseline_p95_ms)


class Comparison(_Model):
    run_id: str
    baseline_run_id: str
    pass_rate: float | None
    baseline_pass_rate: float | None
    scenarios: list[ScenarioChange] = Field(default_factory=list)
    latency: list[MetricChange] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def regressions(self) -> list[str]:
        """The scenarios that got worse."""
        return [s.scenario_id for s in self.scenarios if s.regressed]


def _diff(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None else now - before


def _assertion_name(kind: str, index: int, kinds: list[str]) -> str:
    """`kind`, or `kind#index` when the scenario has that kind more than once."""
    return kind if kinds.count(kind) == 1 else f"{kind}#{index}"


def _failing(scenario: ScenarioEvaluation | None) -> dict[str, bool]:
    """Each assertion of the scenario -> whether any of its calls failed it."""
    if scenario is None:
        return {}
    kinds = [t.kind for t in scenario.assertions]
    return {_assertion_name(t.kind, t.index, kinds): t.failed > 0 for t in scenario.assertions}


def compare(current: RunEvaluation, baseline: RunEvaluation) -> Comparison:
    """How `current` fares against `baseline`, scenario by scenario and metric by metric."""
    before = {s.scenario_id: s for s in baseline.scenarios}
    scenarios = []
    for scenario in current.scenarios:
        old = before.get(scenario.scenario_id)
        now, then = _failing(scenario), _failing(old)
        scenarios.append(
            ScenarioChange(
                scenario_id=scenario.scenario_id,
                pass_rate=scenario.pass_rate,
                baseline_pass_rate=old.pass_rate if old is not None else None,
                new_failures=[a for a, failed in now.items() if failed and not then.get(a)]
                if old is not None
                else [],
                fixed=[a for a, failed in now.items() if not failed and then.get(a)],
            )
        )
    metrics = sorted(set(current.latency) | set(baseline.latency))
    latency = []
    for metric in metrics:
        now_stats, old_stats = current.latency.get(metric), baseline.latency.get(metric)
        latency.append(
            MetricChange(
                metric=metric,
                p50_ms=now_stats.p50_ms if now_stats else None,
                baseline_p50_ms=old_stats.p50_ms if old_stats else None,
                p95_ms=now_stats.p95_ms if now_stats else None,
                baseline_p95_ms=old_stats.p95_ms if old_stats else None,
            )
        )
    return Comparison(
        run_id=current.run_id,
        baseline_run_id=baseline.run_id,
        pass_rate=current.pass_rate,
        baseline_pass_rate=baseline.pass_rate,
        scenarios=scenarios,
        latency=latency,
    )


__all__ = ["Comparison", "MetricChange", "ScenarioChange", "compare"]
