"""SIP failures over the real stack: each becomes a per-call result that names what happened
and what to change, the batch goes on, and no password reaches a result."""

from __future__ import annotations

from typing import Any

from livekit import api
from pydantic import SecretStr
from support.dialing import run_batch
from support.livekit_stack import Stack, unique

from ringback.simulator.batch.outcome import CallOutcome, FailureKind, OutcomeStatus
from ringback.simulator.dial.inbound import AgentLine, InboundManager
from ringback.simulator.suite import Suite

RINGING_TIMEOUT_S = 3
PASSWORD = "the-right-one-7f3a"
WRONG = "not-it-91c2"


def suite_for(sip_uri: str, *, repeat: int = 1, **agent: Any) -> Suite:
    return Suite.model_validate(
        {
            "name": "stack-failures",
            "agent": {"sip_uri": sip_uri, "transport": "tcp"} | agent,
            "run": {
                "repeat": repeat,
                "concurrency": 2,
                "ringing_timeout": f"{RINGING_TIMEOUT_S}s",
                "max_call_duration": "20s",
                "dial_retry": {"attempts": 1},
            },
            "scenarios": [{"id": "hello", "instructions": "Say hello."}],
        }
    )


async def only_outcome(lkapi: api.LiveKitAPI, suite: Suite) -> CallOutcome:
    summary, sink = await run_batch(lkapi, suite)
    (outcome,) = sink.outcomes
    assert summary.failed == 1
    return outcome


def held_s(outcome: CallOutcome) -> float:
    (attempt,) = outcome.attempts
    return (attempt.ended_at - attempt.started_at).total_seconds()


async def test_a_closed_port_is_unreachable(stack: Stack, lkapi: api.LiveKitAPI) -> None:
    host = stack.sip_address.rsplit(":", 1)[0]
    outcome = await only_outcome(lkapi, suite_for(f"sip:agent@{host}:9"))
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.failure_kind is FailureKind.UNREACHABLE
    assert outcome.reason is not None
    assert "could not reach the agent's SIP address (connection refused)" in outcome.reason
    assert "agent.sip_uri" in outcome.reason


async def test_an_address_nothing_routes_to_is_unreachable(
    stack: Stack, lkapi: api.LiveKitAPI
) -> None:
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never a host anyone can reach
    outcome = await only_outcome(lkapi, suite_for("sip:agent@192.0.2.1:5060"))
    assert outcome.failure_kind is FailureKind.UNREACHABLE
    assert outcome.reason is not None
    assert outcome.reason.startswith("could not reach the agent's SIP address (")


async def test_over_udp_an_address_nobody_listens_on_times_out(
    stack: Stack, lkapi: api.LiveKitAPI
) -> None:
    # no TCP connection to refuse: the INVITE is sent, and nothing ever answers it
    host = stack.sip_address.rsplit(":", 1)[0]
    outcome = await only_outcome(lkapi, suite_for(f"sip:agent@{host}:9", transport="udp"))
    assert outcome.failure_kind is FailureKind.TIMEOUT
    assert outcome.reason is not None
    assert "nothing answers at agent.sip_uri at all (over UDP" in outcome.reason
    assert held_s(outcome) >= RINGING_TIMEOUT_S


async def test_over_udp_an_address_nothing_routes_to_is_unreachable(
    stack: Stack, lkapi: api.LiveKitAPI
) -> None:
    outcome = await only_outcome(lkapi, suite_for("sip:agent@192.0.2.1:5060", transport="udp"))
    assert outcome.failure_kind is FailureKind.UNREACHABLE
    assert outcome.reason is not None
    assert outcome.reason.startswith("could not reach the agent's SIP address (")


async def test_a_number_no_inbound_trunk_takes_rings_out(
    stack: Stack, lkapi: api.LiveKitAPI
) -> None:
    outcome = await only_outcome(lkapi, suite_for(stack.sip_uri(unique("no-trunk"))))
    assert outcome.status is OutcomeStatus.FAILED
    assert outcome.failure_kind is FailureKind.TIMEOUT
    assert outcome.reason is not None
    assert "matched no inbound trunk" in outcome.reason
    assert held_s(outcome) >= RINGING_TIMEOUT_S


async def test_nobody_answers_before_the_ringing_timeout(
    stack: Stack, lkapi: api.LiveKitAPI
) -> None:
    line = AgentLine(number=unique("nobody-home"), agent_name=unique("no-worker"))
    manager = InboundManager(lkapi, fingerprint_key=stack.api_secret)
    await manager.ensure(line)
    try:
        outcome = await only_outcome(lkapi, suite_for(stack.sip_uri(line.number)))
    finally:
        await manager.remove(line)
    assert outcome.failure_kind is FailureKind.TIMEOUT
    assert outcome.reason is not None
    assert outcome.reason.startswith("nobody answered before the ringing timeout")
    assert "published audio" in outcome.reason
    assert held_s(outcome) >= RINGING_TIMEOUT_S


async def test_a_wrong_password_fails_each_call_and_the_batch_goes_on(
    stack: Stack, lkapi: api.LiveKitAPI
) -> None:
    line = AgentLine(
        number=unique("auth"),
        agent_name=unique("no-worker"),
        username="ringback",
        password=SecretStr(PASSWORD),
    )
    manager = InboundManager(lkapi, fingerprint_key=stack.api_secret)
    await manager.ensure(line)
    try:
        suite = suite_for(stack.sip_uri(line.number), repeat=3, username="ringback", password=WRONG)
        summary, sink = await run_batch(lkapi, suite)
    finally:
        await manager.remove(line)
    assert (summary.failed, summary.completed, len(sink.outcomes)) == (3, 0, 3)
    for outcome in sink.outcomes:
        assert outcome.failure_kind is FailureKind.AUTH
        assert outcome.reason is not None
        assert outcome.reason.startswith("SIP 401/407")
        assert "agent.username / agent.password" in outcome.reason
        assert WRONG not in outcome.model_dump_json()
        assert PASSWORD not in outcome.model_dump_json()
    assert WRONG not in stack.sip_log()


async def test_the_agent_line_is_set_up_once(stack: Stack, lkapi: api.LiveKitAPI) -> None:
    line = AgentLine(number=unique("idempotent"), agent_name=unique("agent"))
    manager = InboundManager(lkapi, fingerprint_key=stack.api_secret)
    first = await manager.ensure(line)
    try:
        again = await manager.ensure(line)
        moved = await manager.ensure(AgentLine(number=line.number, agent_name="another-agent"))
    finally:
        await manager.remove(line)
    assert (first.trunk, first.rule) == ("created", "created")
    assert (again.trunk, again.rule) == ("reused", "reused")
    assert (again.trunk_id, again.rule_id) == (first.trunk_id, first.rule_id)
    assert (moved.trunk, moved.rule) == ("reused", "updated")
    trunks = await lkapi.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())
    assert first.trunk_id not in {t.sip_trunk_id for t in trunks.items}
