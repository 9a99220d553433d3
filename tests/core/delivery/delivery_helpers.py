"""Helpers shared by the delivery tests."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from support.create_call_server import CreateCallServer

from ringback.core.contract import CallRecord
from ringback.core.delivery import Delivery, RetryPolicy, build_envelope, entry_key
from ringback.core.delivery.outbox import Outbox
from ringback.core.sample import sample_call
from ringback.core.settings import RingbackSettings

FAST = RetryPolicy(
    first_backoff=0.01,
    max_backoff=0.05,
    min_attempt_time=0.02,
    flusher_first_backoff=0.05,
    flusher_max_backoff=0.2,
    flusher_rescan=60.0,
)
"""Short waits so the suite stays fast; a long rescan so only wakes and backoff drive the
flusher."""


def settings(
    server: CreateCallServer | str, outbox_dir: Path, **overrides: Any
) -> RingbackSettings:
    values: dict[str, Any] = {
        "base_url": server if isinstance(server, str) else server.url,
        "outbox_dir": outbox_dir,
        "request_timeout": 1.0,
        "delivery_deadline": 2.0,
    }
    values.update(overrides)
    return RingbackSettings(**values)


def delivery(
    server: CreateCallServer | str,
    outbox_dir: Path,
    *,
    policy: RetryPolicy = FAST,
    sleep: Any = None,
    **overrides: Any,
) -> Delivery:
    return Delivery(settings(server, outbox_dir, **overrides), policy=policy, sleep=sleep)


def record(call_id: str | None = None, turns: int = 3) -> CallRecord:
    return sample_call(turns, call_id=call_id)


def files(outbox_dir: Path, state: str = "pending") -> list[str]:
    """Entry files (not error sidecars or temp files) under `state`, as `sink/name`."""
    root = outbox_dir / state
    if not root.exists():
        return []
    return sorted(
        f"{p.parent.name}/{p.name}"
        for p in root.glob("*/*.json")
        if not p.name.endswith(".error.json") and not p.name.startswith(".")
    )


def all_file_text(root: Path) -> str:
    """Everything written under `root`, as text."""
    return "".join(p.read_text(errors="replace") for p in sorted(root.rglob("*")) if p.is_file())


def put_pending(outbox_dir: Path, rec: CallRecord, sinks: list[str] | None = None) -> str:
    """Write `rec` to the outbox the way a (now gone) earlier process would have."""
    data = build_envelope(rec.call_id, rec.to_json_bytes(), agent_hint=None)
    key = entry_key(rec.call_id)
    result = Outbox(outbox_dir).persist(key, data, sinks or ["primary"])
    assert result.error is None
    return key


class RecordingSleep:
    """A `sleep` that records what was asked and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)
