"""The suite's `judge:`: build the livekit-agents LLM that judges `agent_expectations`."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

from livekit.agents import llm

from ringback.core.errors import RingbackError
from ringback.simulator.references import UnresolvedReference, resolve, split_reference
from ringback.simulator.suite.models import JudgeSettings


class JudgeConfigError(RingbackError, ValueError):
    """The suite's `judge` cannot be built; the message says why and what to write."""


def make_judge(settings: JudgeSettings) -> llm.LLM[Any]:
    """The judge LLM: `module:attr(**options)` when `llm` names one, else a LiveKit
    Inference model. Raises `JudgeConfigError` (never with option values, which may be
    secrets)."""
    if ":" in settings.llm:
        return _from_reference(settings.llm, settings.options)
    from livekit.agents import inference

    try:
        return inference.LLM(model=settings.llm, **settings.options)
    except TypeError as exc:
        raise JudgeConfigError(
            f"judge.options do not fit LiveKit Inference's LLM ({_names(settings.options)}): "
            f"{_safe_message(exc, settings.options)}"
        ) from None
    except ValueError as exc:
        raise JudgeConfigError(
            f"judge.llm {settings.llm!r} is a LiveKit Inference model, which needs "
            f"LIVEKIT_API_KEY and LIVEKIT_API_SECRET ({exc}); set them, or name another LLM "
            "as module:attr (e.g. livekit.plugins.openai:LLM)"
        ) from None


def _from_reference(reference: str, options: dict[str, Any]) -> llm.LLM[Any]:
    parts = split_reference(reference)
    if parts is None:
        raise JudgeConfigError(
            f"judge.llm {reference!r} must be module:attr (e.g. livekit.plugins.openai:LLM) "
            "or a LiveKit Inference model (e.g. openai/gpt-4.1-mini)"
        )
    try:
        target = resolve(*parts)
    except UnresolvedReference as exc:
        raise JudgeConfigError(f"judge.llm {reference!r}: {exc}") from None
    if not callable(target):
        raise JudgeConfigError(f"judge.llm {reference!r} is not a class or a function")
    try:
        judge = target(**options)
    except Exception as exc:
        raise JudgeConfigError(
            f"judge.llm {reference!r} could not be created with options "
            f"({_names(options)}): {type(exc).__name__}: {_safe_message(exc, options)}"
        ) from None
    if not isinstance(judge, llm.LLM):
        raise JudgeConfigError(
            f"judge.llm {reference!r} gave a {type(judge).__name__}, not a livekit-agents llm.LLM"
        )
    return judge


def _names(options: dict[str, Any]) -> str:
    return ", ".join(sorted(options)) or "none"


HIDDEN = "(its message is not shown: it contains an option value, which may be a secret)"
_SHOWN_PREFIX = 8


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _strings(item)
    elif value is not None and not isinstance(value, (bool, int, float)):
        yield str(value)


def _safe_message(exc: BaseException, options: dict[str, Any]) -> str:
    """The exception's message, unless any option value (at any depth), or the start of one
    (libraries shorten long values), appears in it."""
    message = str(exc)
    for text in _strings(options):
        needle = text[:_SHOWN_PREFIX] if len(text) >= _SHOWN_PREFIX else text
        if len(needle) >= 4 and needle in message:
            return HIDDEN
    return message


@contextlib.asynccontextmanager
async def suite_judge(settings: JudgeSettings | None) -> AsyncIterator[llm.LLM[Any] | None]:
    """The suite's judge for the duration of the block (None without one), closed after."""
    if settings is None:
        yield None
        return
    judge = make_judge(settings)
    try:
        yield judge
    finally:
        await judge.aclose()


async def check_judge(settings: JudgeSettings | None) -> None:
    """Build the judge once and close it: `JudgeConfigError` now, before anything runs."""
    async with suite_judge(settings):
        pass
