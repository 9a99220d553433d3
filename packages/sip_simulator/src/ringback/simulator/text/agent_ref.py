"""`--agent module:Class`: find the LiveKit `Agent` a text-mode run talks to.

The reference is `module:attr` (`myapp.agents:Support`) or `path/to/file.py:attr`; `attr` is
an `Agent` subclass with a no-argument constructor, or a function taking no arguments that
returns an `Agent`. A fresh agent is made for every call.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

from livekit.agents import Agent

from ringback.core.errors import RingbackError
from ringback.simulator.references import UnresolvedReference, resolve, split_reference

AgentFactory = Callable[[], Agent]


class AgentImportError(RingbackError, ValueError):
    """The `--agent` reference cannot be used; the message says why and what to write."""


def _required_parameters(target: Callable[..., object]) -> list[str]:
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    return [
        p.name
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]


def load_agent(spec: str) -> AgentFactory:
    """A factory making a fresh agent per call from `module:attr`; `AgentImportError` says
    what is wrong (bad form, import failure, missing attribute, not an Agent, needs
    arguments)."""
    parts = split_reference(spec)
    if parts is None:
        raise AgentImportError(
            f"--agent {spec!r} must be module:Class (e.g. myapp.agents:Support) or "
            "path/to/agent.py:Class"
        )
    module_ref, attr = parts
    try:
        target = resolve(module_ref, attr)
    except UnresolvedReference as exc:
        raise AgentImportError(f"--agent {spec}: {exc}") from exc
    if inspect.isclass(target):
        if not issubclass(target, Agent):
            raise AgentImportError(
                f"--agent {spec}: {attr} is a class but not a livekit.agents.Agent subclass"
            )
        needs = _required_parameters(target)
        if needs:
            raise AgentImportError(
                f"--agent {spec}: {attr}() needs arguments ({', '.join(needs)}); give a class "
                "with a no-argument constructor, or a module:function that takes no arguments "
                "and returns the Agent"
            )
        return target
    if callable(target):
        needs = _required_parameters(target)
        if needs:
            raise AgentImportError(
                f"--agent {spec}: {attr}() needs arguments ({', '.join(needs)}); a factory "
                "must take no arguments and return a livekit.agents.Agent"
            )
        factory = target

        def make() -> Agent:
            agent = factory()
            if not isinstance(agent, Agent):
                raise TypeError(
                    f"{spec} returned {type(agent).__name__}, not a livekit.agents.Agent"
                )
            return agent

        make.__name__ = getattr(factory, "__name__", attr)
        return make
    raise AgentImportError(
        f"--agent {spec}: {attr} is a {type(target).__name__}, not an Agent subclass or a "
        "function returning one"
    )


def text_only_flags_error(
    agent: str | None, agent_llm: str | None, agent_name: str | None
) -> str | None:
    """The error for `--agent` / `--agent-llm` / `--agent-name` given to a run that is not
    `--transport text`; None when none of them is given."""
    given = [
        flag
        for flag, value in (
            ("--agent", agent),
            ("--agent-llm", agent_llm),
            ("--agent-name", agent_name),
        )
        if value is not None
    ]
    return f"{', '.join(given)} only apply with --transport text" if given else None


def agent_label(factory: AgentFactory) -> str:
    """A short name for the agent (its class or factory name)."""
    return getattr(factory, "__name__", None) or type(factory).__name__


__all__ = [
    "AgentFactory",
    "AgentImportError",
    "agent_label",
    "load_agent",
    "text_only_flags_error",
]
