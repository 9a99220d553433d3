"""What to verify: the endpoint (from a suite's `agent:` or the command line) and the one
planned call, with the same ids and X- headers a real run gives its calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from ringback.core.errors import RingbackError
from ringback.simulator.plan import HeaderPlanError, PlannedCall, plan_run
from ringback.simulator.suite.choices import PASSWORD_ENV
from ringback.simulator.suite.models import AgentEndpoint, Scenario, Suite

SCENARIO_ID = "verify"
"""The `X-Scenario-Id` of a verify call."""
TURNS = (
    "Hello, this is a Ringback verification call.",
    "That is all I needed, thank you. Goodbye!",
)
"""What the simulated caller says in a text-transport verify call."""
"""Where the digest password for `--username` comes from (the example suites use it too)."""
TEXT_ENDPOINT = "sip:agent@text.ringback.invalid"
"""A placeholder endpoint for text-transport verifies without a suite (never dialled)."""


class VerifyConfigError(RingbackError, ValueError):
    """The endpoint, suite or profile cannot be verified; the message says what to change."""


@dataclass(frozen=True)
class VerifyTarget:
    """The verify call: a one-scenario suite and its planned call."""

    suite: Suite
    call: PlannedCall
    description: str
    suite_name: str | None = None
    """The name of the suite given, if any."""

    def run_name(self, fallback: str) -> str:
        """What the verify run is called in the collector: `verify: <suite or target>`."""
        return f"verify: {self.suite_name or fallback}"

    @property
    def endpoint(self) -> AgentEndpoint:
        return self.suite.agent


def endpoint_from_options(options: Mapping[str, Any]) -> AgentEndpoint | None:
    """An `AgentEndpoint` from command-line values (None when none is given)."""
    given = {k: v for k, v in options.items() if v is not None}
    if not given:
        return None
    try:
        return AgentEndpoint.model_validate(given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'endpoint'}: "
            f"{e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise VerifyConfigError(f"the endpoint options are not valid: {problems}") from None


def describe_endpoint(endpoint: AgentEndpoint) -> str:
    """The endpoint in words, without its password."""
    if endpoint.phone_number:
        return f"{endpoint.phone_number} through trunk {endpoint.trunk_id}"
    text = endpoint.sip_uri or ""
    if endpoint.transport is not None:
        text += f" ({endpoint.transport.value})"
    if endpoint.username:
        text += f", digest user {endpoint.username}"
    return text


def default_profile(suite: Suite) -> str | None:
    """The profile of the first scenario that uses one."""
    return next((s.profile for s in suite.scenarios if s.profile), None)


def verify_target(
    base: Suite | None,
    endpoint: AgentEndpoint | None,
    *,
    profile: str | None,
    max_duration_s: float,
    text: bool = False,
) -> VerifyTarget:
    """Plan the verify call. The endpoint comes from `endpoint` (command line) when given,
    else from `base.agent`; the X- headers are Ringback's four plus `profile`'s (default: the
    first profile a scenario of `base` uses)."""
    if endpoint is None and base is not None:
        endpoint = base.agent
    if endpoint is None:
        if not text:
            raise VerifyConfigError(
                "nothing to verify: give a SUITE.yaml (its agent: is dialled) or the endpoint "
                "with --sip-uri (and --username / AGENT_SIP_PASSWORD for digest auth) or "
                "--phone-number with --trunk-id"
            )
        endpoint = AgentEndpoint(sip_uri=TEXT_ENDPOINT)
    if not text and not endpoint.dial_target:
        raise VerifyConfigError(
            f"{endpoint.sip_uri} has no user part to dial; write e.g. sip:agent@pbx.example.com"
        )
    chosen = profile if profile is not None else (default_profile(base) if base else None)
    profiles = base.test_profiles if base else {}
    if chosen is not None and chosen not in profiles:
        defined = ", ".join(sorted(profiles)) or "none"
        raise VerifyConfigError(f"--profile {chosen!r} is not a test profile (defined: {defined})")
    scenario = Scenario(
        id=SCENARIO_ID,
        label="ringback-sim verify",
        profile=chosen,
        turns=list(TURNS),
        max_duration=timedelta(seconds=max_duration_s),
    )
    if base is None:
        suite = Suite(name=SCENARIO_ID, agent=endpoint, scenarios=[scenario])
    else:
        suite = base.model_copy(
            update={
                "agent": endpoint,
                "scenarios": [scenario],
                "run": base.run.model_copy(update={"repeat": 1}),
            }
        )
    try:
        plan = plan_run(suite)
    except HeaderPlanError as exc:
        raise VerifyConfigError(str(exc)) from None
    (call,) = plan.calls
    return VerifyTarget(suite, call, describe_endpoint(endpoint), base.name if base else None)


__all__ = [
    "PASSWORD_ENV",
    "SCENARIO_ID",
    "TURNS",
    "VerifyConfigError",
    "VerifyTarget",
    "default_profile",
    "describe_endpoint",
    "endpoint_from_options",
    "verify_target",
]
