"""The script of a scripted LLM, framework-free: what it answers to each request.

`ringback.livekit.testing.ScriptedLLM` (a LiveKit Agents `llm.LLM`) and
`ringback.pipecat.testing.ScriptedLLMService` (a Pipecat `LLMService`) both play a `Script`
of `Reply`s, so an agent under test thinks with no model and no network, the same way in
either framework:

    script = Script(["Hi, how can I help?", Reply(tools=[ToolCall("lookup_order", {"id": "A1"})])])
    script.next(context)   # the first reply, then the second, then None (or `respond`'s)

Each request takes the next queued reply; once they run out, `respond(context)` answers
(the framework's own chat context: LiveKit's `llm.ChatContext`, Pipecat's `LLMContext`).
See docs/testing.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

ContextT = TypeVar("ContextT")


@dataclass(frozen=True)
class ToolCall:
    """A tool (function) call in a reply."""

    name: str
    arguments: Mapping[str, Any] = field(default_factory=dict)
    call_id: str | None = None
    """None: `call_<request id>_<n>`, n counting the reply's calls from 0."""


@dataclass(frozen=True)
class Usage:
    """The token usage a reply reports, field for field as a provider reports it (whether
    `input_tokens` includes the cached ones is the provider's convention)."""

    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0
    """Input tokens read from the prompt cache."""
    cache_write_tokens: int = 0
    """Input tokens written to the prompt cache."""
    total_tokens: int | None = None
    """None: input + output."""

    @property
    def total(self) -> int:
        """`total_tokens`, else input + output."""
        if self.total_tokens is not None:
            return self.total_tokens
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Reply:
    """One LLM answer: text (a string, or the chunks it streams in) and/or tool calls.

    `hold` pauses the stream after `text` until the event is set, then `more` follows: a
    reply the test can interrupt mid-way. `error` fails the request instead
    (LiveKit: a non-retryable `APIError`; Pipecat: an `ErrorFrame`).
    """

    text: str | Sequence[str] = ""
    tools: Sequence[ToolCall] = ()
    usage: Usage | None = None
    """None: the scripted LLM's default (its `usage=`)."""
    think_ms: float | None = None
    """Time to the first token; None: the scripted LLM's default (its `think_ms=`)."""
    error: str | None = None
    hold: asyncio.Event | None = None
    more: str | Sequence[str] = ""

    def __post_init__(self) -> None:
        for tool in self.tools:
            if not isinstance(tool, ToolCall):
                raise TypeError(
                    f"Reply tools are ToolCall(name, arguments), not {type(tool).__name__}: "
                    f"{tool!r}"
                )

    @property
    def chunks(self) -> tuple[str, ...]:
        """`text` as streamed chunks (none for an empty string)."""
        return _chunks(self.text)

    @property
    def more_chunks(self) -> tuple[str, ...]:
        return _chunks(self.more)

    @property
    def spoken(self) -> str:
        """All the text, `more` included."""
        return "".join(self.chunks + self.more_chunks)

    def tool_calls(self, request_id: str) -> list[ToolCall]:
        """The tool calls, each with its call id (made up from `request_id` when not given)."""
        return [
            tool
            if tool.call_id is not None
            else ToolCall(tool.name, tool.arguments, f"call_{request_id}_{n}")
            for n, tool in enumerate(self.tools)
        ]


def _chunks(text: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(text, str):
        return (text,) if text else ()
    return tuple(text)


def estimate_usage(reply: Reply) -> Usage:
    """Made-up usage that grows with the reply: 120 input tokens; an output token per word
    and 8 per tool call."""
    output = len(reply.spoken.split()) + 8 * len(reply.tools)
    return Usage(input_tokens=120, output_tokens=output)


UsagePolicy = Usage | Callable[[Reply], Usage] | None
"""What a reply without its own `usage` reports: always this, a function of the reply, or
nothing."""


def as_reply(answer: Reply | str) -> Reply:
    """A reply from a reply or its text."""
    return Reply(text=answer) if isinstance(answer, str) else answer


class Script(Generic[ContextT]):
    """The replies of a scripted LLM, in order: the queued `replies` first, then
    `respond(context)`'s; None when both are exhausted (or `respond` answers None).

    `usage` and `think_ms` are the defaults for replies that give none; `requests` counts
    the requests asked so far, and each gets the id `req_<n>` (n from 1).
    """

    def __init__(
        self,
        replies: Iterable[Reply | str] = (),
        *,
        respond: Callable[[ContextT], Reply | str | None] | None = None,
        usage: UsagePolicy = None,
        think_ms: float = 0.0,
    ) -> None:
        self.replies: deque[Reply] = deque(as_reply(r) for r in replies)
        self.respond = respond
        self.usage = usage
        self.think_ms = think_ms
        self.requests = 0

    def add(self, *replies: Reply | str) -> None:
        """Queue more replies, after those already queued."""
        self.replies.extend(as_reply(r) for r in replies)

    def next(self, context: ContextT) -> Reply | None:
        """Count a request and give its reply."""
        self.requests += 1
        if self.replies:
            return self.replies.popleft()
        if self.respond is not None:
            answer = self.respond(context)
            return None if answer is None else as_reply(answer)
        return None

    @property
    def request_id(self) -> str:
        """The id of the latest request."""
        return f"req_{self.requests}"

    def usage_of(self, reply: Reply) -> Usage | None:
        """What `reply` reports: its own usage, else this script's default."""
        if reply.usage is not None:
            return reply.usage
        if callable(self.usage):
            return self.usage(reply)
        return self.usage

    def think_ms_of(self, reply: Reply) -> float:
        return reply.think_ms if reply.think_ms is not None else self.think_ms


class StateSignal:
    """What a stand-in server's tests wait on: `wait_until(predicate)` returns once the
    predicate holds, re-checked each time the server calls `notify()` after changing its state,
    from the server's own loop or from any other thread (`wait_until_sync`)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.loop: asyncio.AbstractEventLoop | None = None
        """The server's loop, once `bind()` ran in it."""
        self._changed: asyncio.Condition | None = None

    def bind(self) -> None:
        """Call in the server's loop as it starts."""
        self.loop = asyncio.get_running_loop()
        self._changed = asyncio.Condition()

    async def notify(self) -> None:
        """The state changed: wake every waiter (in this loop and in other threads)."""
        with self._lock:
            self._lock.notify_all()
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> None:
        if asyncio.get_running_loop() is not self.loop or self._changed is None:
            await asyncio.to_thread(self.wait_until_sync, predicate, timeout)
            return
        changed = self._changed
        async with changed:
            await asyncio.wait_for(changed.wait_for(predicate), timeout)

    def wait_until_sync(self, predicate: Callable[[], bool], timeout: float) -> None:
        with self._lock:
            if not self._lock.wait_for(predicate, timeout):
                raise TimeoutError("condition not met in time")


@contextlib.contextmanager
def running_in_thread(
    start: Callable[[], Awaitable[object]],
    stop: Callable[[], Awaitable[object]],
    *,
    name: str,
    start_timeout_s: float = 10.0,
) -> Iterator[None]:
    """Run a stand-in server in a background thread with its own event loop for the block:
    `start()` before it begins, `stop()` when it ends (for synchronous tests, CLI runners)."""
    loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()
        loop.run_until_complete(stop())
        loop.close()

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    if not started.wait(start_timeout_s):
        raise RuntimeError(f"{name} did not start within {start_timeout_s:g}s")
    try:
        yield
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(start_timeout_s)


__all__ = [
    "Reply",
    "Script",
    "ToolCall",
    "Usage",
    "UsagePolicy",
    "as_reply",
    "estimate_usage",
    "running_in_thread",
]
