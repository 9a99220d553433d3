"""The simulated caller: a LiveKit Agents worker that plays a scenario's caller.

- `CallerBrief`: the dispatch metadata a caller gets (ids, scenario, caller-only testing
  variables, models), and its persona prompt.
- `SimulatedCaller`: the `Agent` with a `hang_up` tool; scripted turns through `ScriptedTurns`.
- `start_caller` / `entrypoint` / `build_server` / `serve`: the worker (`ringback-sim worker`,
  command in `ringback.simulator.cli.worker`).

Names are imported lazily so that importing the package does not load LiveKit Agents.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .agent import SimulatedCaller
    from .brief import CallerBrief, CallerBriefError, CallerModels, ScenarioBrief
    from .script import ScriptedTurns
    from .worker import (
        DEFAULT_AGENT_NAME,
        CallerCall,
        build_server,
        entrypoint,
        serve,
        start_caller,
    )

__getattr__ = lazy_exports(
    __name__,
    {
        "CallerBrief": ".brief",
        "CallerBriefError": ".brief",
        "CallerModels": ".brief",
        "ScenarioBrief": ".brief",
        "SimulatedCaller": ".agent",
        "ScriptedTurns": ".script",
        "DEFAULT_AGENT_NAME": ".worker",
        "CallerCall": ".worker",
        "build_server": ".worker",
        "entrypoint": ".worker",
        "serve": ".worker",
        "start_caller": ".worker",
    },
)


__all__ = [
    "DEFAULT_AGENT_NAME",
    "CallerBrief",
    "CallerBriefError",
    "CallerCall",
    "CallerModels",
    "ScenarioBrief",
    "ScriptedTurns",
    "SimulatedCaller",
    "build_server",
    "entrypoint",
    "serve",
    "start_caller",
]
