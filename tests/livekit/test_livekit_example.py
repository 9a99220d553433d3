"""examples/livekit_agent.py runs as a worker job in text mode and syncs its call."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from livekit.agents import AgentSession, JobContext
from support.create_call_server import CreateCallServer
from support.examples import load_example
from support.livekit_agents import INT
from support.livekit_jobs import job_info, run_job

from ringback.livekit.testing import Reply, ScriptedLLM, ToolCall, Usage

EXAMPLE = Path(__file__).parents[2] / "examples" / "livekit_agent.py"

SCRIPT = [
    Reply(text="Hi, thanks for calling! How can I help?"),  # the greeting
    Reply(tools=[ToolCall("lookup_order", {"order_id": "A1001"})], usage=Usage(200, 15)),
    Reply(text="Order A1001 has shipped.", usage=Usage(240, 9)),
    Reply(tools=[ToolCall("transfer_to_billing")], usage=Usage(260, 8)),
    Reply(text="Transferring you to billing now.", usage=Usage(280, 7)),
    Reply(tools=[ToolCall("issue_refund", {"order_id": "A1001", "reason": "wrong size"})]),
    Reply(text="Done, 59 dollars are on their way back to you."),
    Reply(tools=[ToolCall("end_call")]),
    Reply(text="Goodbye!"),
]
CALLER = [
    "Where is my order A1001?",
    "I'd like a refund, actually.",
    "It's the wrong size.",
    "No, that's all. Bye!",
]


@pytest.fixture
def example() -> ModuleType:
    return load_example("livekit_agent")


def text_mode_session() -> AgentSession:
    """The example's session, with the scripted LLM and no audio in or out."""
    session: AgentSession[None] = AgentSession(llm=ScriptedLLM(SCRIPT))
    session.input.set_audio_enabled(False)
    session.output.set_audio_enabled(False)
    return session


async def test_the_example_worker_syncs_its_call(
    example: ModuleType,
    create_call_server: CreateCallServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RINGBACK_BASE_URL", create_call_server.url)
    monkeypatch.setenv("RINGBACK_OUTBOX_DIR", str(tmp_path))
    monkeypatch.setattr(example, "build_session", text_mode_session)

    async def caller_in_text_mode(ctx: JobContext) -> None:
        await example.entrypoint(ctx)  # the example's own entrypoint, unchanged
        for line in CALLER:
            await ctx.primary_session.run(user_input=line)

    async with run_job(caller_in_text_mode, job_info("AJ_example")) as executor:
        await executor.join()  # the agent hangs up (EndCallTool), which ends the job

    (request,) = create_call_server.requests
    body = request.body
    rows = body["transcript_with_tool_calls"]
    assert [
        (r["role"], r["text"] or r.get("tool", r.get("node", {})).get("name")) for r in rows
    ] == [
        ("node_transition", None),
        ("agent", "Hi, thanks for calling! How can I help?"),
        ("user", "Where is my order A1001?"),
        ("agent_function", "lookup_order"),
        ("agent_result", "lookup_order"),
        ("agent", "Order A1001 has shipped."),
        ("user", "I'd like a refund, actually."),
        ("agent_function", "transfer_to_billing"),
        ("agent_result", "transfer_to_billing"),
        ("agent", "Transferring you to billing now."),
        ("node_transition", None),
        ("user", "It's the wrong size."),
        ("agent_function", "issue_refund"),
        ("agent_result", "issue_refund"),
        ("agent", "Done, 59 dollars are on their way back to you."),
        ("user", "No, that's all. Bye!"),
        ("agent_function", "end_call"),
        ("agent_result", "end_call"),
        ("agent", "Goodbye!"),
    ]
    assert [r["node"] for r in rows if r["role"] == "node_transition"] == [
        {"to": "support", "from": None, "reason": "start"},
        {"to": "billing", "from": "support", "reason": "handoff"},
    ]
    assert rows[4]["tool"]["result"] == {
        "order_id": "A1001",
        "status": "shipped",
        "total_usd": 59.0,
    }
    assert rows[13]["tool"] == {
        "name": "issue_refund",
        "request_id": "call_req_6_0",
        "params": {"order_id": "A1001", "reason": "wrong size"},
        "result": {"order_id": "A1001", "refunded_usd": 59.0, "reason": "wrong size"},
        "is_error": False,
        "start_ms": INT,
    }
    assert body["disconnection_reason"] == "agent_hangup"
    assert body["agent_version"] == 3
    assert body["recording_url"] == "https://recordings.example.com/console.ogg"
    tokens = body["general_meta_data_raw"]["usage_token"]["llm_token"]
    assert body["call_cost"] == round(tokens * 0.4 / 10_000 + 1.0, 4)
    assert body["general_meta_data_raw"]["team"] == "support"
    assert body["general_meta_data_raw"]["livekit"]["job_id"] == "AJ_example"
    assert request.query["agent_remote_identifier"] == "support-bot"


def test_the_example_is_a_worker_cli() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "start" in done.stdout
