"""The Timeline builder both framework integrations feed."""

from .builder import Timeline
from .clock import CallClock
from .latency import TurnLatency
from .usage import CostCalculator, CostInputs, ModelNames, ModelUsage, ServiceKind, UsageMeter

__all__ = [
    "CallClock",
    "CostCalculator",
    "CostInputs",
    "ModelNames",
    "ModelUsage",
    "ServiceKind",
    "Timeline",
    "TurnLatency",
    "UsageMeter",
]
