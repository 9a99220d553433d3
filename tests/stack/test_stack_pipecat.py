"""A Pipecat bot on the real LiveKit SIP stack, through Pipecat's LiveKit transport:
examples/pipecat_livekit_bot.py, with `RingbackObserver` and offline voices, answers one call
the simulator dials, reads the SIP Call-ID and X- headers from the SIP participant's attributes
(`livekit_sip_correlation`), and its call links in the collector like the LiveKit agent's.

The bot waits in a room of its own; an inbound trunk forwarding the X- headers and a direct
dispatch rule put the call there. One run of the call (module fixture) is read by every test.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from livekit import api
from support.examples import load_example
from support.livekit_stack import Stack, unique

from ringback.core.delivery import SubmitResult
from ringback.livekit.voices import OfflineTTS
from ringback.simulator.batch.conclude import Conclusion, conclude_run
from ringback.simulator.batch.outcome import CallOutcome, OutcomeStatus
from ringback.simulator.batch.runner import BatchRunner
from ringback.simulator.batch.store_sink import CollectorRunStore
from ringback.simulator.caller import build_server
from ringback.simulator.demo.collector import WORKSPACE_ID, delivery_env
from ringback.simulator.demo.collector import running_collector as demo_collector
from ringback.simulator.demo.workers import in_process_options, running_worker
from ringback.simulator.dial import SipTransport
from ringback.simulator.dial.dryrun import dry_run_calls
from ringback.simulator.environ import environment
from ringback.simulator.plan import RunPlan, plan_run
from ringback.simulator.suite.models import Suite

CONNECT_TIMEOUT_S = 20.0
CALL_TIMEOUT_S = 45.0
LINK_TIMEOUT_S = 20.0


@pytest.fixture(scope="module")
def bot() -> ModuleType:
    """examples/pipecat_livekit_bot.py (imported here: Pipecat is slow to import)."""
    return load_example("pipecat_livekit_bot")


ORDER_STATUS: dict[str, Any] = {
    "id": "order-status",
    "profile": "gold",
    "assertions": [
        {"linked": True},
        {"said": {"role": "agent", "pattern": "(?i)shipped"}},
        {"hung_up_by": "agent"},
    ],
}
"""The caller asks about an order and says bye: the bot hangs up."""
HELLO = ("Hello there!",)
JUST_HELLO: dict[str, Any] = {
    "id": "just-hello",
    "turns": list(HELLO),
    "assertions": [{"linked": True}, {"hung_up_by": "user"}],
}
"""The caller says hello and, with nothing more to say, hangs up."""


def suite_for(bot: ModuleType, stack: Stack, number: str, scenario: dict[str, Any]) -> Suite:
    """One scripted caller, with offline voices, playing `scenario` (its turns default to
    the example's caller lines)."""
    return Suite.model_validate(
        {
            "name": "pipecat-on-livekit",
            "agent": {"sip_uri": stack.sip_uri(number), "transport": "tcp"},
            "livekit": {"caller_agent_name": unique("caller")},
            "caller": {"stt": "offline", "tts": "offline", "hints": list(bot.BOT_LINES)},
            "run": {
                "repeat": 1,
                "concurrency": 1,
                "ringing_timeout": "15s",
                "max_call_duration": "40s",
                "link_timeout": f"{LINK_TIMEOUT_S:g}s",
                "dial_retry": {"attempts": 1},
            },
            "test_profiles": {
                "gold": {"information": {"main_agent_variables": {"X-Customer-Tier": "gold"}}}
            },
            "scenarios": [{"turns": list(bot.CALLER_LINES), **scenario}],
        }
    )


@dataclass
class PipecatCall:
    """The call, as every side saw it."""

    suite: Suite
    plan: RunPlan
    outcome: CallOutcome
    conclusion: Conclusion
    synced: SubmitResult | None
    """What the bot's observer did with its call."""
    agent: dict[str, Any] | None
    """The Pipecat side, as the collector stored it."""
    caller: dict[str, Any] | None
    linked_by: str | None
    connected_s: float
    """Seconds from starting the bot to its being in the room."""
    call_s: float
    """Seconds from dialling to the bot's call being synced."""


@contextlib.asynccontextmanager
async def inbound_line(lkapi: api.LiveKitAPI, number: str, room: str) -> AsyncIterator[None]:
    """An inbound trunk for `number` forwarding the X- headers and a direct dispatch rule
    putting its calls into `room`, removed on exit (with the room)."""
    trunk = await lkapi.sip.create_inbound_trunk(
        api.CreateSIPInboundTrunkRequest(
            trunk=api.SIPInboundTrunkInfo(
                name=f"test {number}",
                numbers=[number],
                include_headers=api.SIPHeaderOptions.SIP_X_HEADERS,
            )
        )
    )
    try:
        rule = await lkapi.sip.create_dispatch_rule(
            api.CreateSIPDispatchRuleRequest(
                name=f"test {number}",
                trunk_ids=[trunk.sip_trunk_id],
                rule=api.SIPDispatchRule(
                    dispatch_rule_direct=api.SIPDispatchRuleDirect(room_name=room)
                ),
            )
        )
        try:
            yield
        finally:
            await lkapi.sip.delete_dispatch_rule(
                api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=rule.sip_dispatch_rule_id)
            )
            with contextlib.suppress(api.TwirpError):  # the bot deleted it when it hung up
                await lkapi.room.delete_room(api.DeleteRoomRequest(room=room))
    finally:
        await lkapi.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=trunk.sip_trunk_id))


@contextlib.asynccontextmanager
async def bot_waiting_in(
    bot: ModuleType, room: str, hints: list[str]
) -> AsyncIterator[asyncio.Task[SubmitResult | None]]:
    """The example bot, running, once it is in `room`; cancelled on exit if still running."""
    transport = bot.livekit_transport(room)
    connected = asyncio.Event()
    transport.add_event_handler("on_connected", lambda *_: connected.set())
    task = asyncio.create_task(
        bot.run_bot(room, transport=transport, services=bot.offline_services(hints))
    )
    waiter = asyncio.ensure_future(connected.wait())
    try:
        await asyncio.wait(
            {waiter, task}, timeout=CONNECT_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        if task.done():
            raise AssertionError(f"the bot stopped before it joined its room: {task.exception()!r}")
        assert connected.is_set(), f"the bot did not join its room within {CONNECT_TIMEOUT_S} s"
        yield task
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


async def run_call(
    bot: ModuleType, stack: Stack, directory: Path, scenario: dict[str, Any]
) -> PipecatCall:
    """Dial one call to the bot, the way `run_over_sip` does, and read what the collector
    linked."""
    number, room = unique("pipecat"), unique("pipecat-bot")
    suite = suite_for(bot, stack, number, scenario)
    plan = plan_run(suite)
    callers = build_server(agent_name=suite.livekit.caller_agent_name, **in_process_options())
    async with (
        demo_collector(directory) as collector,
        stack.api() as lkapi,
        inbound_line(lkapi, number, room),
    ):
        with environment(delivery_env(collector, directory / "outbox")):
            store = CollectorRunStore(directory / "runs")  # the collector's store, from the env
            started = time.monotonic()
            hints = suite.scenarios[0].turns
            async with bot_waiting_in(bot, room, hints) as bot_call, running_worker(callers):
                connected_s = time.monotonic() - started
                dialled = time.monotonic()
                runner = BatchRunner(
                    suite,
                    SipTransport(lkapi, fingerprint_key=stack.api_secret, poll_interval_s=0.2),
                    sink=store.sink(plan.run_id),
                )
                await runner.run(plan)
                (outcome,) = store.previous(plan.run_id)
                synced = await asyncio.wait_for(bot_call, CALL_TIMEOUT_S)
                call_s = time.monotonic() - dialled
                answered = (
                    {outcome.result_id} if outcome.status is OutcomeStatus.COMPLETED else set()
                )
                conclusion = await conclude_run(
                    collector.database_url,
                    WORKSPACE_ID,
                    plan.run_id,
                    suite,
                    answered=answered,
                    link_timeout_s=LINK_TIMEOUT_S,
                    report_dir=directory / "reports",
                    caller_sides=True,
                    poll_s=0.1,
                )
        (linked,) = await collector.store.list_results(WORKSPACE_ID, plan.run_id)
    agent, caller = linked.agent_call, linked.caller_call
    return PipecatCall(
        suite=suite,
        plan=plan,
        outcome=outcome,
        conclusion=conclusion,
        synced=synced,
        agent=agent.body if agent else None,
        caller=caller.body if caller else None,
        linked_by=agent.linked_by if agent else None,
        connected_s=connected_s,
        call_s=call_s,
    )


@pytest.fixture(scope="module")
def call(bot: ModuleType, stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> PipecatCall:
    directory = tmp_path_factory.mktemp("pipecat-livekit")
    return asyncio.run(run_call(bot, stack, directory, ORDER_STATUS))


def test_when_the_caller_hangs_up_the_bot_records_it(
    bot: ModuleType, stack: Stack, tmp_path: Path
) -> None:
    hung_up_on = asyncio.run(run_call(bot, stack, tmp_path, JUST_HELLO))
    assert hung_up_on.outcome.status is OutcomeStatus.COMPLETED, hung_up_on.outcome.reason
    assert hung_up_on.agent is not None
    assert hung_up_on.caller is not None
    assert hung_up_on.agent["disconnection_reason"] == "user_hangup"
    assert hung_up_on.caller["disconnection_reason"] == "agent_hangup"  # its own hang-up
    tools = [s for s in hung_up_on.agent["transcript_with_tool_calls"] if s.get("tool")]
    assert tools == []  # the bot never ended the call itself
    (evaluated,) = hung_up_on.conclusion.evaluation.calls
    assert evaluated.passed, evaluated.failure_reasons()


def turns(body: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [s for s in body["transcript_with_tool_calls"] if s["role"] == role]


def test_the_call_is_answered_synced_and_linked_on_both_sides(call: PipecatCall) -> None:
    assert call.outcome.status is OutcomeStatus.COMPLETED, call.outcome.reason
    assert call.synced is not None
    assert call.synced.delivered, call.synced.summary()
    assert call.agent is not None, "the Pipecat side was not stored"
    assert call.linked_by == "x-result-id"
    assert call.caller is not None, "the simulated caller's side was not linked"
    assert call.conclusion.unsynced == set()
    (evaluated,) = call.conclusion.evaluation.calls
    assert evaluated.passed, evaluated.failure_reasons()


def test_the_call_id_is_the_one_on_the_wire(call: PipecatCall, stack: Stack) -> None:
    assert call.agent is not None
    assert call.caller is not None
    sip_call_id = call.outcome.sip_call_id  # the dialled leg's sip.callIDFull
    assert sip_call_id
    assert call.agent["sip_call_id"] == sip_call_id
    assert call.caller["sip_call_id"] == sip_call_id
    assert call.outcome.livekit_call_id
    if stack.logs is not None:
        assert stack.logged_sip_call_ids(call.outcome.livekit_call_id) == {sip_call_id}
    native = call.agent["general_meta_data_raw"]["correlation"]["native_ids"]
    assert native["livekit.sip.callID"].startswith("SCL_")  # kept, never the Call-ID
    assert native["livekit.sip.callID"] != sip_call_id


def test_the_bot_got_exactly_the_planned_headers(call: PipecatCall) -> None:
    assert call.agent is not None
    (planned,) = dry_run_calls(call.plan)
    assert call.agent["sip_headers"] == planned["headers"]
    assert call.agent["sip_headers"]["X-Customer-Tier"] == "gold"
    assert call.agent["call_type"] == "phone_call"


def started_at(body: dict[str, Any]) -> float:
    """Unix ms of the side's time 0 (its recording's wall-clock start)."""
    iso = body["general_meta_data_raw"]["ringback"]["started_at"]
    return datetime.fromisoformat(iso).timestamp() * 1000


def on_wall_clock(body: dict[str, Any], role: str) -> list[tuple[float, float, str]]:
    """(start, end, text) of a side's turns of `role`, in unix ms."""
    zero = started_at(body)
    return [(zero + t["start_ms"], zero + t["end_ms"], t["text"]) for t in turns(body, role)]


def test_turns_come_from_real_speech_with_plausible_times(
    call: PipecatCall, bot: ModuleType
) -> None:
    assert call.agent is not None
    assert call.caller is not None
    spoken = turns(call.agent, "agent")
    heard = turns(call.agent, "user")
    assert [t["text"] for t in spoken] == [
        bot.GREETING,
        "Your order A1001 has shipped with DHL.",
        "Goodbye, take care.",
    ]
    assert len(heard) == len(bot.CALLER_LINES), heard
    assert "a1001" in heard[0]["text"].lower()
    assert "bye" in heard[-1]["text"].lower()
    tools = [s for s in call.agent["transcript_with_tool_calls"] if s["role"] == "agent_function"]
    assert [t["tool"]["name"] for t in tools] == ["end_call"]
    # each of the bot's lines lasted about as long as its speech does (a loaded machine can
    # stretch the playing a little)
    tts = OfflineTTS()
    for turn in spoken:
        speech_ms = asyncio.run(tts.voice.synthesize(turn["text"])).duration * 1000
        lasted = turn["end_ms"] - turn["start_ms"]
        assert -750 < lasted - speech_ms < 1_500, (turn, speech_ms)
    for turn in heard:
        assert 500 < turn["end_ms"] - turn["start_ms"] < 5_000, turn
    # the two sides, on one clock: each line is heard shortly after it is said, ending with it
    said_by_bot = on_wall_clock(call.agent, "agent")
    said_by_caller = on_wall_clock(call.caller, "agent")
    assert [text for *_, text in said_by_caller] == list(bot.CALLER_LINES)
    for said, heard_by in (
        (said_by_bot, on_wall_clock(call.caller, "user")),
        (said_by_caller, on_wall_clock(call.agent, "user")),
    ):
        for said_start, said_end, text in said:
            # the recognizer may cut a line in two (the caller's, at a pause)
            parts = [h for h in heard_by if h[1] > said_start and h[0] < said_end + 1_500]
            assert parts, (text, heard_by)
            # the caller's line comes up about a second after the answer: the start of the
            # greeting may not reach it
            late = 3_000 if text == bot.GREETING else 2_000
            assert 0 <= parts[0][0] - said_start < late, (text, parts)
            assert abs(parts[-1][1] - said_end) < 1_500, (text, parts)
    # nobody talks over the other
    for (_, end, _), (start, _, text) in itertools.pairwise(sorted(said_by_bot + said_by_caller)):
        assert start > end, text


def test_who_hung_up_is_recorded_on_the_pipecat_side(call: PipecatCall) -> None:
    assert call.agent is not None
    assert call.caller is not None
    assert call.agent["disconnection_reason"] == "agent_hangup"
    # the caller's own recording names itself the agent: the mirror image
    assert call.caller["disconnection_reason"] == "user_hangup"
    assert call.outcome.end_reason == "hangup"


def test_the_call_takes_seconds(call: PipecatCall) -> None:
    assert call.connected_s < 10, call.connected_s
    assert call.call_s < 40, call.call_s
