"""`ringback.core.testing`: the script both scripted LLMs play, framework-free."""

from __future__ import annotations

import pytest

from ringback.core.testing import Reply, Script, ToolCall, Usage, estimate_usage


def test_queued_replies_come_first_then_respond_then_none() -> None:
    heard: list[str] = []

    def respond(context: str) -> str | None:
        heard.append(context)
        return None if context == "stop" else f"You said {context}."

    script: Script[str] = Script(["Hi!", Reply(text="How can I help?")], respond=respond)
    assert script.next("a") == Reply(text="Hi!")
    assert script.next("b") == Reply(text="How can I help?")
    assert script.next("c") == Reply(text="You said c.")
    assert script.next("stop") is None
    assert heard == ["c", "stop"]  # queued replies never ask respond
    assert (script.requests, script.request_id) == (4, "req_4")


def test_without_respond_an_exhausted_script_answers_none() -> None:
    script: Script[None] = Script(["Only this."])
    assert script.next(None) == Reply(text="Only this.")
    assert script.next(None) is None
    script.add("More.", Reply(text="And more."))
    assert [script.next(None), script.next(None)] == [Reply("More."), Reply("And more.")]


def test_tool_calls_get_ids_from_the_request_unless_given() -> None:
    reply = Reply(tools=[ToolCall("lookup", {"id": "A1"}), ToolCall("log", call_id="mine")])
    assert reply.tool_calls("req_3") == [
        ToolCall("lookup", {"id": "A1"}, "call_req_3_0"),
        ToolCall("log", {}, "mine"),
    ]


def test_text_is_one_chunk_or_the_chunks_given() -> None:
    assert Reply(text="Hello there.").chunks == ("Hello there.",)
    assert Reply(text="").chunks == ()
    assert (
        Reply(text=["Hello ", "there."], more=["And ", "more."]).spoken == "Hello there.And more."
    )


def test_a_tool_call_given_as_a_tuple_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"ToolCall\(name, arguments\), not tuple"):
        Reply(tools=[("lookup", {})])  # type: ignore[list-item]


def test_usage_and_think_time_default_to_the_scripts() -> None:
    fixed = Usage(input_tokens=100, output_tokens=7)
    own = Usage(input_tokens=1, output_tokens=2, cached_tokens=1)
    script: Script[None] = Script(usage=fixed, think_ms=40)
    assert script.usage_of(Reply("Hi.")) == fixed
    assert script.usage_of(Reply("Hi.", usage=own)) == own
    assert script.think_ms_of(Reply("Hi.")) == 40
    assert script.think_ms_of(Reply("Hi.", think_ms=0)) == 0
    assert Script[None](usage=None).usage_of(Reply("Hi.")) is None
    estimated = Script[None](usage=estimate_usage).usage_of(
        Reply("Your order has shipped.", tools=[ToolCall("end_call")])
    )
    assert estimated == Usage(input_tokens=120, output_tokens=4 + 8)


def test_the_total_is_input_plus_output_unless_reported() -> None:
    assert Usage(input_tokens=200, output_tokens=40).total == 240
    assert Usage(input_tokens=200, output_tokens=40, total_tokens=1140).total == 1140
