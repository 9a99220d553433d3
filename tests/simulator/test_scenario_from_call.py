"""`ringback-sim scenario from-call CALL`: a stored production call drafted into a scenario
(the caller's words as turns, what the agent did as assertions), printed or appended to a
suite file that keeps every line it had."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ringback.core.sample import sample_call
from ringback.simulator.cli import app
from ringback.simulator.collector import prepare_call
from ringback.simulator.store import Store
from ringback.simulator.suite import load_suite

SUITE = """\
# Support regression suite (edited by hand)
name: support
agent: {sip_uri: "sip:agent@pbx.example.com", username: ringback, password: "${AGENT_SIP_PASSWORD}"}
scenarios:
  - id: greet   # the smoke test
    instructions: Say hello and hang up.
"""


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """A production call (a refund with a tool call and two nodes) in the collector's store."""
    database = str(tmp_path / "collector.sqlite3")
    monkeypatch.setenv("RINGBACK_COLLECTOR_DATABASE_URL", database)
    monkeypatch.delenv("AGENT_SIP_PASSWORD", raising=False)

    async def ingest() -> int:
        async with await Store.open(database) as store:
            body = sample_call(6, call_id="prod-7f3a").to_json_bytes()
            outcome = await store.ingest_call(1, "support-bot", prepare_call(body))
            return outcome.id

    return asyncio.run(ingest())


def test_a_call_becomes_a_scenario_appended_to_the_suite(stored: int, tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE)
    result = CliRunner().invoke(app, ["scenario", "from-call", str(stored), "--suite", str(suite)])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        f"added scenario from-prod-7f3a (6 turns, 5 assertions) to {suite}"
    )
    text = suite.read_text()
    assert text.startswith(SUITE)  # every line it had, comments included
    loaded = load_suite(suite, unset_allowed_in=("agent",)).suite
    drafted = loaded.scenarios[-1]
    assert [s.id for s in loaded.scenarios] == ["greet", "from-prod-7f3a"]
    assert drafted.turns[0].startswith("Hi, I bought running shoes last week")
    assert drafted.turns[-1] == "No, that's all. Bye!"
    assert [a.model_dump(exclude_none=True) for a in drafted.assertions] == [
        {
            "tool_called": {
                "name": "issue_refund",
                "arguments": {"order_id": "4417", "amount": 89.0},
            }
        },
        {"node_reached": {"name": "greeting"}},
        {"node_reached": {"name": "refunds"}},
        {"hung_up_by": "user"},
        {"no_errors": True},
    ]

    again = CliRunner().invoke(app, ["scenario", "from-call", "prod-7f3a", "--suite", str(suite)])
    assert again.exit_code == 0, again.output
    assert "added scenario from-prod-7f3a-2" in again.output  # by call_id, a fresh id


def test_without_a_suite_the_scenario_is_printed(stored: int) -> None:
    result = CliRunner().invoke(app, ["scenario", "from-call", str(stored)])
    assert result.exit_code == 0, result.output
    (scenario,) = yaml.safe_load(result.output)["scenarios"]
    assert scenario["id"] == "from-prod-7f3a"
    assert len(scenario["turns"]) == 6


def test_a_suite_it_cannot_append_to_is_left_alone_and_the_scenario_printed(
    stored: int, tmp_path: Path
) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        SUITE.replace("scenarios:", "run: {repeat: 1}\nscenarios:", 1) + "judge: {llm: x}\n"
    )
    before = suite.read_text()
    result = CliRunner().invoke(app, ["scenario", "from-call", str(stored), "--suite", str(suite)])

    assert result.exit_code == 2
    assert "scenarios:\n  - id: from-prod-7f3a" in result.output
    assert result.output.splitlines()[-1] == (
        f"error: {suite}: `scenarios:` is not the last top-level key, so the new scenario "
        "cannot be appended without rewriting the file; paste the printed scenario into its list"
    )
    assert suite.read_text() == before


def test_an_unknown_call_is_one_line_and_exit_2(stored: int) -> None:
    result = CliRunner().invoke(app, ["scenario", "from-call", "nope"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: no call 'nope' in workspace 1 of this collector (give its record id or "
        "call_id; see the collector's pages)"
    )
