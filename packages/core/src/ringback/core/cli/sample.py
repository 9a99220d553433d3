"""`ringback sample`: build, validate and (optionally) deliver a realistic sample call."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from pathlib import Path

import typer

from ringback.core.contract import CallRecord
from ringback.core.correlation import extract_correlation
from ringback.core.sample import sample_call

# What a LiveKit SIP participant of an inbound call carries when the trunk forwards X- headers.
SAMPLE_SIP_ATTRIBUTES = {
    "sip.callID": "SCL_3kTz9Q4fJ2aB",
    "sip.callIDFull": "a84b4c76e66710@pbx.example.com",
    "sip.callStatus": "active",
    "sip.phoneNumber": "+15105550100",
    "sip.trunkPhoneNumber": "+15105550199",
    "sip.trunkID": "ST_fJ2aB3kTz9Q4",
    "sip.h.x-run-id": "01jd8m3k9q2w7e5r4t6y8u0i1o",
    "sip.h.x-scenario-id": "refundhappypath",
    "sip.h.x-result-id": "9f2c4e1a7b3d4c5e8f6a0b1c2d3e4f5a",
    "sip.h.x-customer-tier": "premium",
}


def run_sample(*, turns: int, out: Path, deliver: bool) -> None:
    """Build a sample call through the Timeline, validate it, write it, optionally deliver it."""
    started = time.perf_counter()
    correlation = extract_correlation(SAMPLE_SIP_ATTRIBUTES, provider="livekit")
    record = sample_call(turns, correlation=correlation)
    body = record.to_json_bytes()
    built_ms = (time.perf_counter() - started) * 1000

    # Validate the bytes that would go on the wire, exactly as a server would read them.
    parsed = CallRecord.model_validate_json(body)
    if parsed.to_json_bytes() != body:
        raise typer.Exit(_fail("the body did not survive a validation round trip"))
    out.write_bytes(body)

    _summary(record, len(body), built_ms, out)
    if deliver:
        asyncio.run(_deliver(record))


def _summary(record: CallRecord, size: int, built_ms: float, out: Path) -> None:
    rows = record.transcript_with_tool_calls
    roles = Counter(str(s.role) for s in rows)
    e2e = [s.metadata["e2e_latency"] for s in rows if "e2e_latency" in s.metadata]
    usage = record.general_meta_data_raw.usage_token
    echo = typer.echo
    echo(f"call {record.call_id}: {record.call_type}, {record.duration_ms / 1000:.1f} s")
    echo("  segments: " + ", ".join(f"{n} {role}" for role, n in sorted(roles.items())))
    if e2e:
        echo(
            f"  e2e latency: p50 {statistics.median(e2e):.0f} ms, max {max(e2e):.0f} ms "
            f"over {len(e2e)} agent turns"
        )
    echo(
        f"  usage: {usage.llm_token} LLM tokens, {usage.stt_duration_seconds} s STT, "
        f"{usage.tts_characters_count} TTS chars"
    )
    echo(f"  sip_call_id: {record.sip_call_id}")
    for name, value in (record.sip_headers or {}).items():
        echo(f"  {name}: {value}")
    echo(f"  valid Create Call body, {size:,} bytes, built in {built_ms:.1f} ms -> {out}")


async def _deliver(record: CallRecord) -> None:
    from ringback.core.delivery import Delivery

    async with Delivery() as delivery:
        result = await delivery.submit(record, agent_hint="ringback-sample")
    typer.echo(f"  delivery: {result.summary()}")


def _fail(message: str) -> int:
    typer.echo(f"error: {message}", err=True)
    return 1
