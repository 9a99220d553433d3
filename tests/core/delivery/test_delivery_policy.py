"""Status classification, Retry-After parsing and backoff."""

from __future__ import annotations

import random
from email.utils import formatdate

import pytest

from ringback.core.delivery import RetryPolicy, Verdict, parse_retry_after, verdict_for
from ringback.core.delivery.policy import SinkHealth


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, Verdict.DELIVERED),
        (201, Verdict.DELIVERED),
        (204, Verdict.DELIVERED),
        (409, Verdict.ALREADY_STORED),
        (408, Verdict.RETRY),
        (425, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (599, Verdict.RETRY),
        (401, Verdict.AUTH),
        (403, Verdict.AUTH),
        (301, Verdict.REDIRECT),
        (302, Verdict.REDIRECT),
        (307, Verdict.REDIRECT),
        (400, Verdict.REJECT),
        (404, Verdict.REJECT),
        (413, Verdict.REJECT),
        (422, Verdict.REJECT),
    ],
)
def test_verdict_for(status: int, verdict: Verdict) -> None:
    assert verdict_for(status) is verdict


def test_retry_after_forms() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after("3", now=now) == 3.0
    assert parse_retry_after(" 1.5 ", now=now) == 1.5
    assert parse_retry_after("-4", now=now) == 0.0
    assert parse_retry_after(formatdate(now + 120, usegmt=True), now=now) == pytest.approx(120)
    assert parse_retry_after(formatdate(now - 120, usegmt=True), now=now) == 0.0
    for junk in (None, "", "soon", "nan", "Mon, 99 Foo"):
        assert parse_retry_after(junk, now=now) is None


def test_wait_honours_retry_after_up_to_the_cap() -> None:
    policy = RetryPolicy(max_retry_after=30)
    assert policy.wait(1, 2.0) == 2.0
    assert policy.wait(5, 0.0) == 0.0
    assert policy.wait(1, 3600.0) == 30.0


def test_backoff_is_exponential_with_full_jitter() -> None:
    policy = RetryPolicy(first_backoff=0.5, max_backoff=4.0)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 4.0)]:
        waits = [policy.backoff(attempt, rng) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8
        assert min(waits) < ceiling * 0.2


def test_sink_health_backs_off_and_recovers() -> None:
    policy = RetryPolicy(flusher_first_backoff=1.0, flusher_max_backoff=8.0)
    health = SinkHealth(policy, random.Random(1))
    assert health.due(0.0)
    assert health.failed(100.0) is True
    assert 100.5 <= health.next_at <= 101.0
    assert not health.due(100.4)
    for _ in range(6):
        assert health.failed(100.0) is False
    assert 104.0 <= health.next_at <= 108.0  # capped at 8 s, jittered down to half
    health.failed(100.0, retry_after=30.0)
    assert health.next_at == pytest.approx(130.0)
    assert health.succeeded() is True
    assert health.due(0.0)
    assert health.failures == 0
