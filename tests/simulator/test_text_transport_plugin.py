"""`RingbackPlugin(..., sip_headers=...)`: X- headers given in code are reported like the ones a
SIP participant carries (the text transport gives the agent the planned INVITE headers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from livekit.agents import AgentSession
from support.create_call_server import CreateCallServer
from support.livekit_agents import SIP_HEADERS, Support

from ringback.livekit import RingbackPlugin
from ringback.livekit.testing import Reply, ScriptedLLM


async def test_explicit_sip_headers_are_reported(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    session: AgentSession[Any] = AgentSession(llm=ScriptedLLM([Reply(text="Hello!")]))
    plugin = RingbackPlugin(
        session,
        None,
        sip_correlation_id="0011@text.ringback.invalid",
        sip_headers={**SIP_HEADERS, "Authorization": "secret", "x-lower-case": "kept"},
        base_url=create_call_server.url,
        outbox_dir=outbox_dir,
    )
    await session.start(Support())
    await session.run(user_input="Hi")
    await session.aclose()
    result = await plugin.finish()
    assert result is not None
    assert result.delivered
    (request,) = create_call_server.requests
    body = request.body
    assert body["sip_call_id"] == "0011@text.ringback.invalid"
    # only X- headers leave the agent, with canonical names
    assert body["sip_headers"] == {**SIP_HEADERS, "X-Lower-Case": "kept"}
    assert "secret" not in request.raw.decode()


async def test_without_sip_headers_nothing_changes(
    create_call_server: CreateCallServer, outbox_dir: Path
) -> None:
    session: AgentSession[Any] = AgentSession(llm=ScriptedLLM([Reply(text="Hello!")]))
    plugin = RingbackPlugin(session, None, base_url=create_call_server.url, outbox_dir=outbox_dir)
    await session.start(Support())
    await session.run(user_input="Hi")
    await session.aclose()
    await plugin.finish()
    (request,) = create_call_server.requests
    assert "sip_headers" not in request.body or not request.body["sip_headers"]
