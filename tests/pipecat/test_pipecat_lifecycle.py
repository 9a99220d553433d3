"""When and how a call is finalised and delivered, and that nothing Ringback does can hurt the
pipeline: end and cancel frames, a pipeline that never starts, one stuck on its end frame,
concurrent calls, a failing backend, a broken frame, the enable switch, the deprecated
`PipelineTask`, and Pipecat's own `run_test` on the system clock."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from pipecat.frames.frames import (
    EndFrame,
    Frame,
    LLMContextFrame,
    MetricsFrame,
    TranscriptionFrame,
)
from pipecat.metrics.metrics import LLMUsageMetricsData
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.task import PipelineTask
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor, FrameProcessorSetup
from pipecat.tests.utils import run_test
from pipecat.workers.runner import WorkerRunner
from support.create_call_server import CreateCallServer, Fault

from ringback.core.delivery import DeliveryStatus
from ringback.core.settings import Sink
from ringback.pipecat import RingbackObserver
from ringback.pipecat.testing import (
    ManualClock,
    Reply,
    ScriptedCall,
    ScriptedLLMService,
    ToolCall,
    call_clock,
    scripted_function,
)

GREETING = [Reply(text=["Hello there."], think_ms=200)]


def observer_for(
    server: CreateCallServer, outbox_dir: Path, call_id: str, **kwargs: object
) -> RingbackObserver:
    return RingbackObserver(
        call_id=call_id,
        base_url=server.url,
        outbox_dir=outbox_dir,
        clock=call_clock(),
        **kwargs,  # type: ignore[arg-type]
    )


def pending(outbox_dir: Path) -> list[Path]:
    return sorted((outbox_dir / "pending").rglob("*.json"))


def stored(outbox_dir: Path) -> list[Path]:
    return sorted(outbox_dir.rglob("*.json")) if outbox_dir.exists() else []


async def greet(call: ScriptedCall) -> None:
    call.clock.set_ms(100)
    await call.worker.queue_frame(LLMContextFrame(call.context))
    await call.bot_spoke(1)


async def test_a_cancel_frame_ends_the_call_once_however_often_it_is_finalised(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = observer_for(create_call_server, outbox_dir, "cancel-1")
    async with ScriptedCall([observer], replies=GREETING) as call:
        await greet(call)
        await call.end(at_ms=1500, cancel=True)

    first = await observer.flush()
    await observer.cleanup()  # the worker already did; a second teardown changes nothing
    second = await observer.flush()
    assert first is second is observer.result
    assert first is not None
    assert first.delivered
    (request,) = create_call_server.requests
    body = request.body
    assert (body["disconnection_reason"], body["duration_ms"]) == ("user_hangup", 1500)
    assert body["general_meta_data_raw"]["pipecat"] == {"end_frame": "CancelFrame"}
    assert [row["text"] for row in body["transcript_with_tool_calls"]] == ["Hello there."]


class StuckSetup(FrameProcessor):
    """A processor whose setup never returns (a service that cannot connect)."""

    async def setup(self, setup: FrameProcessorSetup) -> None:  # type: ignore[override]
        await super().setup(setup)
        await asyncio.Event().wait()


async def test_a_pipeline_that_never_starts_is_still_synced(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = observer_for(create_call_server, outbox_dir, "never-started")
    worker = PipelineWorker(
        Pipeline([StuckSetup()]),
        observers=[observer],
        setup_timeout_secs=0.1,
        enable_rtvi=False,
        idle_timeout_secs=None,
    )
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    await asyncio.wait_for(runner.run(), 10)  # gives up on the setup; no end frame ever flows

    result = await observer.flush()
    assert result is not None
    assert result.delivered
    body = create_call_server.requests[0].body
    assert body["call_id"] == "never-started"
    assert body["transcript_with_tool_calls"] == []
    assert body["disconnection_reason"] == "unknown"
    assert body["general_meta_data_raw"]["pipecat"] == {"end_frame": None}


class HoldsTheEnd(FrameProcessor):
    """Passes every frame on, except that it sits on the `EndFrame` until released."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, EndFrame):
            await self.release.wait()
        await self.push_frame(frame, direction)


async def test_a_pipeline_stuck_on_its_end_frame_is_synced_after_end_timeout(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = observer_for(create_call_server, outbox_dir, "stuck-end", end_timeout=0.05)
    holder = HoldsTheEnd()
    async with ScriptedCall([observer], replies=GREETING, extra=[holder]) as call:
        await greet(call)
        call.clock.set_ms(2000)
        await call.worker.queue_frame(EndFrame())
        # The worker still waits on its EndFrame; the observer gives up after end_timeout.
        await create_call_server.wait_for_requests(1)
        result = await observer.flush()
        assert result is not None
        assert result.delivered
        assert create_call_server.requests[0].body["disconnection_reason"] == "agent_hangup"
        holder.release.set()
        await call.end()
    assert len(create_call_server.requests) == 1  # the worker's own teardown changed nothing


async def test_concurrent_calls_in_one_process_stay_separate(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    async def one_call(n: int) -> RingbackObserver:
        clock = ManualClock()
        observer = observer_for(create_call_server, outbox_dir, f"call-{n}")
        steps = [
            Reply(tools=[ToolCall(f"lookup_{n}", {"n": n}, f"t{n}")], think_ms=100 * n),
            Reply(text=[f"Answer number {n}."], think_ms=100),
        ]
        functions = {f"lookup_{n}": scripted_function(clock, {"n": n}, run_ms=50)}
        async with ScriptedCall([observer], replies=steps, functions=functions, clock=clock) as c:
            await c.user_says(f"Question number {n}.", at_ms=1000, speech_ms=1000)
            await c.bot_spoke(1)
            await c.end(at_ms=5000)
        await observer.flush()
        return observer

    await asyncio.gather(one_call(1), one_call(2))

    bodies = {r.body["call_id"]: r.body for r in create_call_server.requests}
    assert sorted(bodies) == ["call-1", "call-2"]
    for n in (1, 2):
        rows = bodies[f"call-{n}"]["transcript_with_tool_calls"]
        assert [(row["role"], row["text"]) for row in rows] == [
            ("user", f"Question number {n}."),
            ("agent_function", ""),
            ("agent_result", ""),
            ("agent", f"Answer number {n}."),
        ]
        assert rows[1]["tool"]["name"] == f"lookup_{n}"
        assert rows[1]["start_ms"] == 2450 + 100 * n  # released at 2450, then the LLM's TTFB


async def test_a_failing_backend_and_a_broken_frame_never_reach_the_pipeline(
    create_call_server: CreateCallServer, outbox_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    create_call_server.always = Fault(status=503)
    observer = observer_for(create_call_server, outbox_dir, "down-1", delivery_deadline=0.2)
    steps = [*GREETING, Reply(text=["Still here."], think_ms=100)]
    async with ScriptedCall([observer], replies=steps) as call:
        await greet(call)
        # Usage data that does not hold what it should: recording it fails inside Ringback.
        broken = LLMUsageMetricsData.model_construct(processor="llm", model=None, value=None)
        await call.send(MetricsFrame(data=[broken]))
        call.clock.set_ms(2000)
        await call.worker.queue_frame(LLMContextFrame(call.context))
        await call.bot_spoke(2)
        await call.end(at_ms=3000)

    assert "error recording _on_metrics" in caplog.text
    result = await observer.flush()
    assert result is not None
    assert result.persisted
    assert not result.delivered
    assert result.outcomes[0].status is DeliveryStatus.PENDING_RETRY
    (entry,) = [p for p in pending(outbox_dir) if not p.name.endswith(".error.json")]
    assert b'"down-1"' in entry.read_bytes()  # kept on disk for the flusher
    texts = [
        row["text"] for row in create_call_server.requests[0].body["transcript_with_tool_calls"]
    ]
    assert texts == ["Hello there.", "Still here."]  # what came after the broken frame too


async def test_a_disabled_observer_records_and_sends_nothing(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = observer_for(create_call_server, outbox_dir, "off-1", enabled=False)
    async with ScriptedCall([observer], replies=GREETING) as call:
        await greet(call)
        await call.end(at_ms=1500)

    assert not observer.enabled
    result = await observer.flush()
    assert result is not None
    assert result.disabled
    assert create_call_server.requests == []
    assert stored(outbox_dir) == []


async def test_the_deprecated_pipeline_task_works_too(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = observer_for(create_call_server, outbox_dir, "task-1")
    with pytest.warns(DeprecationWarning, match="PipelineTask"):
        call = ScriptedCall([observer], replies=GREETING, worker_cls=PipelineTask)
    async with call:
        await greet(call)
        await call.end(at_ms=1500)

    await observer.flush()
    body = create_call_server.requests[0].body
    assert [row["text"] for row in body["transcript_with_tool_calls"]] == ["Hello there."]


async def test_flush_syncs_a_call_whose_worker_never_ran(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    observer = observer_for(create_call_server, outbox_dir, "no-worker")
    result = await observer.flush()
    assert result is not None
    assert result.delivered
    assert create_call_server.requests[0].body["transcript_with_tool_calls"] == []


async def test_run_test_on_the_system_clock(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    """No `clock=`: the timeline is anchored to the pipeline's own clock and the wall clock."""
    observer = RingbackObserver(
        call_id="run-test-1", base_url=create_call_server.url, outbox_dir=outbox_dir
    )
    llm = ScriptedLLMService(
        [Reply(text=["Hi! ", "How can I help?"], think_ms=320)], clock=ManualClock()
    )
    before = time.time()
    await run_test(
        llm,
        frames_to_send=[
            TranscriptionFrame("Hello?", "caller", "t"),
            LLMContextFrame(LLMContext()),
        ],
        observers=[observer],
        pipeline_params=PipelineParams(enable_metrics=True, enable_usage_metrics=True),
    )
    after = time.time()

    await observer.flush()
    body = create_call_server.requests[0].body
    assert int(before) <= body["start_timestamp"] <= body["end_timestamp"] <= int(after) + 1
    assert 0 <= body["duration_ms"] <= (after - before) * 1000 + 1
    rows = body["transcript_with_tool_calls"]
    assert [(row["role"], row["text"]) for row in rows] == [
        ("user", "Hello?"),
        ("agent", "Hi! How can I help?"),
    ]
    assert rows[1]["metadata"] == {"llm_node_ttft": 320, "interrupted": False}
    assert all(0 <= row["start_ms"] <= row["end_ms"] <= body["duration_ms"] for row in rows)


async def test_bad_configuration_and_a_refused_key_never_stop_a_call_nor_leak_the_key(
    outbox_dir: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGBACK_WORKSPACE_ID", "not-a-number")
    async with CreateCallServer(api_key="tr_api_the_right_one") as server:
        observer = RingbackObserver(
            call_id="bad-config",
            call_type="fax",  # not a call type
            agent_version="seven",  # type: ignore[arg-type]
            api_key="tr_api_SECRET_wrong_key",
            base_url=server.url,
            outbox_dir=outbox_dir,
            clock=call_clock(),
        )
        async with ScriptedCall([observer], replies=GREETING) as call:
            await greet(call)
            await call.end(at_ms=1500)
        result = await observer.flush()

    assert result is not None
    assert result.persisted
    assert result.outcomes[0].status is DeliveryStatus.AUTH_FAILED
    body = server.requests[0].body
    assert (body["call_type"], "agent_version" in body) == ("web_call", False)
    assert server.requests[0].query["workspace_id"] == "1"  # the default, not the bad value
    assert "option agent_version is invalid" in caplog.text
    assert "option call_type is invalid" in caplog.text
    assert "SECRET" not in caplog.text


async def test_extra_sinks_get_every_call_as_with_the_livekit_plugin(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    async with CreateCallServer() as mirror:
        observer = observer_for(
            create_call_server,
            outbox_dir,
            "two-sinks",
            request_timeout=5,
            extra_sinks=[Sink(name="mirror", base_url=mirror.url)],
        )
        async with ScriptedCall([observer], replies=GREETING) as call:
            await greet(call)
            await call.end(at_ms=1500)
        result = await observer.flush()

        assert result is not None
        assert result.delivered
        assert [o.sink for o in result.outcomes] == ["primary", "mirror"]
        assert [r.body["call_id"] for r in mirror.requests] == ["two-sinks"]
    assert [r.body["call_id"] for r in create_call_server.requests] == ["two-sinks"]
    assert observer.recorder.settings.request_timeout == 5.0


async def test_a_malformed_extra_sinks_setting_costs_no_call(
    create_call_server: CreateCallServer, outbox_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGBACK_EXTRA_SINKS", '[{"base_url": "https://backup.example.com"')
    observer = observer_for(create_call_server, outbox_dir, "typo-sinks")  # raised before
    async with ScriptedCall([observer], replies=GREETING) as call:
        await greet(call)
        await call.end(at_ms=1500)
    result = await observer.flush()

    assert result is not None
    assert result.delivered
    assert [o.sink for o in result.outcomes] == ["primary"]
    assert [r.body["call_id"] for r in create_call_server.requests] == ["typo-sinks"]
