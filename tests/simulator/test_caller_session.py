"""`SimulatedCaller` in AgentSession text mode: an improvising caller (a fake LLM) and a
scripted one, the hang-up tool closing the session, and `end_call` for the max duration."""

from __future__ import annotations

from typing import Any

from livekit.agents import AgentSession, EventAssert, llm
from support.livekit_agents import closed
from test_caller_brief import planned

from ringback.livekit.testing import Reply, ScriptedLLM, ToolCall
from ringback.simulator.caller import CallerBrief, ScriptedTurns, SimulatedCaller


def said(event: EventAssert) -> str | None:
    return event.is_message(role="assistant").event().item.text_content


def improvising_brief() -> CallerBrief:
    meta = planned("order-status").caller_metadata
    scenario = {**meta["scenario"], "turns": [], "instructions": "You want your order status."}
    return CallerBrief.from_metadata({**meta, "scenario": scenario})


async def test_an_improvising_caller_plays_its_persona_and_hangs_up() -> None:
    seen: list[llm.ChatContext] = []

    def respond(chat_ctx: llm.ChatContext) -> Reply:
        seen.append(chat_ctx.copy())
        if len(seen) == 1:
            return Reply(text="Hi, where is my order A1001?")
        return Reply(text="Thanks, bye!", tools=[ToolCall("hang_up")])

    brief = improvising_brief()
    caller = SimulatedCaller(brief)
    async with AgentSession[Any](llm=ScriptedLLM(respond=respond)) as session:
        ended = closed(session)
        await session.start(caller)
        first = await session.run(user_input="Support, how can I help?")
        assert said(first.expect.next_event()) == "Hi, where is my order A1001?"
        first.expect.no_more_events()
        assert caller.ended_by is None

        second = await session.run(user_input="It has shipped.")
        assert said(second.expect.next_event()) == "Thanks, bye!"
        second.expect.next_event().is_function_call(name="hang_up")
        second.expect.next_event().is_function_call_output()
        second.expect.no_more_events()
        assert caller.ended_by == "hang_up"
        assert (await ended).error is None  # the goodbye was said, then the session closed

    instructions = seen[0].items[0]
    assert instructions.role == "system"
    assert "You want your order status." in instructions.text_content
    assert "- customer name: Jane Smith" in instructions.text_content
    assert "hang_up" in [t.id for t in caller.tools]


async def test_a_scripted_caller_says_its_turns_in_order_then_hangs_up() -> None:
    brief = CallerBrief.from_metadata(planned("order-status").caller_metadata)
    caller = SimulatedCaller(brief)
    assert isinstance(caller.llm, ScriptedTurns)  # no model needed
    async with AgentSession[Any]() as session:
        ended = closed(session)
        await session.start(caller)
        r = await session.run(user_input="Support, how can I help?")
        assert said(r.expect.next_event()) == "Hi, where is my order A1001?"
        r.expect.no_more_events()
        r = await session.run(user_input="It has shipped.")
        assert said(r.expect.next_event()) == "Great, thanks. Bye!"
        r.expect.no_more_events()
        assert caller.ended_by is None  # it waits for the agent's reply to its last turn
        r = await session.run(user_input="Goodbye!")
        r.expect.next_event().is_function_call(name="hang_up", arguments={})
        r.expect.next_event().is_function_call_output()
        r.expect.no_more_events()
        assert caller.ended_by == "hang_up"
        await ended


async def test_a_scripted_caller_can_open_the_call() -> None:
    brief = CallerBrief.from_metadata(planned("small-talk").caller_metadata)
    async with AgentSession[Any]() as session:
        await session.start(SimulatedCaller(brief))
        said = await session.generate_reply()
        assert said.chat_items[-1].text_content == "Hello there!"


async def test_end_call_hangs_up_at_once() -> None:
    caller = SimulatedCaller(improvising_brief())
    caller.end_call()  # not running yet: only remembered
    assert caller.ended_by == "max_duration"
    caller = SimulatedCaller(improvising_brief())
    async with AgentSession[Any](llm=ScriptedLLM([Reply(text="Hello?")])) as session:
        ended = closed(session)
        await session.start(caller)
        caller.end_call()
        event = await ended
    assert caller.ended_by == "max_duration"
    assert event.error is None
