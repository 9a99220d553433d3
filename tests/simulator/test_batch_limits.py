"""The batch's limits hold at the LiveKit stand-in: calls in progress never exceed the
concurrency, and call starts follow the calls-per-second token bucket."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from support.dialing import run_batch, simple_suite

from ringback.livekit.testing import DialScript, LiveKitStandIn
from ringback.simulator.batch import TokenBucket


class FakeClock:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
async def standin() -> AsyncIterator[LiveKitStandIn]:
    async with LiveKitStandIn() as server:
        yield server


async def test_the_bucket_spaces_takes_by_one_over_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4.0, clock=clock, sleep=clock.sleep)
    times = [await bucket.take() - 100.0 for _ in range(6)]
    assert times == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.25])


async def test_the_bucket_saves_up_to_its_burst_and_no_more() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, burst=3, clock=clock, sleep=clock.sleep)
    clock.now += 60  # idle for a minute: still only 3 tokens
    start = clock.now
    times = [await bucket.take() - start for _ in range(5)]
    assert times == pytest.approx([0.0, 0.0, 0.0, 0.5, 1.0])


async def test_the_bucket_serialises_concurrent_takers() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10.0, clock=clock, sleep=clock.sleep)
    times = sorted(await asyncio.gather(*(bucket.take() for _ in range(5))))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps == pytest.approx([0.1] * 4)


def test_the_bucket_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        TokenBucket(0)
    with pytest.raises(ValueError, match="burst must be at least 1"):
        TokenBucket(1, burst=0.5)


async def test_calls_in_progress_never_exceed_the_concurrency(standin: LiveKitStandIn) -> None:
    answer = asyncio.Event()
    standin.dial = lambda req, attempt: DialScript(hold=answer)
    suite = simple_suite([f"s{i}" for i in range(12)])
    async with standin.client() as lk:
        batch = asyncio.create_task(run_batch(lk, suite, concurrency=4))
        await standin.wait_until(lambda: standin.ringing == 4)
        # all four slots are ringing: nothing else may have started
        assert len(standin.rooms) == 4
        assert len(standin.recorded("CreateRoom")) == 4
        answer.set()
        summary, _ = await batch
    assert summary.completed == 12
    assert standin.max_rooms == 4
    assert standin.max_in_flight["CreateSIPParticipant"] == 4


async def test_call_starts_respect_the_calls_per_second_limit(standin: LiveKitStandIn) -> None:
    rate, n = 20.0, 8
    suite = simple_suite([f"s{i}" for i in range(n)])
    async with standin.client() as lk:
        summary, _ = await run_batch(lk, suite, concurrency=n, calls_per_second=rate)
    assert summary.completed == n
    starts = [r.at for r in standin.recorded("CreateRoom")]
    # The bucket grants the i-th start no earlier than i / rate after the first; the slack
    # only covers the first request's own latency, so this cannot flake on a slow machine.
    for i, at in enumerate(starts):
        assert at - starts[0] >= i / rate - 0.03
    achieved = (n - 1) / (starts[-1] - starts[0])
    assert achieved <= rate * 1.2


async def test_retries_wait_for_the_rate_limit_too(standin: LiveKitStandIn) -> None:
    clock = FakeClock()
    bucket = TokenBucket(1.0, clock=clock, sleep=clock.sleep)
    standin.dial = lambda req, attempt: DialScript(sip_status_code=486)
    suite = simple_suite(["x"], dial_retry={"attempts": 3, "backoff": 0, "on": ["busy"]})
    async with standin.client() as lk:
        await run_batch(lk, suite, bucket=bucket)
    # one token to start the call, one per retried INVITE
    assert clock.now - 100.0 == pytest.approx(2.0)
