"""Suite files: the agent to call, run settings, test profiles and scenarios."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .assertions import ASSERTION_KINDS, Assertion
    from .choices import Transport
    from .durations import Duration, parse_duration
    from .loader import LoadedSuite, Problem, SuiteError, load_suite, parse_suite
    from .models import AgentEndpoint, RunSettings, Scenario, Suite, TestProfile

__getattr__ = lazy_exports(
    __name__,
    {
        "ASSERTION_KINDS": ".assertions",
        "Assertion": ".assertions",
        "Duration": ".durations",
        "parse_duration": ".durations",
        "LoadedSuite": ".loader",
        "Problem": ".loader",
        "SuiteError": ".loader",
        "load_suite": ".loader",
        "parse_suite": ".loader",
        "Transport": ".choices",
        "AgentEndpoint": ".models",
        "RunSettings": ".models",
        "Scenario": ".models",
        "Suite": ".models",
        "TestProfile": ".models",
    },
)

__all__ = [
    "ASSERTION_KINDS",
    "AgentEndpoint",
    "Assertion",
    "Duration",
    "LoadedSuite",
    "Problem",
    "RunSettings",
    "Scenario",
    "Suite",
    "SuiteError",
    "TestProfile",
    "Transport",
    "load_suite",
    "parse_duration",
    "parse_suite",
]
