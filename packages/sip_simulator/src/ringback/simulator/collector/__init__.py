"""The collector: a self-hosted Create Call API (`ringback-sim serve`) and its pages.

- `create_app` / `server.serve`: the ASGI app and the uvicorn runner.
- `prepare_call`: from a request body to a call the store accepts (`normalise` maps the
  published clients' variant shapes onto the canonical call).
- `CollectorSettings`: host, port, database and limits of `ringback-sim serve`.

Everything it keeps goes through `ringback.simulator.store`. Names are imported lazily, so
`ringback-sim --help` does not load the web stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringback.core.lazy import lazy_exports

if TYPE_CHECKING:
    from .app import create_app
    from .prepare import BodyError, prepare_call
    from .settings import CollectorSettings

__getattr__ = lazy_exports(
    __name__,
    {
        "create_app": ".app",
        "BodyError": ".prepare",
        "prepare_call": ".prepare",
        "CollectorSettings": ".settings",
    },
)

__all__ = ["BodyError", "CollectorSettings", "create_app", "prepare_call"]
