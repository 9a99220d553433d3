"""`Delivery.submit` against a real Create Call API server misbehaving in scripted ways."""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import time
from datetime import datetime, timezone
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest
from delivery_helpers import FAST, RecordingSleep, all_file_text, delivery, files, record
from support.create_call_server import CreateCallServer, Fault

from ringback.core.contract import CallRecord
from ringback.core.delivery import Delivery, DeliveryStatus, entry_key
from ringback.core.delivery import outbox as outbox_module
from ringback.core.settings import Sink
from ringback.core.timeline import Timeline

Server = CreateCallServer


async def test_delivered_on_first_try(create_call_server: Server, outbox_dir: Path) -> None:
    rec = record("call-ok")
    async with delivery(create_call_server, outbox_dir) as d:
        result = await d.submit(rec, agent_hint="support-bot")
    assert result.delivered
    assert result.persisted
    assert not result.pending
    (out,) = result.outcomes
    assert (out.status, out.http_status, out.attempts) == (DeliveryStatus.DELIVERED, 201, 1)
    assert out.server_request_id == "srv-1"
    assert len(out.request_id or "") == 32
    (req,) = create_call_server.requests
    assert req.raw == rec.to_json_bytes()
    assert req.query == {"workspace_id": "1", "agent_remote_identifier": "support-bot"}
    assert files(outbox_dir) == []


async def test_request_shape(create_call_server: Server, outbox_dir: Path) -> None:
    create_call_server.api_key = "tr_api_shape"
    agent = "agent &=/?é #1"
    d = delivery(
        create_call_server, outbox_dir, api_key="tr_api_shape", agent_id=agent, workspace_id=42
    )
    create_call_server.script(Fault(status=503))
    result = await d.submit(record("shape"), agent_hint="ignored: the sink sets agent_id")
    await d.aclose()
    assert result.delivered
    first, second = create_call_server.requests
    assert first.path == "/api/v1/public/call"
    assert first.query == {"workspace_id": "42", "agent_remote_identifier": agent}
    h = first.headers
    assert h["authorization"] == "Bearer tr_api_shape"
    assert h["content-type"] == "application/json"
    assert h["user-agent"].startswith("ringback-core/")
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert ids[0] != ids[1]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


async def test_agent_id_falls_back_to_default_and_no_key_means_no_header(
    create_call_server: Server, outbox_dir: Path
) -> None:
    async with delivery(create_call_server, outbox_dir) as d:
        await d.submit(record("no-hint"))
    (req,) = create_call_server.requests
    assert req.query["agent_remote_identifier"] == "default"
    assert "authorization" not in req.headers


async def test_entry_is_on_disk_before_the_first_attempt(
    create_call_server: Server, outbox_dir: Path
) -> None:
    create_call_server.script(Fault(hold=True))
    rec = record("durable")
    d = delivery(create_call_server, outbox_dir, request_timeout=5.0, delivery_deadline=5.0)
    task = asyncio.create_task(d.submit(rec))
    await create_call_server.wait_for_requests(1)
    (entry,) = files(outbox_dir)
    data = json.loads((outbox_dir / "pending" / entry).read_bytes())
    assert data["call_id"] == "durable"
    assert data["body"] == json.loads(rec.to_json_bytes())
    create_call_server.release()
    result = await task
    await d.aclose()
    assert result.delivered
    assert files(outbox_dir) == []


async def test_5xx_burst_then_success(create_call_server: Server, outbox_dir: Path) -> None:
    create_call_server.script(Fault(status=503), Fault(status=502), Fault(status=500))
    async with delivery(create_call_server, outbox_dir) as d:
        result = await d.submit(record("burst"))
    (out,) = result.outcomes
    assert out.status is DeliveryStatus.DELIVERED
    assert out.attempts == 4
    assert [r.status for r in create_call_server.requests] == [503, 502, 500, 201]
    assert len(create_call_server.stored("burst")) == 1


@pytest.mark.parametrize("form", ["seconds", "http-date"])
async def test_429_retry_after_is_honoured(
    create_call_server: Server, outbox_dir: Path, form: str
) -> None:
    value = "2" if form == "seconds" else formatdate(time.time() + 3, usegmt=True)
    create_call_server.script(Fault(status=429, headers={"Retry-After": value}))
    sleep = RecordingSleep()
    async with delivery(create_call_server, outbox_dir, sleep=sleep, delivery_deadline=10) as d:
        result = await d.submit(record("throttled"))
    assert result.delivered
    assert result.outcomes[0].attempts == 2
    (waited,) = sleep.waits
    if form == "seconds":
        assert waited == 2.0
    else:
        assert 1.0 <= waited <= 3.0  # HTTP-dates have one-second resolution


async def test_retry_after_past_the_deadline_leaves_it_to_the_flusher(
    create_call_server: Server, outbox_dir: Path
) -> None:
    create_call_server.script(Fault(status=503, headers={"Retry-After": "30"}))
    sleep = RecordingSleep()
    d = delivery(create_call_server, outbox_dir, sleep=sleep, delivery_deadline=1.0)
    result = await d.submit(record("later"))
    await d.aclose()
    (out,) = result.outcomes
    assert out.status is DeliveryStatus.PENDING_RETRY
    assert out.attempts == 1
    assert out.pending
    assert sleep.waits == []
    assert d._health["primary"].next_at >= time.monotonic() + 25  # the flusher waits too
    assert len(files(outbox_dir)) == 1


async def test_slow_answer_past_the_timeout_then_success(
    create_call_server: Server, outbox_dir: Path
) -> None:
    create_call_server.script(Fault(delay=1.0))
    async with delivery(create_call_server, outbox_dir, request_timeout=0.2) as d:
        result = await d.submit(record("slow"))
    (out,) = result.outcomes
    assert out.status is DeliveryStatus.DELIVERED
    assert out.attempts == 2
    assert len(create_call_server.stored("slow")) == 1


async def test_dropped_connection_then_success(
    create_call_server: Server, outbox_dir: Path
) -> None:
    create_call_server.script(Fault(drop=True))
    async with delivery(create_call_server, outbox_dir) as d:
        result = await d.submit(record("dropped"))
    assert result.delivered
    assert result.outcomes[0].attempts == 2
    assert len(create_call_server.requests) == 2
    assert files(outbox_dir) == []


async def test_connection_refused_stays_pending(outbox_dir: Path) -> None:
    # 1 s leaves room for the first connection's one-time setup on a loaded machine; the
    # retries that follow are 10-50 ms apart (FAST)
    d = delivery("http://127.0.0.1:9", outbox_dir, delivery_deadline=1.0)
    result = await d.submit(record("refused"))
    await d.aclose()
    (out,) = result.outcomes
    assert out.status is DeliveryStatus.PENDING_RETRY
    assert out.attempts >= 2
    assert "ConnectError" in (out.error or "")
    assert len(files(outbox_dir)) == 1


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_failure_is_kept_and_not_retried_until_the_key_changes(
    create_call_server: Server,
    outbox_dir: Path,
    caplog: pytest.LogCaptureFixture,
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret, good = f"tr_api_WRONG_{status}_s3cr3t", f"tr_api_GOOD_{status}_s3cr3t"
    create_call_server.api_key = good
    if status == 403:
        create_call_server.script(Fault(status=403, body={"detail": f"key {secret} forbidden"}))
    d = delivery(create_call_server, outbox_dir, api_key=secret)
    result = await d.submit(record("auth"))
    (out,) = result.outcomes
    assert out.status is DeliveryStatus.AUTH_FAILED
    assert out.http_status == status
    assert "RINGBACK_API_KEY" in (out.error or "")
    assert len(files(outbox_dir)) == 1

    again = await d.flush()
    assert [o.status for o in again.outcomes] == [DeliveryStatus.AUTH_FAILED]
    assert again.pending == 1
    await d.aclose()
    other = delivery(create_call_server, outbox_dir, api_key=secret)
    (blocked,) = (await other.submit(record("auth-2"))).outcomes
    assert blocked.status is DeliveryStatus.AUTH_FAILED
    # not sent again, and it still says how the server answered
    assert (blocked.error or "").startswith(f"HTTP {status} earlier: not sent again")
    await other.aclose()
    assert len(create_call_server.requests) == 1  # nothing re-sent with the same settings

    auth_lines = [r for r in caplog.records if "refused the API key" in r.getMessage()]
    assert len(auth_lines) == 1
    assert "RINGBACK_API_KEY" in auth_lines[0].getMessage()

    fixed = delivery(create_call_server, outbox_dir, api_key=good)
    report = await fixed.flush()
    await fixed.aclose()
    assert report.delivered == 2
    assert report.pending == 0
    assert files(outbox_dir) == []

    everything = caplog.text + result.model_dump_json() + again.model_dump_json()
    everything += all_file_text(outbox_dir)
    assert secret not in everything
    assert good not in everything


async def test_422_is_dead_lettered_with_the_message(
    create_call_server: Server, outbox_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    create_call_server.script(
        Fault(status=422, body={"detail": "transcript_with_tool_calls[3].role: bad value"})
    )
    async with delivery(create_call_server, outbox_dir) as d:
        result = await d.submit(record("invalid"))
    (out,) = result.outcomes
    assert out.status is DeliveryStatus.REJECTED
    assert out.http_status == 422
    assert not out.pending
    assert "role: bad value" in (out.error or "")
    key = entry_key("invalid")
    assert files(outbox_dir) == []
    assert files(outbox_dir, "dead") == [f"primary/{key}.json"]
    error = json.loads((outbox_dir / "dead" / "primary" / f"{key}.error.json").read_text())
    assert error["http_status"] == 422
    assert "role: bad value" in error["message"]
    lines = [r for r in caplog.records if "rejected call" in r.getMessage()]
    assert len(lines) == 1
    assert "retry-dead" in lines[0].getMessage()
    assert len(create_call_server.requests) == 1


async def test_409_counts_as_delivered(create_call_server: Server, outbox_dir: Path) -> None:
    rec = record("dupe")
    async with delivery(create_call_server, outbox_dir) as d:
        first = await d.submit(rec)
        second = await d.submit(rec)
    assert first.outcomes[0].status is DeliveryStatus.DELIVERED
    assert second.outcomes[0].status is DeliveryStatus.ALREADY_STORED
    assert second.delivered
    assert second.outcomes[0].http_status == 409
    assert len(create_call_server.stored("dupe")) == 1
    assert files(outbox_dir) == []


async def test_302_is_not_success(
    create_call_server: Server, outbox_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    location = f"{create_call_server.url}/api/v1/public/call?workspace_id=1&elsewhere=1"
    create_call_server.always = Fault(status=302, headers={"Location": location})
    async with delivery(create_call_server, outbox_dir) as d:
        result = await d.submit(record("moved"))
        await d.flush()
    (out,) = result.outcomes
    assert out.status is DeliveryStatus.REDIRECTED
    assert out.http_status == 302
    assert out.pending
    assert len(files(outbox_dir)) == 1
    assert all("elsewhere" not in r.query for r in create_call_server.requests)  # not followed
    lines = [r.getMessage() for r in caplog.records if "redirect" in r.getMessage()]
    assert len(lines) == 1
    assert "RINGBACK_BASE_URL" in lines[0]
    assert location in lines[0]


async def test_deadline_is_respected_when_the_server_hangs(
    create_call_server: Server, outbox_dir: Path
) -> None:
    create_call_server.always = Fault(hold=True)
    d = delivery(create_call_server, outbox_dir, request_timeout=10.0)
    started = time.monotonic()
    result = await d.submit(record("hung"), deadline=0.3)
    elapsed = time.monotonic() - started
    await d.aclose()
    assert result.outcomes[0].status is DeliveryStatus.PENDING_RETRY
    assert 0.25 <= elapsed < 0.8
    assert len(files(outbox_dir)) == 1


async def test_deadline_is_respected_when_the_server_keeps_failing(
    create_call_server: Server, outbox_dir: Path
) -> None:
    create_call_server.always = Fault(status=503)
    d = delivery(create_call_server, outbox_dir)
    started = time.monotonic()
    result = await d.submit(record("down"), deadline=0.4)
    elapsed = time.monotonic() - started
    await d.aclose()
    (out,) = result.outcomes
    assert out.status is DeliveryStatus.PENDING_RETRY
    assert out.attempts >= 3
    assert elapsed < 0.6
    (sidecar,) = (outbox_dir / "pending" / "primary").glob("*.error.json")
    assert json.loads(sidecar.read_text())["http_status"] == 503


async def test_two_sinks_are_tracked_separately(outbox_dir: Path) -> None:
    async with CreateCallServer() as good, CreateCallServer() as bad:
        bad.always = Fault(status=503)
        extra = Sink(name="backup", base_url=bad.url)
        d = delivery(good, outbox_dir, extra_sinks=[extra], delivery_deadline=0.3)
        result = await d.submit(record("two"))
        by_sink = {o.sink: o.status for o in result.outcomes}
        assert by_sink == {
            "primary": DeliveryStatus.DELIVERED,
            "backup": DeliveryStatus.PENDING_RETRY,
        }
        assert files(outbox_dir) == [f"backup/{entry_key('two')}.json"]
        assert result.summary() == (
            "call 'two': kept in the outbox, retried later; primary: delivered (HTTP 201); "
            "backup: pending_retry (HTTP 503)"
        )

        report = await d.flush(deadline=0.2)
        assert {o.sink for o in report.outcomes} == {"backup"}
        assert report.remaining == {"primary": 0, "backup": 1}
        assert report.summary() == "0 delivered, 1 still pending (backup: 1)"
        bad.always = None
        report = await d.flush()
        await d.aclose()
        assert report.pending == 0
        assert [o.sink for o in report.outcomes] == ["backup"]
        assert len(good.requests) == 1
        assert len(good.stored("two")) == 1
        assert len(bad.stored("two")) == 1
        assert files(outbox_dir) == []


@pytest.mark.parametrize("server_up", [True, False])
async def test_full_disk_still_sends_from_memory(
    create_call_server: Server,
    outbox_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    server_up: bool,
) -> None:
    # Simulated: the writer fails with ENOSPC (a real full filesystem needs root or a
    # platform-specific mount).
    def disk_full(fd: int, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(outbox_module, "_write_all", disk_full)
    if not server_up:
        create_call_server.always = Fault(status=503)
    async with delivery(create_call_server, outbox_dir, delivery_deadline=0.3) as d:
        result = await d.submit(record("no-space"))
    assert not result.persisted
    assert "RINGBACK_OUTBOX_DIR" in (result.persist_error or "")
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert str(outbox_dir) in line
    assert "RINGBACK_OUTBOX_DIR" in line
    assert "ENOSPC" in line
    (out,) = result.outcomes
    if server_up:
        assert out.status is DeliveryStatus.DELIVERED
        assert len(create_call_server.stored("no-space")) == 1
    else:
        assert out.status is DeliveryStatus.NOT_PERSISTED
        assert not out.pending
        assert "not saved" in (out.error or "")
    assert files(outbox_dir) == []


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydantic's warnings on the raw record
async def test_unserialisable_metadata_does_not_break_submit(
    create_call_server: Server, outbox_dir: Path
) -> None:
    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque thing>"

    tl = Timeline()
    tl.add_turn("user", "hi", start_ms=0, end_ms=500, metadata={"obj": Opaque(), "set": {1}})
    tl.set_metadata("when", datetime(2025, 1, 2, tzinfo=timezone.utc))
    rec = tl.build(call_id="weird", metadata={"blob": b"\x00\x01", "nan": float("nan")})
    # And one built bypassing validation, so the model itself cannot serialise it.
    raw = CallRecord.model_construct(
        **{**dict(rec), "call_id": "raw", "sip_headers": {1: Opaque()}}
    )
    async with delivery(create_call_server, outbox_dir) as d:
        results = [await d.submit(rec), await d.submit(raw)]  # type: ignore[arg-type]
    assert all(r.delivered for r in results)
    body = create_call_server.stored("weird")[0]
    assert body["transcript_with_tool_calls"][0]["metadata"]["obj"] == "<Opaque thing>"
    assert body["general_meta_data_raw"]["nan"] is None
    assert create_call_server.stored("raw")[0]["sip_headers"] == {"1": "<Opaque thing>"}


async def test_resubmitting_replaces_the_pending_entry(
    create_call_server: Server, outbox_dir: Path
) -> None:
    create_call_server.always = Fault(status=503)
    d = delivery(create_call_server, outbox_dir, delivery_deadline=0.1)
    await d.submit(record("again", turns=1))
    await d.submit(record("again", turns=4))
    await d.aclose()
    (entry,) = files(outbox_dir)
    body = json.loads((outbox_dir / "pending" / entry).read_bytes())["body"]
    assert (
        body["transcript_with_tool_calls"]
        == json.loads(record("again", turns=4).to_json_bytes())["transcript_with_tool_calls"]
    )


async def test_disabled_does_nothing(create_call_server: Server, outbox_dir: Path) -> None:
    async with delivery(create_call_server, outbox_dir, enabled=False) as d:
        result = await d.submit(record("off"))
        report = await d.flush()
    assert result.disabled
    assert not result.delivered
    assert result.outcomes == []
    assert report.disabled
    assert create_call_server.requests == []
    assert all_file_text(outbox_dir) == ""


async def test_submit_never_raises(
    create_call_server: Server, outbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise ValueError("bug in a transport")

    d = Delivery(delivery(create_call_server, outbox_dir).settings, transport=Broken(), policy=FAST)
    result = await d.submit(record("bug"))
    (out,) = result.outcomes
    assert out.status is DeliveryStatus.ERROR
    assert "bug in a transport" in (out.error or "")
    assert out.pending
    assert len(files(outbox_dir)) == 1

    def explode(*args: object) -> None:
        raise RuntimeError("outbox exploded")

    monkeypatch.setattr(d.outbox, "persist", explode)
    result = await d.submit(record("bug-2"))
    assert result.error is not None
    assert "outbox exploded" in result.error
    monkeypatch.undo()
    await d.aclose()
    after = await d.submit(record("after-close"))
    assert after.outcomes[0].status is DeliveryStatus.PENDING_RETRY


async def test_deadline_zero_only_persists(create_call_server: Server, outbox_dir: Path) -> None:
    d = delivery(create_call_server, outbox_dir)
    result = await d.submit(record("later-please"), deadline=0)
    (out,) = result.outcomes
    assert result.persisted
    assert out.status is DeliveryStatus.PENDING_RETRY
    assert out.attempts == 0
    assert create_call_server.requests == []
    assert (await d.flush()).delivered == 1
    await d.aclose()


async def test_outbox_removed_while_running_is_recreated(
    create_call_server: Server, outbox_dir: Path
) -> None:
    import shutil

    create_call_server.always = Fault(status=503)
    d = delivery(create_call_server, outbox_dir, delivery_deadline=0.05)
    assert (await d.submit(record("before"))).persisted
    await asyncio.to_thread(shutil.rmtree, outbox_dir)
    result = await d.submit(record("after"))
    await d.aclose()
    assert result.persisted
    assert files(outbox_dir) == [f"primary/{entry_key('after')}.json"]
