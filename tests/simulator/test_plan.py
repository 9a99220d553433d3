"""Planning a run: ids, the exact INVITE headers, and refusing bad headers before dialling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringback.core.protocol import RESULT_ID, RUN_ID
from ringback.simulator.plan import HeaderPlanError, masked, new_run_id, plan_run
from ringback.simulator.suite import Suite, load_suite

SUITE = Path(__file__).parents[2] / "tests" / "fixtures" / "suites" / "support.yaml"
ENV = {"AGENT_SIP_USER": "ringback", "AGENT_SIP_PASSWORD": "s3cret-pw"}


def suite(**profile_headers: str) -> Suite:
    base = load_suite(SUITE, env=ENV).suite
    if not profile_headers:
        return base
    data = base.model_dump(mode="json")
    data["agent"]["password"] = "s3cret-pw"
    data["agent"]["transport"] = None
    variables = data["test_profiles"]["premium"]["information"]["main_agent_variables"]
    variables.clear()
    variables.update(profile_headers)
    return Suite.model_validate(data)


def test_every_call_gets_alphanumeric_ids_and_exact_headers() -> None:
    run_id = new_run_id()
    plan = plan_run(suite(), run_id=run_id)
    assert plan.run_id == run_id
    assert len(plan.calls) == 2 * 3  # two scenarios, repeat 3
    refund = plan.calls[0]
    assert RUN_ID.match(plan.run_id)
    assert RESULT_ID.match(refund.result_id)
    assert refund.headers == {
        "X-Run-Id": plan.run_id,
        "X-Scenario-Id": "refund-happy-path",
        "X-Result-Id": refund.result_id,
        "X-Correlation-Id": refund.result_id,
        "X-Customer-Tier": "premium",
        "X-Auth-Token": "abc123",
    }
    assert refund.participant_attributes == {
        "ringback.run_id": plan.run_id,
        "ringback.scenario_id": "refund-happy-path",
        "ringback.result_id": refund.result_id,
    }
    assert refund.room_name == f"ringback-{refund.result_id}"
    assert refund.max_duration_s == 180
    assert len({c.result_id for c in plan.calls}) == 6
    assert [c.repeat for c in plan.calls] == [0, 1, 2, 0, 1, 2]
    # the second scenario has no profile: only Ringback's own headers
    assert set(plan.calls[3].headers) == {
        "X-Run-Id",
        "X-Scenario-Id",
        "X-Result-Id",
        "X-Correlation-Id",
    }


def test_testing_variables_reach_the_caller_and_never_the_wire() -> None:
    call = plan_run(suite()).calls[0]
    assert call.caller_metadata["testing_variables"] == {"customer_name": "Jane Smith"}
    wire = json.dumps([call.headers, call.participant_attributes])
    assert "Jane Smith" not in wire
    assert "tier" not in {k.lower() for k in call.headers}  # a non X- variable is never sent


def test_a_given_run_id_must_be_a_run_id() -> None:
    with pytest.raises(ValueError, match="not a Ringback run id"):
        plan_run(suite(), run_id="run-1")


def test_run_ids_are_ulids() -> None:
    ids = {new_run_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(RUN_ID.match(i) for i in ids)
    assert new_run_id(now=1_000) < new_run_id(now=2_000)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            {"X-Evil": "a\r\nContact: <sip:attacker@evil>"},
            "header X-Evil: the value contains CR, LF or NUL (header injection)",
        ),
        ({"X-Run-Id": "mine"}, "header X-Run-Id is set by Ringback on every call"),
        ({"X-Bad Name": "1"}, "has characters a SIP header name cannot hold"),
        ({"X-Bad:Name": "1"}, "has characters a SIP header name cannot hold"),
        ({"X-Long": "v" * 300}, "header X-Long: the value is 300 bytes"),
        ({"X-Tab\x01": "1"}, "has characters a SIP header name cannot hold"),
        ({"X-Bell": "a\x07b"}, "header X-Bell: the value holds control characters"),
        (
            {f"X-Filler-{n}": "v" * 100 for n in range(6)},
            "fit a UDP INVITE; use transport: tcp or fewer/shorter headers",
        ),
    ],
)
def test_bad_headers_are_refused_before_dialling(headers: dict[str, str], message: str) -> None:
    with pytest.raises(HeaderPlanError) as info:
        plan_run(suite(**headers))
    text = str(info.value)
    assert text.startswith("scenario 'refund-happy-path' (profile 'premium'): ")
    assert message in text
    assert text.count("scenario 'refund-happy-path'") == 1  # once, not once per repeat


def test_tcp_allows_more_header_bytes() -> None:
    big = {f"X-Filler-{n}": "v" * 100 for n in range(6)}
    data = suite(**big).model_dump(mode="json")
    data["agent"]["password"] = "s3cret-pw"
    data["agent"]["transport"] = "tcp"
    assert len(plan_run(Suite.model_validate(data)).calls[0].headers) == 10


def test_filters_pick_scenarios() -> None:
    s = suite()
    assert {c.scenario_id for c in plan_run(s, patterns=["order-*"]).calls} == {"order-status"}
    assert {c.scenario_id for c in plan_run(s, tags=["smoke"]).calls} == {"refund-happy-path"}
    with pytest.raises(ValueError, match="no scenario matches"):
        plan_run(s, tags=["nothing"])


def test_masked_hides_secret_looking_values_only() -> None:
    assert masked({"X-Auth-Token": "abc", "X-Api-Key": "k", "X-Customer-Tier": "gold"}) == {
        "X-Auth-Token": "***",
        "X-Api-Key": "***",
        "X-Customer-Tier": "gold",
    }
