"""Waiting on a condition that no event announces (a file written by a worker thread)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Return once `condition()` holds; fail after `timeout` seconds."""

    async def poll() -> None:
        while not condition():  # noqa: ASYNC110 - nothing to await: the state is on disk
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)
