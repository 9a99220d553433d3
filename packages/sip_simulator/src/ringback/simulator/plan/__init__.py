"""Planning a run: ids, the exact INVITE headers, and the simulated caller's brief per call."""

from ringback.core.protocol import new_result_id, new_run_id

from .headers import HeaderPlanError, invite_headers, masked
from .planner import PlannedCall, RunPlan, plan_run, select_scenarios

__all__ = [
    "HeaderPlanError",
    "PlannedCall",
    "RunPlan",
    "invite_headers",
    "masked",
    "new_result_id",
    "new_run_id",
    "plan_run",
    "select_scenarios",
]
