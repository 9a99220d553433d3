"""What RingbackPlugin costs a LiveKit agent, and how fast a finished call is safe on disk.

    uv run python benchmarks/livekit_plugin.py [--runs 7] [--exchanges 900] [--dir PATH]

1. Cost per conversation item: the time `AgentSession.emit(...)` takes with the plugin
   attached minus without it, per event type, for real LiveKit event objects (a user turn and
   an agent turn with speech metrics, a tool call with its output, a usage update).
2. A one-hour call (by default 900 exchanges 4 s apart, a tool call every fifth: about 2,000
   timeline rows) is fed through the same events; then the session's `close` event is emitted
   and the time until the call is durable in the outbox (built, serialised, written, fsynced)
   is measured, and separately the time until a local Create Call API server has it.

The temporary outbox is created next to the real one (the per-user state folder), not in /tmp,
which is often a RAM-backed tmpfs where fsync costs nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from livekit.agents import (
    AgentSession,
    CloseEvent,
    CloseReason,
    ConversationItemAddedEvent,
    FunctionToolsExecutedEvent,
    SessionUsageUpdatedEvent,
    llm,
)
from livekit.agents.metrics import AgentSessionUsage, LLMModelUsage, STTModelUsage, TTSModelUsage

from ringback.core.delivery import Outbox
from ringback.core.protocol import CALL_PATH
from ringback.core.settings import default_outbox_dir
from ringback.livekit import RingbackPlugin

ITEMS_PER_TYPE = 2_000
ROUNDS = 5


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# ── realistic events ─────────────────────────────────────────────────────────
def user_turn(at: float, n: int) -> ConversationItemAddedEvent:
    msg = llm.ChatMessage(
        role="user",
        content=[f"I ordered shoes last week, order A{1000 + n}, and they don't fit."],
        transcript_confidence=0.93,
        created_at=at + 2.2,
        metrics={
            "started_speaking_at": at,
            "stopped_speaking_at": at + 2.0,
            "transcription_delay": 0.15,
            "end_of_turn_delay": 0.4,
            "on_user_turn_completed_delay": 0.002,
            "stt_metadata": {"model_name": "nova-3", "model_provider": "deepgram"},
        },
    )
    return ConversationItemAddedEvent(item=msg, created_at=at + 2.2)


def agent_turn(at: float, n: int) -> ConversationItemAddedEvent:
    msg = llm.ChatMessage(
        role="assistant",
        content=[f"Sorry about that! I can exchange order A{1000 + n} for another size."],
        created_at=at + 2.9,
        metrics={
            "started_speaking_at": at + 2.9,
            "stopped_speaking_at": at + 3.8,
            "llm_node_ttft": 0.31,
            "tts_node_ttfb": 0.18,
            "e2e_latency": 0.9,
            "playback_latency": 0.01,
            "llm_metadata": {"model_name": "gpt-4.1-mini", "model_provider": "openai"},
            "tts_metadata": {"model_name": "sonic-3", "model_provider": "cartesia"},
        },
    )
    return ConversationItemAddedEvent(item=msg, created_at=at + 3.8)


def tool_round(at: float, n: int) -> FunctionToolsExecutedEvent:
    call = llm.FunctionCall(
        call_id=f"call_{n}",
        name="lookup_order",
        arguments=f'{{"order_id": "A{1000 + n}"}}',
        created_at=at + 2.5,
    )
    out = llm.FunctionCallOutput(
        call_id=f"call_{n}",
        name="lookup_order",
        output=f"{{'order_id': 'A{1000 + n}', 'status': 'delivered', 'size': 42}}",
        is_error=False,
        created_at=at + 2.7,
    )
    return FunctionToolsExecutedEvent(function_calls=[call], function_call_outputs=[out])


def usage_update(n: int) -> SessionUsageUpdatedEvent:
    usage = AgentSessionUsage(
        model_usage=[
            LLMModelUsage(
                provider="openai",
                model="gpt-4.1-mini",
                input_tokens=900 * n,
                input_cached_tokens=600 * n,
                output_tokens=40 * n,
            ),
            TTSModelUsage(provider="cartesia", model="sonic-3", characters_count=70 * n),
            STTModelUsage(provider="deepgram", model="nova-3", audio_duration=2.0 * n),
        ]
    )
    return SessionUsageUpdatedEvent(usage=usage)


def call_events(exchanges: int, start: float) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    for n in range(exchanges):
        at = start + 4.0 * n
        events.append(("conversation_item_added", user_turn(at, n)))
        if n % 5 == 0:
            events.append(("function_tools_executed", tool_round(at, n)))
        events.append(("session_usage_updated", usage_update(n + 1)))
        events.append(("conversation_item_added", agent_turn(at, n)))
    return events


# ── 1. cost per item ──────────────────────────────────────────────────────────
def time_emits(session: AgentSession, name: str, events: list[Any]) -> float:
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        for ev in events:
            session.emit(name, ev)  # type: ignore[arg-type]
        return (time.perf_counter() - t0) / len(events) * 1e6
    finally:
        gc.enable()


async def cost_per_item(outbox: Path, base_url: str) -> None:
    kinds: dict[str, tuple[str, Callable[[int], Any]]] = {
        "user turn (ChatMessage)": ("conversation_item_added", lambda n: user_turn(1e9, n)),
        "agent turn (ChatMessage)": ("conversation_item_added", lambda n: agent_turn(1e9, n)),
        "tool call + output": ("function_tools_executed", lambda n: tool_round(1e9, n)),
        "usage update (3 models)": ("session_usage_updated", lambda n: usage_update(n + 1)),
    }
    print(
        f"cost per conversation item (µs per item, fastest of {ROUNDS} rounds"
        f" of {ITEMS_PER_TYPE:,} items):"
    )
    head = f"{'no listener':>13}{'no-op listener':>16}{'plugin':>10}{'plugin cost':>13}"
    print(f"  {'item':<28}{head}")
    for label, (name, make) in kinds.items():
        bare: AgentSession[None] = AgentSession()
        noop: AgentSession[None] = AgentSession()
        noop.on(name, lambda ev: None)  # type: ignore[arg-type]
        watched: AgentSession[None] = AgentSession()
        plugin = RingbackPlugin(watched, outbox_dir=outbox, base_url=base_url)
        rounds: list[tuple[float, float, float]] = []
        for r in range(ROUNDS):  # fresh item ids each round: the plugin records an item once
            events = [make(n + r * ITEMS_PER_TYPE) for n in range(ITEMS_PER_TYPE)]
            rounds.append(
                (
                    time_emits(bare, name, events),
                    time_emits(noop, name, events),
                    time_emits(watched, name, events),
                )
            )
        none, listener, with_plugin = (min(column) for column in zip(*rounds, strict=True))
        print(
            f"  {label:<28}{none:>13.1f}{listener:>16.1f}{with_plugin:>10.1f}"
            f"{with_plugin - listener:>13.1f}"
        )
        await plugin.finish()
    print(
        "  (no-op listener: LiveKit's own dispatch to any listener, inspect.signature per emit;"
        " plugin cost = plugin - no-op listener)"
    )


# ── 2. close -> durable / delivered for a one-hour call ───────────────────────
async def serve() -> tuple[web.AppRunner, str]:
    async def create_call(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"id": 1, "is_new": True}, status=201)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post(CALL_PATH, create_call)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


class PersistClock:
    """Notes when the outbox write (fsync included) of each call completes."""

    def __init__(self) -> None:
        self.done_at: float | None = None
        self._persist = Outbox.persist

    def __enter__(self) -> PersistClock:
        clock = self
        original = self._persist

        def timed(box: Outbox, key: str, data: bytes, sinks: Any) -> Any:
            result = original(box, key, data, sinks)
            clock.done_at = time.perf_counter()
            return result

        Outbox.persist = timed  # type: ignore[method-assign,assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        Outbox.persist = self._persist  # type: ignore[method-assign]


async def one_hour_call(outbox: Path, exchanges: int, base_url: str) -> tuple[float, float]:
    """ms from the close event to the call durable on disk, and to `finish()` (delivered)."""
    session: AgentSession[None] = AgentSession()
    plugin = RingbackPlugin(session, outbox_dir=outbox, base_url=base_url)
    start = time.time() - 4.0 * exchanges
    for name, ev in call_events(exchanges, start):
        session.emit(name, ev)  # type: ignore[arg-type]
    gc.collect()
    with PersistClock() as persisted:
        t0 = time.perf_counter()
        session.emit("close", CloseEvent(reason=CloseReason.PARTICIPANT_DISCONNECTED))
        result = await plugin.finish()
        t1 = time.perf_counter()
    assert result is not None
    assert result.delivered, result.summary()
    assert persisted.done_at is not None
    return (persisted.done_at - t0) * 1000, (t1 - t0) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--exchanges", type=int, default=900)
    parser.add_argument("--dir", type=Path, help="parent folder for the temporary outbox")
    args = parser.parse_args()

    parent = args.dir or default_outbox_dir().parent
    parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="ringback-bench-", dir=parent))
    runner, url = await serve()
    try:
        await cost_per_item(root / "per-item", url)
        rows = len(call_events(args.exchanges, 0.0))
        print(
            f"\none-hour call: {args.exchanges} exchanges 4 s apart, {rows:,} events"
            f" (~{2 * args.exchanges + 2 * ((args.exchanges + 4) // 5) + 1:,} timeline rows);"
            f" outbox under {parent}"
        )
        timings = [
            await one_hour_call(root / f"call-{i}", args.exchanges, url)
            for i in range(args.runs + 1)
        ][1:]  # the first run warms caches and creates folders
        durable = [t[0] for t in timings]
        delivered = [t[1] for t in timings]
        for label, values in (
            ("close -> durable on disk", durable),
            ("close -> delivered (local server)", delivered),
        ):
            print(
                f"  {label:<36} median {statistics.median(values):7.1f} ms"
                f"   p95 {_pct(values, 0.95):7.1f} ms   ({args.runs} runs)"
            )
    finally:
        await runner.cleanup()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
