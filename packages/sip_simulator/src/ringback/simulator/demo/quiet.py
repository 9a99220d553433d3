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
    """LiveKit's log records below CRITICAL dropped, until exit: the demo prints its own
    report, in which every failure shows. (Its failing tool logs an error on purpose, and
    over SIP the workers log their start-up and any audio that ran late.)"""
    log = logging.getLogger("livekit")
    previous = log.level
    log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        log.setLevel(previous)


__all__ = ["pipecat_available", "quiet_livekit", "quiet_pipecat"]
