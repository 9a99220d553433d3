"""The collector: a self-hosted Create Call API (`ringback-sim serve`) and its store.

- `create_app` / `server.serve`: the ASGI app and the uvicorn runner.
- `Store`: calls, API keys, simulation runs and results (SQLite by default, PostgreSQL by URL);
  the simulator registers runs and results here and reads linked calls back.
- `linking`: how a call finds its result; `CALLER_SIDE` / `caller_side_metadata` mark the
  simulator's own side of a call.
- `normalise`: how the published clients' variant shapes map onto the canonical call.

Names are imported lazily, so `ringback-sim --help` does not load the web stack.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .linking import (
        AGENT_SIDE,
        CALLER_SIDE,
        SIDE_KEY,
        SIMULATION_KEY,
        LinkedBy,
        caller_side_metadata,
    )
    from .prepare import BodyError, PreparedCall, prepare_call
    from .settings import CollectorSettings
    from .store import Store

_EXPORTS = {
    "create_app": "app",
    "AGENT_SIDE": "linking",
    "CALLER_SIDE": "linking",
    "SIDE_KEY": "linking",
    "SIMULATION_KEY": "linking",
    "LinkedBy": "linking",
    "caller_side_metadata": "linking",
    "BodyError": "prepare",
    "PreparedCall": "prepare",
    "prepare_call": "prepare",
    "CollectorSettings": "settings",
    "Store": "store",
}

__all__ = [
    "AGENT_SIDE",
    "CALLER_SIDE",
    "SIDE_KEY",
    "SIMULATION_KEY",
    "BodyError",
    "CollectorSettings",
    "LinkedBy",
    "PreparedCall",
    "Store",
    "caller_side_metadata",
    "create_app",
    "prepare_call",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
