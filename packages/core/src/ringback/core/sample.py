"""A realistic sample call, built through the `Timeline` the way an integration builds one."""

from __future__ import annotations

import itertools
import uuid
from typing import TYPE_CHECKING

from ringback.core.contract import CallRecord, CallType, DisconnectionReason
from ringback.core.timeline import CallClock, Timeline, TurnLatency

if TYPE_CHECKING:
    from ringback.core.correlation import Correlation

_EXCHANGES = (
    (
        "Hi, I bought running shoes last week and they're too small. Can I get a refund?",
        "Sorry to hear that! I can help with a refund. Could you give me your order number?",
    ),
    (
        "Sure, it's order 4417.",
        "Thanks. I found order 4417: trail running shoes, size 42, delivered on Monday.",
    ),
    (
        "Yes, that's the one. I'd like the money back on my card.",
        "Done: I've issued a refund of 89 euros to the card ending in 0421.",
    ),
    (
        "Great. How long does it take?",
        "Refunds usually show up within three to five business days.",
    ),
    ("Perfect, thank you.", "You're welcome! Is there anything else I can help with?"),
    ("No, that's all. Bye!", "Have a great day. Goodbye!"),
)


def sample_call(
    turns: int = 6,
    *,
    call_id: str | None = None,
    correlation: Correlation | None = None,
    seconds_per_exchange: float = 8.0,
    wall_start: float | None = None,
) -> CallRecord:
    """Build a sample support call with `turns` user/agent exchanges.

    Every exchange has per-turn latency; every tenth calls a tool; the agent moves to a
    `refunds` node on the second exchange. `one_hour_call()` is the benchmark size.
    """
    return sample_timeline(
        turns, seconds_per_exchange=seconds_per_exchange, wall_start=wall_start
    ).build(
        call_id=call_id or uuid.uuid4().hex,
        call_type=CallType.PHONE_CALL,
        disconnection_reason=DisconnectionReason.USER_HANGUP,
        correlation=correlation,
        metadata={"outcome": "refund issued", "sample": True},
    )


def one_hour_call(*, call_id: str | None = None) -> CallRecord:
    """A one-hour call: 900 exchanges, 90 tool calls, about 2,000 segments."""
    return sample_call(900, call_id=call_id, seconds_per_exchange=4.0)


def sample_timeline(
    turns: int = 6, *, seconds_per_exchange: float = 8.0, wall_start: float | None = None
) -> Timeline:
    """The Timeline behind `sample_call`, ended but not yet built."""
    clock = CallClock(wall_origin=wall_start, mono_origin_ns=0)
    timeline = Timeline(clock=clock)
    timeline.models.note(stt="deepgram/nova-3", llm="openai/gpt-4.1-mini", tts="cartesia/sonic-2")
    timeline.transition("greeting", at_ms=0, reason="call started")
    at = 400.0
    step = seconds_per_exchange * 1000
    for n, (user_text, agent_text) in zip(range(turns), itertools.cycle(_EXCHANGES)):
        begin = n * step + at
        user_end = begin + min(step * 0.3, 2_500)
        timeline.add_turn(
            "user", user_text, start_ms=begin, end_ms=user_end, confidence=0.9 + (n % 10) / 100
        )
        timeline.usage.add_stt(audio_seconds=(user_end - begin) / 1000, model="deepgram/nova-3")
        agent_start = user_end + 650 + (n % 7) * 40
        if n % 10 == 2:
            request_id = f"call_{n:05d}"
            timeline.tool_called(
                request_id,
                "issue_refund",
                {"order_id": "4417", "amount": 89.0},
                at_ms=user_end + 300,
            )
            timeline.tool_returned(
                request_id, {"status": "refunded", "refund_id": f"rf_{n}"}, at_ms=user_end + 520
            )
        if n == 1:
            timeline.transition("refunds", at_ms=user_end + 100, reason="refund requested")
        timeline.add_turn(
            "agent",
            agent_text,
            start_ms=agent_start,
            end_ms=agent_start + min(step * 0.4, 4_000),
            latency=TurnLatency(
                e2e_latency=agent_start - user_end,
                llm_node_ttft=310 + (n % 5) * 12,
                tts_node_ttfb=140 + (n % 3) * 9,
                stt_node_ttfb=95,
                eou_delay=180,
            ),
            interrupted=n % 11 == 10,
        )
        timeline.usage.add_llm(
            input_tokens=900 + 60 * (n % 10),
            cached_input_tokens=512,
            output_tokens=40,
            model="openai/gpt-4.1-mini",
        )
        timeline.usage.add_tts(characters=len(agent_text), model="cartesia/sonic-2")
    timeline.mark_end(turns * step)
    return timeline
