"""What an answer means, and how long to wait before the next try."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import TYPE_CHECKING

from tenacity import RetryCallState
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from ringback.core.protocol import Answer, answer_for

if TYPE_CHECKING:
    from .uploader import Attempt


class Verdict(str, Enum):
    """The meaning of one attempt's outcome."""

    DELIVERED = "delivered"
    ALREADY_STORED = "already_stored"
    RETRY = "retry"
    AUTH = "auth"
    REDIRECT = "redirect"
    REJECT = "reject"


_VERDICTS = {
    Answer.STORED: Verdict.DELIVERED,
    # the server holds another body under this call_id: taken as stored, so it leaves the
    # outbox (the body it holds is not this one)
    Answer.CONFLICT: Verdict.ALREADY_STORED,
    Answer.AUTH: Verdict.AUTH,
    Answer.REDIRECT: Verdict.REDIRECT,
    Answer.REJECTED: Verdict.REJECT,
    Answer.RETRY: Verdict.RETRY,
}


def verdict_for(status: int) -> Verdict:
    """What the client does with the server's answer (`ringback.core.protocol.answer_for`):
    2xx delivered; 409 already stored; 408/425/429/5xx retry; 401/403 auth; 3xx redirect
    (not success); other 4xx rejected; anything else retried."""
    return _VERDICTS[answer_for(status)]


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date); None if absent
    or unparsable. A date in the past gives 0."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds:  # NaN
        return None
    return max(seconds, 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff settings. Defaults suit production; tests shrink them."""

    first_backoff: float = 0.25
    """Within one submit/flush: the first retry waits up to this (full jitter), doubling..."""
    max_backoff: float = 4.0
    """...up to this."""
    max_retry_after: float = 60.0
    """A server's `Retry-After` is honoured up to this many seconds."""
    min_attempt_time: float = 0.05
    """Do not start an attempt with less time than this left before the deadline."""
    flusher_first_backoff: float = 1.0
    """Background flusher: a failing sink is retried after ~this, doubling..."""
    flusher_max_backoff: float = 60.0
    """...up to this (jittered)."""
    flusher_rescan: float = 60.0
    """Background flusher: how often an idle sink looks for entries left by other processes."""

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Full-jitter exponential backoff before retry number `attempt` (1-based)."""
        ceiling = min(self.max_backoff, self.first_backoff * 2 ** max(attempt - 1, 0))
        return (rng or random).uniform(0, ceiling)

    def wait(
        self, attempt: int, retry_after: float | None, rng: random.Random | None = None
    ) -> float:
        """The wait before retry number `attempt`; a server's `Retry-After` wins (capped)."""
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        return self.backoff(attempt, rng)


class PolicyWait(wait_base):
    """tenacity wait: `RetryPolicy.wait` fed with the last attempt's `Retry-After`."""

    def __init__(self, policy: RetryPolicy, rng: random.Random | None = None) -> None:
        self.policy = policy
        self.rng = rng

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        last: Attempt | None = (
            outcome.result() if outcome is not None and not outcome.failed else None
        )
        retry_after = last.retry_after if last is not None else None
        return self.policy.wait(retry_state.attempt_number, retry_after, self.rng)


class StopAtDeadline(stop_base):
    """tenacity stop: give up when the next attempt could not start before the deadline."""

    def __init__(self, deadline_at: float, clock: Callable[[], float], margin: float) -> None:
        self.deadline_at = deadline_at
        self.clock = clock
        self.margin = margin

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.clock() + retry_state.upcoming_sleep + self.margin >= self.deadline_at


class SinkHealth:
    """A sink's backoff state, shared by submits and the background flusher."""

    def __init__(self, policy: RetryPolicy, rng: random.Random | None = None) -> None:
        self.policy = policy
        self.rng = rng or random.Random()
        self.failures = 0
        self.next_at = 0.0

    def failed(self, now: float, retry_after: float | None = None) -> bool:
        """Record a failure; returns True if the sink was healthy until now."""
        first = self.failures == 0
        self.failures += 1
        p = self.policy
        step = min(p.flusher_max_backoff, p.flusher_first_backoff * 2 ** (self.failures - 1))
        delay = step / 2 + self.rng.uniform(0, step / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, p.max_retry_after))
        self.next_at = now + delay
        return first

    def succeeded(self) -> bool:
        """Record a success; returns True if the sink was failing until now."""
        recovered = self.failures > 0
        self.failures = 0
        self.next_at = 0.0
        return recovered

    def due(self, now: float) -> bool:
        return now >= self.next_at
