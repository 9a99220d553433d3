"""A delivering process killed mid-request loses nothing and duplicates nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from delivery_helpers import delivery, files, record
from support.create_call_server import CreateCallServer, Fault

from ringback.core.delivery import DeliveryStatus, Outbox, entry_key

_DELIVER = """
import asyncio, sys
from pathlib import Path
from ringback.core.contract import CallRecord
from ringback.core.delivery import Delivery
from ringback.core.settings import RingbackSettings

outbox, base_url, record_file = sys.argv[1:4]
rec = CallRecord.model_validate_json(Path(record_file).read_bytes())
settings = RingbackSettings(
    outbox_dir=outbox, base_url=base_url, request_timeout=60, delivery_deadline=60
)
asyncio.run(Delivery(settings).submit(rec))
"""


@pytest.mark.parametrize(
    ("stored_before_kill", "resend_status"),
    [(True, 409), (False, 201)],
    ids=["server-stored-it", "server-never-finished"],
)
async def test_sigkill_mid_flight_then_a_fresh_delivery(
    create_call_server: CreateCallServer,
    outbox_dir: Path,
    tmp_path: Path,
    stored_before_kill: bool,
    resend_status: int,
) -> None:
    server = create_call_server
    rec = record("killed-mid-flight", turns=20)
    record_file = tmp_path / "record.json"
    record_file.write_bytes(rec.to_json_bytes())
    server.script(Fault(hold=True, store=stored_before_kill))

    env = {k: v for k, v in os.environ.items() if not k.startswith("RINGBACK_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _DELIVER, str(outbox_dir), server.url, str(record_file), env=env
    )
    try:
        await server.wait_for_requests(1, timeout=15)
        await server.wait_until(lambda: len(server.calls) == int(stored_before_kill))
        assert len(files(outbox_dir)) == 1  # on disk before the request went out
        proc.send_signal(signal.SIGKILL)
        assert await proc.wait() == -signal.SIGKILL
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    # The dead process's lock file may remain, but its flock died with it.
    lock = Outbox(outbox_dir).try_lock("primary", entry_key(rec.call_id))
    assert lock is not None
    lock.release()

    fresh = delivery(server, outbox_dir)
    report = await fresh.flush()
    await fresh.aclose()
    (out,) = report.outcomes
    assert out.http_status == resend_status
    assert out.status in (DeliveryStatus.DELIVERED, DeliveryStatus.ALREADY_STORED)
    assert len(server.requests) == 2
    assert server.stored("killed-mid-flight") == [json.loads(rec.to_json_bytes())]
    assert files(outbox_dir) == []
    assert report.pending == 0
