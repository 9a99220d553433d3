"""The background flusher, `flush`, and several Delivery instances sharing one outbox."""

from __future__ import annotations

import asyncio
import itertools
import logging
from pathlib import Path

import pytest
from delivery_helpers import FAST, delivery, files, put_pending, record
from support.create_call_server import CreateCallServer, Fault

from ringback.core.delivery import DeliveryStatus, RetryPolicy
from ringback.core.settings import Sink

Server = CreateCallServer


async def test_start_sends_what_an_earlier_process_left(
    create_call_server: Server, outbox_dir: Path
) -> None:
    create_call_server.always = Fault(status=503)
    earlier = delivery(create_call_server, outbox_dir, delivery_deadline=0.1)
    for i in range(3):
        assert (await earlier.submit(record(f"left-{i}"))).pending
    await earlier.aclose()
    assert len(files(outbox_dir)) == 3

    create_call_server.always = None
    later = delivery(create_call_server, outbox_dir)
    later.start()
    later.start()  # idempotent
    await create_call_server.wait_until(lambda: len(create_call_server.calls) == 3)
    await later.aclose()
    assert not later._flusher.running
    assert files(outbox_dir) == []
    assert all(len(create_call_server.stored(f"left-{i}")) == 1 for i in range(3))


async def test_flusher_wakes_when_a_submit_leaves_something_pending(
    create_call_server: Server, outbox_dir: Path
) -> None:
    # The rescan interval is 60 s: only the wake-up (after the 0.2 s Retry-After) can deliver
    # in time.
    async with delivery(create_call_server, outbox_dir, delivery_deadline=0.1) as d:
        create_call_server.script(Fault(status=503, headers={"Retry-After": "0.2"}))
        result = await d.submit(record("woken"))
        assert result.outcomes[0].status is DeliveryStatus.PENDING_RETRY
        await create_call_server.wait_until(lambda: len(create_call_server.calls) == 1, 2.0)
    assert files(outbox_dir) == []


async def test_flusher_backs_off_while_the_sink_fails(
    create_call_server: Server, outbox_dir: Path
) -> None:
    put_pending(outbox_dir, record("backoff"))
    create_call_server.always = Fault(status=503)
    policy = RetryPolicy(flusher_first_backoff=0.04, flusher_max_backoff=10, flusher_rescan=60)
    async with delivery(create_call_server, outbox_dir, policy=policy):
        await create_call_server.wait_for_requests(5, timeout=5)
    at = [r.at for r in create_call_server.requests[:5]]
    gaps = [b - a for a, b in itertools.pairwise(at)]
    for n, gap in enumerate(gaps):
        step = 0.04 * 2**n
        assert step / 2 - 0.01 <= gap <= step + 0.1, (n, gaps)
    assert len(files(outbox_dir)) == 1


async def test_a_hanging_sink_does_not_hold_up_another(outbox_dir: Path) -> None:
    async with CreateCallServer() as good, CreateCallServer() as hung:
        hung.always = Fault(hold=True)
        for i in range(3):
            put_pending(outbox_dir, record(f"both-{i}"), ["primary", "backup"])
        extra = Sink(name="backup", base_url=hung.url)
        d = delivery(good, outbox_dir, extra_sinks=[extra], request_timeout=0.3)
        d.start()
        await good.wait_until(lambda: len(good.calls) == 3)
        await d.aclose()
        left = files(outbox_dir)
        assert len(left) == 3
        assert all(p.startswith("backup/") for p in left)


async def test_two_deliveries_on_one_outbox_send_each_call_once(
    create_call_server: Server, outbox_dir: Path
) -> None:
    ids = [f"shared-{i}" for i in range(24)]
    for call_id in ids:
        put_pending(outbox_dir, record(call_id, turns=1))
    create_call_server.always = Fault(delay=0.01)  # keep requests in flight so the two overlap
    one, two = delivery(create_call_server, outbox_dir), delivery(create_call_server, outbox_dir)
    reports = await asyncio.gather(one.flush(), two.flush())
    await asyncio.gather(one.aclose(), two.aclose())
    sent = [r.call_id or "" for r in create_call_server.requests]
    assert sorted(sent) == sorted(ids)  # every call exactly once, never twice
    assert {r.status for r in create_call_server.requests} == {201}
    assert sum(r.delivered for r in reports) == len(ids)
    assert files(outbox_dir) == []


async def test_corrupt_entries_are_quarantined(
    create_call_server: Server, outbox_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = put_pending(outbox_dir, record("fine"))
    folder = outbox_dir / "pending" / "primary"
    (folder / "truncated-0123456789abcdef0123.json").write_bytes(
        (folder / f"{key}.json").read_bytes()[:100]
    )
    (folder / "garbage-0123456789abcdef0124.json").write_bytes(b"\x00\xff not json")
    d = delivery(create_call_server, outbox_dir)
    report = await d.flush()
    await d.aclose()
    statuses = sorted(o.status.value for o in report.outcomes)
    assert statuses == ["delivered", "quarantined", "quarantined"]
    assert report.pending == 0
    assert len(create_call_server.requests) == 1
    assert sorted(files(outbox_dir, "quarantine")) == [
        "primary/garbage-0123456789abcdef0124.json",
        "primary/truncated-0123456789abcdef0123.json",
    ]
    lines = [r for r in caplog.records if "quarantine" in r.getMessage()]
    assert len(lines) == 2
    assert all(r.levelno == logging.ERROR for r in lines)


async def test_flush_stops_hammering_a_failing_sink(
    create_call_server: Server, outbox_dir: Path
) -> None:
    for i in range(5):
        put_pending(outbox_dir, record(f"down-{i}"))
    create_call_server.always = Fault(status=503)
    d = delivery(create_call_server, outbox_dir)
    report = await d.flush(deadline=0.2)
    await d.aclose()
    assert report.pending == 5
    assert report.delivered == 0
    assert {o.status for o in report.outcomes} == {DeliveryStatus.PENDING_RETRY}
    not_tried = [o for o in report.outcomes if o.attempts == 0]
    assert not_tried
    assert all("not attempted" in (o.error or "") for o in not_tried)


async def test_aclose_can_flush_one_last_time(create_call_server: Server, outbox_dir: Path) -> None:
    put_pending(outbox_dir, record("last"))
    d = delivery(create_call_server, outbox_dir)
    await d.aclose(flush_deadline=1.0)
    assert create_call_server.stored("last")
    assert files(outbox_dir) == []


async def test_start_without_a_loop_is_harmless(outbox_dir: Path) -> None:
    d = delivery("http://127.0.0.1:9", outbox_dir, policy=FAST)
    await asyncio.to_thread(d.start)  # no running loop in that thread: logged, not raised
    assert not d._flusher.running
    await d.aclose()
