"""Suite files: the agent to call, run settings, test profiles and scenarios."""

from .assertions import ASSERTION_KINDS, Assertion
from .durations import Duration, parse_duration
from .loader import LoadedSuite, Problem, SuiteError, load_suite, parse_suite
from .models import AgentEndpoint, RunSettings, Scenario, Suite, TestProfile, Transport

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
