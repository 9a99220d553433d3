"""Tool calls through a real `LLMService.run_function_calls`: every result type, errors,
cancellation, timeouts and intermediate updates, each call recorded exactly once although its
frames are broadcast both ways and pass every processor."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pipecat.frames.frames import (
    FunctionCallCancelFrame,
    FunctionCallInProgressFrame,
    FunctionCallResultFrame,
    FunctionCallResultProperties,
    LLMContextFrame,
)
from pipecat.services.llm_service import FunctionCallParams
from support.create_call_server import CreateCallServer

from ringback.pipecat import RingbackObserver
from ringback.pipecat.testing import (
    ManualClock,
    Reply,
    ScriptedCall,
    ToolCall,
    call_clock,
    scripted_function,
)


def observer_for(server: CreateCallServer, outbox_dir: Path, call_id: str) -> RingbackObserver:
    return RingbackObserver(
        call_id=call_id, base_url=server.url, outbox_dir=outbox_dir, clock=call_clock()
    )


def rows(
    name: str,
    call_id: str,
    params: dict[str, Any],
    result: dict[str, Any],
    start: int,
    end: int,
    *,
    error: str | None = None,
) -> list[dict[str, Any]]:
    call = {"name": name, "request_id": call_id, "params": params, "start_ms": start}
    settled = {**call, "result": result, "is_error": error is not None}
    if error is not None:
        settled["error"] = error
    base = {"text": "", "start_ms": start, "end_ms": end, "duration_ms": end - start}
    return [
        {
            "role": "agent_function",
            **base,
            "metadata": {},
            "tool": {**call, "result": {}, "is_error": False},
        },
        {
            "role": "agent_result",
            "text": "",
            "start_ms": end,
            "end_ms": end,
            "duration_ms": 0,
            "metadata": {"tool_duration_ms": end - start},
            "tool": settled,
        },
    ]


async def test_every_result_type_and_a_failing_tool_are_recorded_once(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    clock = ManualClock()
    results: dict[str, Any] = {
        "as_dict": {"a": 1},
        "as_list": [1, 2],
        "as_json_text": '{"ok": true}',
        "as_text": "plain words",
        "as_number": 7,
        "as_none": None,
        "as_bool": True,
        "as_nested": {"items": [{"sku": "X1", "count": 3}], "total": 2.5},
    }
    functions = {name: scripted_function(clock, value) for name, value in results.items()}
    functions["fails"] = scripted_function(clock, None, error=ValueError("no stock"))
    calls = [ToolCall(name, {"n": i}, f"id{i}") for i, name in enumerate(functions)]
    observer = observer_for(create_call_server, outbox_dir, "tools-1")
    async with ScriptedCall(
        [observer], replies=[Reply(tools=calls, think_ms=100)], functions=functions, clock=clock
    ) as call:
        clock.set_ms(500)
        await call.worker.queue_frame(LLMContextFrame(call.context))
        await call.milestones.reached(FunctionCallResultFrame, len(calls))
        await call.end(at_ms=1000)

    await observer.flush()
    body = create_call_server.requests[0].body
    expected_results: dict[str, dict[str, Any]] = {
        "as_dict": {"a": 1},
        "as_list": {"value": [1, 2]},
        "as_json_text": {"ok": True},
        "as_text": {"value": "plain words"},
        "as_number": {"value": 7},
        "as_none": {},
        "as_bool": {"value": True},
        "as_nested": {"items": [{"sku": "X1", "count": 3}], "total": 2.5},
        "fails": {"value": "The function `fails` failed and returned no result."},
    }
    expected: list[dict[str, Any]] = []
    for i, (name, result) in enumerate(expected_results.items()):
        error = "ValueError: no stock" if name == "fails" else None
        expected += rows(name, f"id{i}", {"n": i}, result, 600, 600, error=error)
    assert body["transcript_with_tool_calls"] == expected
    assert body["general_meta_data_raw"]["errors"] == [
        {
            "at_ms": 600,
            "message": "Error executing function call [fails]: no stock",
            "fatal": False,
            "source": "llm",
        }
    ]
    assert body["disconnection_reason"] == "agent_hangup"  # an error, but not a fatal one


async def test_interrupting_a_running_tool_records_its_cancellation(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    clock = ManualClock()
    never = asyncio.Event()
    observer = observer_for(create_call_server, outbox_dir, "tools-2")
    async with ScriptedCall(
        [observer],
        replies=[Reply(tools=[ToolCall("slow_lookup", {"q": "x"}, "slow1")], think_ms=100)],
        functions={"slow_lookup": scripted_function(clock, {"never": True}, block=never)},
        clock=clock,
    ) as call:
        clock.set_ms(500)
        await call.worker.queue_frame(LLMContextFrame(call.context))
        await call.milestones.reached(FunctionCallInProgressFrame, 1)
        await call.user_says("Stop.", at_ms=900, speech_ms=400, interrupt=True, respond=False)
        await call.milestones.reached(FunctionCallCancelFrame, 1)
        await call.end(at_ms=2000)

    await observer.flush()
    transcript = create_call_server.requests[0].body["transcript_with_tool_calls"]
    called, cancelled = rows("slow_lookup", "slow1", {"q": "x"}, {}, 600, 1100, error="cancelled")
    # The caller started speaking at 900; the interruption (VAD-confirmed) came at 1100.
    assert [transcript[0], transcript[2]] == [called, cancelled]
    assert (transcript[1]["role"], transcript[1]["text"]) == ("user", "Stop.")


async def test_a_tool_timeout_and_intermediate_updates(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    clock = ManualClock()
    never = asyncio.Event()

    async def progress(params: FunctionCallParams) -> None:
        await params.result_callback(
            {"percent": 50}, properties=FunctionCallResultProperties(is_final=False)
        )
        clock.advance_ms(300)
        await params.result_callback({"percent": 100})

    observer = observer_for(create_call_server, outbox_dir, "tools-3")
    call = ScriptedCall(
        [observer],
        replies=[
            Reply(
                tools=[
                    ToolCall("slow", {}, "t1"),
                    ToolCall("report", {"job": 9}, "t2"),
                ],
                think_ms=100,
            )
        ],
        clock=clock,
    )
    call.llm.register_function("slow", scripted_function(clock, {}, block=never), timeout_secs=0.05)
    call.llm.register_function("report", progress, cancel_on_interruption=False)
    async with call:
        clock.set_ms(500)
        await call.worker.queue_frame(LLMContextFrame(call.context))
        await call.milestones.reached(FunctionCallCancelFrame, 1)
        await call.end(at_ms=2000)

    await observer.flush()
    transcript = create_call_server.requests[0].body["transcript_with_tool_calls"]
    slow_call, slow_cancelled = rows("slow", "t1", {}, {}, 600, 900, error="cancelled: timed out")
    report_call, report_result = rows("report", "t2", {"job": 9}, {"percent": 100}, 600, 900)
    # Sorted by time, then in the order seen: the update that finished "report" came first.
    assert transcript == [slow_call, report_call, report_result, slow_cancelled]
