"""The simulated caller's brief: parsed from the dispatch metadata the planner writes, with a
persona that carries the caller-only testing variables (which go nowhere else)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringback.simulator.caller import CallerBrief, CallerBriefError
from ringback.simulator.plan import PlannedCall, plan_run
from ringback.simulator.suite import load_suite

TEXT_SUITE = Path(__file__).parents[1] / "fixtures" / "suites" / "support_text.yaml"


def planned(scenario_id: str = "order-status") -> PlannedCall:
    suite = load_suite(TEXT_SUITE).suite
    return next(c for c in plan_run(suite).calls if c.scenario_id == scenario_id)


def test_the_brief_is_read_back_from_the_dispatch_metadata() -> None:
    call = planned()
    brief = CallerBrief.from_metadata(json.dumps(call.caller_metadata))
    assert (brief.run_id, brief.result_id, brief.scenario_id) == (
        call.run_id,
        call.result_id,
        "order-status",
    )
    assert brief.suite == "support-text"
    assert brief.scenario.label == "Where is my order"
    assert brief.scenario.turns == ["Hi, where is my order A1001?", "Great, thanks. Bye!"]
    assert brief.scripted
    assert brief.testing_variables == {"customer_name": "Jane Smith", "order_id": "A1001"}
    assert brief.caller.llm == "openai/gpt-4.1-mini"
    assert brief.max_duration_s == 30.0
    assert brief.caller_call_id == f"{call.result_id}-caller"
    # a mapping works as well as JSON text, and unknown keys are ignored
    assert CallerBrief.from_metadata({**call.caller_metadata, "later": 1}) == brief


def test_the_persona_has_the_scenario_the_caller_only_facts_and_the_rules() -> None:
    persona = CallerBrief.from_metadata(planned("small-talk").caller_metadata).persona()
    assert "Scenario: Just saying hello" in persona
    assert "You call to say hello, then you hang up." in persona
    assert "1. Hello there!" in persona
    assert "You are the CALLER" in persona
    assert "You are NOT the assistant" in persona
    assert "Stay in character" in persona
    assert "say a short goodbye and then call the hang_up tool" in persona

    premium = CallerBrief.from_metadata(planned("order-status").caller_metadata).persona()
    assert "Facts about you (only you know these):" in premium
    assert "- customer name: Jane Smith" in premium
    assert "- order id: A1001" in premium


def test_testing_variables_stay_with_the_caller() -> None:
    call = planned("order-status")
    wire = json.dumps([call.headers, call.participant_attributes])
    assert "Jane Smith" not in wire
    assert "customer_name" not in wire
    brief = CallerBrief.from_metadata(call.caller_metadata)
    recorded = json.dumps(brief.recording_metadata())
    assert "Jane Smith" not in recorded
    assert brief.recording_metadata() == {
        "simulation": {
            "side": "caller",
            "result_id": call.result_id,
            "run_id": call.run_id,
            "scenario_id": "order-status",
            "suite": "support-text",
            "scripted": True,
        }
    }


def test_the_stt_model_carries_the_language_unless_it_names_one() -> None:
    call = planned()
    meta = call.caller_metadata
    brief = CallerBrief.from_metadata(meta)
    assert brief.caller.stt_with_language == "deepgram/nova-3:en"
    other = {**meta, "caller": {**meta["caller"], "stt": "assemblyai/universal:fr"}}
    assert CallerBrief.from_metadata(other).caller.stt_with_language == "assemblyai/universal:fr"
    french = {**meta, "caller": {**meta["caller"], "language": "fr"}}
    assert "Speak in this language: fr." in CallerBrief.from_metadata(french).persona()


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("", "the job has no metadata"),
        ("{not json", "the job metadata is not JSON"),
        ("[1, 2]", "must be a JSON object, not list"),
        ('{"run_id": "r", "scenario_id": "s"}', "result_id: Field required"),
        (
            '{"run_id": "r", "scenario_id": "s", "result_id": "x", "scenario": {"id": "s"},'
            ' "max_duration_s": -1}',
            "max_duration_s: Input should be greater than 0",
        ),
    ],
)
def test_a_malformed_brief_is_a_clear_error(metadata: str, message: str) -> None:
    with pytest.raises(CallerBriefError, match=message):
        CallerBrief.from_metadata(metadata)
