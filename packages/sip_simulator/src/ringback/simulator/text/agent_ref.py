"""`--agent module:Class`: find the LiveKit `Agent` a text-mode run talks to.

The reference is `module:attr` (`myapp.agents:Support`) or `path/to/file.py:attr`; `attr` is
an `Agent` subclass with a no-argument constructor, or a function taking no arguments that
returns an `Agent`. A fresh agent is made for every call.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from livekit.agents import Agent

AgentFactory = Callable[[], Agent]


class AgentImportError(ValueError):
    """The `--agent` reference cannot be used; the message says why and what to write."""


def _import(module_ref: str, spec: str) -> ModuleType:
    if module_ref.endswith(".py") or "/" in module_ref or "\\" in module_ref:
        path = Path(module_ref)
        if not path.is_file():
            raise AgentImportError(f"--agent {spec}: no file {module_ref}")
        name = f"ringback_agent_{path.stem}"
        loader_spec = importlib.util.spec_from_file_location(name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise AgentImportError(f"--agent {spec}: cannot load {module_ref} as Python")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module
        try:
            loader_spec.loader.exec_module(module)
        except Exception as exc:
            sys.modules.pop(name, None)
            raise AgentImportError(
                f"--agent {spec}: importing {module_ref} failed: {type(exc).__name__}: {exc}"
            ) from exc
        return module
    if "" not in sys.path and str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))  # like `python -m`: modules in the current folder
    try:
        return importlib.import_module(module_ref)
    except ModuleNotFoundError as exc:
        if exc.name and module_ref.startswith(exc.name):
            raise AgentImportError(
                f"--agent {spec}: no module named {exc.name!r} (run from the folder that holds "
                "it, install it, or write a file path: path/to/agent.py:Class)"
            ) from exc
        raise AgentImportError(
            f"--agent {spec}: importing {module_ref} failed: {type(exc).__name__}: {exc}"
        ) from exc
    except Exception as exc:
        raise AgentImportError(
            f"--agent {spec}: importing {module_ref} failed: {type(exc).__name__}: {exc}"
        ) from exc


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
    module_ref, sep, attr = spec.rpartition(":")
    if not sep or not module_ref or not attr:
        raise AgentImportError(
            f"--agent {spec!r} must be module:Class (e.g. myapp.agents:Support) or "
            "path/to/agent.py:Class"
        )
    module = _import(module_ref, spec)
    target: object = module
    for part in attr.split("."):
        if not hasattr(target, part):
            raise AgentImportError(f"--agent {spec}: {module_ref} has no attribute {attr!r}")
        target = getattr(target, part)
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
