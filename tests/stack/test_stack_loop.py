"""The main job over real SIP: the bundled suite dialled through livekit-sip to the demo agent
(RingbackPlugin, offline voices), a simulated caller on the other leg (offline voices), both
sides synced to a real collector and linked, evaluated, reported.

One run of the loop (module fixture) is read by every test here: how it linked, what crossed
the wire, who hung up, and whether the audio turns are plausible.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from support.livekit_stack import Sides, SipLoop, Stack, own_line, run_sip_loop, sip_suite

from ringback.livekit.voices import OfflineTTS
from ringback.simulator.batch.outcome import CallOutcome, OutcomeStatus
from ringback.simulator.dial.dryrun import dry_run_calls


class LoopRun:
    """The bundled suite's run, by scenario id."""

    def __init__(self, loop: SipLoop) -> None:
        self.loop = loop
        self.outcomes: dict[str, CallOutcome] = {}
        self.sides: dict[str, Sides] = {}
        for outcome in loop.run.outcomes:
            self.outcomes[outcome.scenario_id] = outcome
            if outcome.result_id in loop.sides:
                self.sides[outcome.scenario_id] = loop.sides[outcome.result_id]


@pytest.fixture(scope="module")
def loop(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> LoopRun:
    line = own_line()
    suite = sip_suite(stack, line.number)
    directory = tmp_path_factory.mktemp("loop")
    return LoopRun(asyncio.run(run_sip_loop(stack, directory, line, suite)))


def turns(body: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [s for s in body["transcript_with_tool_calls"] if s["role"] == role]


def test_every_call_is_answered_linked_and_passes(loop: LoopRun) -> None:
    assert {o.status for o in loop.outcomes.values()} == {OutcomeStatus.COMPLETED}
    assert set(loop.sides) == {s.id for s in loop.loop.suite.scenarios}
    assert all(s.caller is not None for s in loop.sides.values())
    evaluation = loop.loop.run.conclusion.evaluation
    failures = {c.scenario_id: c.failure_reasons() for c in evaluation.calls if not c.passed}
    assert failures == {}
    assert loop.loop.run.conclusion.unsynced == set()
    assert {p.name for p in loop.loop.run.conclusion.reports.values()} == {
        "report.json",
        "junit.xml",
        "report.html",
        "summary.md",
    }


def test_the_call_id_is_the_one_on_the_wire(loop: LoopRun, stack: Stack) -> None:
    for scenario, sides in loop.sides.items():
        outcome = loop.outcomes[scenario]
        # the agent's side carries the dialled leg's sip.callIDFull ...
        assert outcome.sip_call_id
        assert sides.agent["sip_call_id"] == outcome.sip_call_id
        assert sides.caller["sip_call_id"] == outcome.sip_call_id
        # ... which is the Call-ID livekit-sip logged for this very call
        assert outcome.livekit_call_id
        assert outcome.livekit_call_id.startswith("SCL_")
        if stack.logs is not None:
            assert stack.logged_sip_call_ids(outcome.livekit_call_id) == {outcome.sip_call_id}
        native = sides.agent["general_meta_data_raw"]["correlation"]["native_ids"]
        assert native["livekit.sip.callID"].startswith("SCL_")  # kept, never the Call-ID
        assert native["livekit.sip.callID"] != sides.agent["sip_call_id"]


def test_the_agent_got_exactly_the_planned_headers(loop: LoopRun) -> None:
    printed = {c["scenario_id"]: c["headers"] for c in dry_run_calls(loop.loop.plan)}
    for scenario, sides in loop.sides.items():
        assert sides.agent["sip_headers"] == printed[scenario]
        assert sides.linked_by == "x-result-id"
    assert printed["order-status"]["X-Customer-Tier"] == "gold"  # the test profile's header
    for sides in loop.sides.values():
        assert "Jane Smith" not in json.dumps(sides.agent)  # testing variables stay the caller's


def test_both_hang_up_directions_are_recorded_on_both_sides(loop: LoopRun) -> None:
    # the agent ends order-status and unknown-order ("bye"); the caller ends small-talk.
    # The caller's own recording names itself the agent, so its reasons are the mirror image.
    expected = {
        "order-status": ("agent_hangup", "user_hangup"),
        "unknown-order": ("agent_hangup", "user_hangup"),
        "small-talk": ("user_hangup", "agent_hangup"),
    }
    found = {
        scenario: (s.agent["disconnection_reason"], s.caller["disconnection_reason"])
        for scenario, s in loop.sides.items()
    }
    assert found == expected
    for outcome in loop.outcomes.values():
        assert outcome.end_reason == "hangup"


def test_turns_come_from_speech_and_their_timing_fits_the_audio(loop: LoopRun) -> None:
    tts = OfflineTTS()
    for scenario, sides in loop.sides.items():
        agent_turns = turns(sides.agent, "agent")
        heard = turns(sides.caller, "user")  # the agent as the caller heard it
        assert agent_turns, scenario
        assert heard, scenario
        for turn in agent_turns:
            assert turn["end_ms"] > turn["start_ms"], (scenario, turn)
        # each agent line lasted about as long as its speech does
        for turn in agent_turns:
            spoken = asyncio.run(tts.voice.synthesize(turn["text"])).duration * 1000
            lasted = turn["end_ms"] - turn["start_ms"]
            assert abs(lasted - spoken) < 1_000, (scenario, turn["text"], lasted, spoken)
        # the caller heard speech as long as the agent's first line, within VAD's margins
        greeting = agent_turns[0]
        first_heard = heard[0]
        assert (
            abs(
                (first_heard["end_ms"] - first_heard["start_ms"])
                - (greeting["end_ms"] - greeting["start_ms"])
            )
            < 1_500
        ), scenario
        # user turns on the agent's side are what the caller said, from its speech
        said = [t["text"] for t in turns(sides.caller, "agent")]
        understood = [t["text"] for t in turns(sides.agent, "user")]
        assert len(understood) >= len(said) - 1, (scenario, said, understood)


def test_latency_is_measured_on_both_sides_and_agrees(loop: LoopRun) -> None:
    latency = loop.loop.run.conclusion.evaluation.latency
    assert {"e2e_latency", "heard_latency", "llm_node_ttft", "tts_node_ttfb"} <= set(latency)
    e2e, heard = latency["e2e_latency"], latency["heard_latency"]
    # heard latency is the agent's e2e latency plus what the line adds on both sides
    assert 0 < e2e.p50_ms < 8_000
    assert 0 < heard.p50_ms < 10_000
    assert abs(heard.p50_ms - e2e.p50_ms) < 2_500, (heard.p50_ms, e2e.p50_ms)
