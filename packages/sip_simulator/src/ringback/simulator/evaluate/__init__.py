"""Evaluating simulated calls: a scenario's assertions checked against the synced call bodies,
`agent_expectations` judged by an LLM when one is given, and a run's pass rate, per-scenario
results and latency distribution.

- `evaluate_call(scenario, agent_body, caller_body)`: one call, expectations skipped;
- `judge_call(..., judge=llm)`: the same, with the expectations judged by `judge`;
- `evaluate_run(store, workspace_id, run_id, suite, judge=None)`: a stored run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .call import evaluate_call
    from .judge import judge_call, judge_expectations
    from .models import (
        EXPECTATIONS_KIND,
        JUDGE_SKIPPED,
        AssertionResult,
        AssertionTally,
        CallEvaluation,
        LatencyStats,
        RunEvaluation,
        ScenarioEvaluation,
    )
    from .run import evaluate_run, latency_stats, summarise

__getattr__ = lazy_exports(
    __name__,
    {
        "evaluate_call": ".call",
        "judge_call": ".judge",
        "judge_expectations": ".judge",
        "EXPECTATIONS_KIND": ".models",
        "JUDGE_SKIPPED": ".models",
        "AssertionResult": ".models",
        "AssertionTally": ".models",
        "CallEvaluation": ".models",
        "LatencyStats": ".models",
        "RunEvaluation": ".models",
        "ScenarioEvaluation": ".models",
        "evaluate_run": ".run",
        "latency_stats": ".run",
        "summarise": ".run",
    },
)

__all__ = [
    "EXPECTATIONS_KIND",
    "JUDGE_SKIPPED",
    "AssertionResult",
    "AssertionTally",
    "CallEvaluation",
    "LatencyStats",
    "RunEvaluation",
    "ScenarioEvaluation",
    "evaluate_call",
    "evaluate_run",
    "judge_call",
    "judge_expectations",
    "latency_stats",
    "summarise",
]
