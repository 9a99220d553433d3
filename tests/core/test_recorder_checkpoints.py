"""A call in progress is snapshotted, so a process that dies mid-call loses nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

from support.create_call_server import CreateCallServer
from support.waiting import until

from ringback.core.delivery import Delivery, DeliveryStatus, Outbox, entry_key
from ringback.core.delivery.checkpoints import RECOVERED_NOTE, LiveSnapshots
from ringback.core.recorder import CallOptions, CallRecorder
from ringback.core.settings import RingbackSettings

_RECORD_THEN_HANG = """
import asyncio, sys
from ringback.core.recorder import CallOptions, CallRecorder
from ringback.core.settings import RingbackSettings

async def main() -> None:
    outbox, base_url = sys.argv[1:3]
    settings = RingbackSettings(outbox_dir=outbox, base_url=base_url, checkpoint_interval=3600)
    rec = CallRecorder(settings=settings, options=CallOptions(call_id="crashed-call"),
                       agent_hint="support-bot")
    rec.start()
    rec.timeline.add_turn("user", "My order never arrived.", start_ms=0, end_ms=1_800)
    rec.timeline.add_turn("agent", "Let me check that for you.", start_ms=2_400, end_ms=4_000)
    await rec.checkpoint()
    print("snapshotted", flush=True)
    await asyncio.Event().wait()  # the call goes on until the process is killed

asyncio.run(main())
"""


def settings(server: CreateCallServer, outbox: Path, **kw: object) -> RingbackSettings:
    return RingbackSettings(base_url=server.url, outbox_dir=outbox, **kw)  # type: ignore[arg-type]


def pending(outbox: Path) -> list[Path]:
    return sorted((outbox / "pending").rglob("*.json"))


async def test_a_process_killed_mid_call_is_recovered_once_by_the_next_start(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGBACK_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _RECORD_THEN_HANG,
        str(outbox_dir),
        create_call_server.url,
        env=env,
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert await asyncio.wait_for(proc.stdout.readline(), 30) == b"snapshotted\n"
    # While the call runs, nobody else may take its snapshot.
    async with Delivery(settings(create_call_server, outbox_dir)) as other:
        assert await other.recover_interrupted() == []
    proc.send_signal(signal.SIGKILL)
    await proc.wait()
    assert create_call_server.requests == []

    async with Delivery(settings(create_call_server, outbox_dir)) as delivery:
        report = await delivery.flush(deadline=10)
    assert report.delivered
    (request,) = create_call_server.requests
    body = request.body
    assert body["call_id"] == "crashed-call"
    assert request.query["agent_remote_identifier"] == "support-bot"
    assert [s["text"] for s in body["transcript_with_tool_calls"]] == [
        "My order never arrived.",
        "Let me check that for you.",
    ]
    assert body["disconnection_reason"] == "error"
    assert body["general_meta_data_raw"]["ringback"]["recovered"] == RECOVERED_NOTE
    assert LiveSnapshots(Outbox(outbox_dir)).keys() == []
    assert pending(outbox_dir) == []

    async with Delivery(settings(create_call_server, outbox_dir)) as again:
        await again.flush(deadline=5)
    assert len(create_call_server.requests) == 1  # exactly once


async def test_snapshots_follow_the_call_and_go_once_it_is_on_disk(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    rec = CallRecorder(
        settings=settings(create_call_server, outbox_dir, checkpoint_interval=3600),
        options=CallOptions(call_id="c-1"),
    )
    rec.start()
    live = LiveSnapshots(Outbox(outbox_dir))
    await rec.checkpoint()
    assert live.keys() == [entry_key("c-1")]
    first = live.read(entry_key("c-1")).body
    await rec.checkpoint()  # nothing changed: not rewritten
    assert live.read(entry_key("c-1")).body == first
    rec.timeline.add_turn("user", "hello", start_ms=0, end_ms=500)
    await rec.checkpoint()
    body = json.loads(live.read(entry_key("c-1")).body)
    assert body["transcript_with_tool_calls"][0]["text"] == "hello"

    result = await rec.finish()
    assert result.delivered
    assert live.keys() == []
    assert len(create_call_server.requests) == 1


async def test_the_snapshot_loop_runs_on_its_own(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    rec = CallRecorder(
        settings=settings(create_call_server, outbox_dir, checkpoint_interval=0.01),
        options=CallOptions(call_id="c-2"),
    )
    rec.timeline.add_turn("user", "hi", start_ms=0, end_ms=100)
    rec.start()
    live = LiveSnapshots(Outbox(outbox_dir))

    def snapshot_has_two_turns() -> bool:
        try:
            body = json.loads(live.read(entry_key("c-2")).body)
        except FileNotFoundError:
            return False
        return len(body["transcript_with_tool_calls"]) == 2

    rec.timeline.add_turn("agent", "hello", start_ms=200, end_ms=300)
    await until(snapshot_has_two_turns)
    await rec.finish()
    assert live.keys() == []


async def test_no_snapshots_when_disabled(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    rec = CallRecorder(settings=settings(create_call_server, outbox_dir, checkpoint_interval=0))
    rec.start()
    await rec.checkpoint()
    assert LiveSnapshots(Outbox(outbox_dir)).keys() == []
    assert (await rec.finish()).delivered


async def test_the_call_is_durable_before_the_recording_url_is_resolved(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    seen: list[int] = []

    async def resolve() -> str:
        seen.append(len(pending(outbox_dir)))
        return "https://recordings.example.com/c-3.wav"

    rec = CallRecorder(
        settings=settings(create_call_server, outbox_dir),
        options=CallOptions(call_id="c-3", recording_url=resolve),
    )
    rec.start()
    result = await rec.finish()
    assert seen == [1]
    assert result.delivered
    (request,) = create_call_server.requests
    assert request.body["recording_url"] == "https://recordings.example.com/c-3.wav"


async def test_submit_waits_for_a_concurrent_sender_instead_of_giving_up(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    from ringback.core.sample import sample_call

    record = sample_call(2, call_id="c-4")
    outbox = Outbox(outbox_dir)
    held = outbox.try_lock("primary", entry_key("c-4"))  # another sender is busy with it
    assert held is not None
    async with Delivery(settings(create_call_server, outbox_dir)) as delivery:
        task = asyncio.ensure_future(delivery.submit(record, deadline=10))
        await until(lambda: bool(pending(outbox_dir)))  # on disk; the send waits for the lock
        assert not task.done()
        held.release()
        result = await task
    assert result.outcomes[0].status is DeliveryStatus.DELIVERED
    assert len(create_call_server.requests) == 1
