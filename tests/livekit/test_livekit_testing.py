"""`ringback.livekit.testing`: the scripted LLM as LiveKit streams it, in a real AgentSession,
and the server stand-in as its own process (`python -m ringback.livekit.testing`)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import aiohttp
import pytest
from livekit import api
from livekit.agents import Agent, AgentSession, APIError, function_tool, llm
from livekit.protocol import room as pr

from ringback.livekit.testing import (
    API_KEY,
    API_SECRET,
    DEFAULT_USAGE,
    Reply,
    ScriptedLLM,
    ToolCall,
    Usage,
)


def context(text: str = "Hello?") -> llm.ChatContext:
    chat_ctx = llm.ChatContext.empty()
    chat_ctx.add_message(role="user", content=text)
    return chat_ctx


async def chunks(model: ScriptedLLM, **kwargs: Any) -> list[llm.ChatChunk]:
    async with model.chat(chat_ctx=context(), **kwargs) as stream:
        return [chunk async for chunk in stream]


def said(chunk: llm.ChatChunk) -> tuple[str | None, list[str]]:
    """A chunk's text and the names of its tool calls."""
    assert chunk.delta is not None
    return chunk.delta.content, [call.name for call in chunk.delta.tool_calls]


async def test_a_reply_streams_its_chunks_then_its_tool_calls_then_its_usage() -> None:
    reply = Reply(
        text=["Let me ", "check."],
        tools=[ToolCall("lookup_order", {"order_id": "A1001"})],
        usage=Usage(input_tokens=200, output_tokens=15, cached_tokens=128),
    )
    got = await chunks(ScriptedLLM([reply]))
    deltas = [c.delta for c in got if c.delta is not None]
    assert [d.content for d in deltas] == ["Let me ", "check."]
    assert deltas[0].tool_calls == []
    (call,) = deltas[1].tool_calls
    assert (call.name, json.loads(call.arguments), call.call_id) == (
        "lookup_order",
        {"order_id": "A1001"},
        "call_req_1_0",
    )
    usage = got[-1].usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.prompt_cached_tokens) == (
        200,
        15,
        128,
    )
    assert usage.total_tokens == 215
    assert {c.id for c in got} == {"req_1"}


async def test_defaults_then_respond_then_an_empty_reply() -> None:
    model = ScriptedLLM(["First."], respond=lambda ctx: "Echo." if len(ctx.items) else None)
    first = await chunks(model)
    assert said(first[0]) == ("First.", [])
    assert first[-1].usage is not None
    assert first[-1].usage.prompt_tokens == DEFAULT_USAGE.input_tokens
    second = await chunks(model)
    assert said(second[0]) == ("Echo.", [])
    quiet = ScriptedLLM(usage=None)
    (empty,) = await chunks(quiet)  # exhausted: an empty answer, no usage
    assert said(empty) == (None, [])
    assert (model.requests, quiet.requests) == (2, 1)


async def test_tool_choice_none_leaves_the_tool_calls_out() -> None:
    model = ScriptedLLM([Reply("Sure.", tools=[ToolCall("end_call")])])
    (text, _) = await chunks(model, tool_choice="none")
    assert said(text) == ("Sure.", [])


async def test_an_error_reply_fails_the_request_without_retries() -> None:
    model = ScriptedLLM([Reply(error="model overloaded")])
    with pytest.raises(APIError, match="model overloaded"):
        await chunks(model)


async def test_a_held_reply_waits_for_its_event_before_the_rest() -> None:
    hold = asyncio.Event()
    model = ScriptedLLM([Reply("Our policy has ", hold=hold, more="five sections.")])
    async with model.chat(chat_ctx=context()) as stream:
        first = await anext(stream)
        assert said(first) == ("Our policy has ", [])
        rest = asyncio.ensure_future(anext(stream))
        await asyncio.sleep(0.05)
        assert not rest.done()
        hold.set()
        more = await rest
        assert said(more) == ("five sections.", [])


class Support(Agent):
    def __init__(self) -> None:
        super().__init__(instructions="You are a support agent.")

    @function_tool
    async def lookup_order(self, order_id: str) -> dict[str, str]:
        """Look up an order by its id."""
        return {"order_id": order_id, "status": "shipped"}


async def test_an_agent_session_runs_the_script_through_its_tools() -> None:
    model = ScriptedLLM(
        [Reply(tools=[ToolCall("lookup_order", {"order_id": "A1001"})]), "It has shipped."],
        think_ms=5,
    )
    async with AgentSession[None](llm=model) as session:
        await session.start(Support())
        result = await session.run(user_input="Where is my order A1001?")
    result.expect.next_event().is_function_call(
        name="lookup_order", arguments={"order_id": "A1001"}
    )
    output = result.expect.next_event().is_function_call_output().event().item
    assert "shipped" in output.output
    assert not output.is_error
    answer = result.expect.next_event().is_message(role="assistant").event().item
    result.expect.no_more_events()
    assert answer.text_content == "It has shipped."
    assert model.requests == 2


async def test_the_stand_in_serves_as_a_process_until_sigterm() -> None:
    command = [sys.executable, "-m", "ringback.livekit.testing", "--polls", "3"]
    process = await asyncio.create_subprocess_exec(*command, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
        assert line.startswith("listening http://127.0.0.1:")
        url = line.removeprefix("listening ")
        async with api.LiveKitAPI(url, API_KEY, API_SECRET) as lk:
            await lk.room.create_room(pr.CreateRoomRequest(name="r1"))
        async with aiohttp.ClientSession() as http, http.get(f"{url}/_standin/stats") as resp:
            stats = await resp.json()
        assert (stats["requests"], stats["rooms_created"], stats["rooms_left"]) == (1, 1, 1)
    finally:
        process.terminate()
        code = await asyncio.wait_for(process.wait(), 10)
    assert code == 0
