"""Keeping Pipecat's and LiveKit's logging off the demo's own output."""

from __future__ import annotations

import contextlib
import importlib.util
import logging
from collections.abc import Iterator


def pipecat_available() -> bool:
    """Whether Pipecat and the Ringback observer can be imported."""
    return all(importlib.util.find_spec(name) for name in ("pipecat", "ringback.pipecat"))


@contextlib.contextmanager
def quiet_pipecat() -> Iterator[None]:
    """Pipecat logs (loguru) off, its import banner included, until exit."""
    from loguru import logger

    logger.disable("pipecat")
    try:
        yield
    finally:
        logger.enable("pipecat")


@contextlib.contextmanager
def quiet_livekit() -> Iterator[None]:
    """LiveKit Agents' log records below CRITICAL dropped (the demo's failing tool, on purpose,
    logs an error), until exit."""
    log = logging.getLogger("livekit.agents")
    previous = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(previous)


__all__ = ["pipecat_available", "quiet_livekit", "quiet_pipecat"]
