"""Suite files: validation with file/line/field errors, ${ENV} secrets, the JSON Schema."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest
import yaml

from ringback.simulator.suite import Suite, SuiteError, load_suite, parse_duration, parse_suite
from ringback.simulator.suite.schema import suite_schema, suite_schema_json

ROOT = Path(__file__).parents[2]
SUITE = ROOT / "tests" / "fixtures" / "suites" / "support.yaml"
SCHEMA_FILE = ROOT / "docs" / "schema" / "suite.schema.json"
ENV = {"AGENT_SIP_USER": "ringback", "AGENT_SIP_PASSWORD": "s3cret-pw"}


def parse(text: str, env: dict[str, str] | None = None) -> object:
    return parse_suite(text, name="suite.yaml", env=ENV if env is None else env)


def errors_of(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(SuiteError) as info:
        parse(text, env)
    return [str(p) for p in info.value.problems]


BASE = """\
name: s
agent: {sip_uri: "sip:agent@pbx.example.com"}
scenarios:
  - id: one
    instructions: Say hello.
"""


def test_cross_field_problems_raise_for_api_users_too() -> None:
    data = yaml.safe_load(BASE)
    data["scenarios"][0]["profile"] = "gold"
    with pytest.raises(ValueError, match="profile 'gold' is not under test_profiles"):
        Suite.model_validate(data)


def test_the_example_suite_loads_with_its_secrets_from_the_environment() -> None:
    loaded = load_suite(SUITE, env=ENV)
    suite = loaded.suite
    assert suite.agent.username == "ringback"
    assert suite.agent.password is not None
    assert suite.agent.password.get_secret_value() == "s3cret-pw"
    assert "s3cret-pw" not in repr(suite)
    assert suite.run.max_call_duration == timedelta(minutes=5)
    assert suite.scenarios[0].max_duration == timedelta(minutes=3)
    assert [type(a).__name__ for a in suite.scenarios[0].assertions] == [
        "ToolCalled",
        "Said",
        "NeverSaid",
        "NodeReached",
        "Latency",
        "CallDuration",
        "HungUpBy",
        "NoErrors",
        "Linked",
    ]
    assert suite.profile_of(suite.scenarios[0]).invite_headers == {
        "X-Customer-Tier": "premium",
        "X-Auth-Token": "abc123",
    }
    # `tier` is not an X- header: warned about, never sent; expectations with no judge: warned
    assert len(loaded.warnings) == 2
    assert "main_agent_variables.tier: not an X- header" in loaded.warnings[0]
    assert "agent_expectations of refund-happy-path" in loaded.warnings[1]
    assert "the suite has no `judge`" in loaded.warnings[1]


def test_a_missing_environment_variable_is_named_with_its_line() -> None:
    problems = errors_of(SUITE.read_text(), env={"AGENT_SIP_USER": "u"})
    assert problems == [
        "suite.yaml:7:3: agent.password: environment variable AGENT_SIP_PASSWORD is not set "
        "(export AGENT_SIP_PASSWORD=... or write ${AGENT_SIP_PASSWORD:-default})"
    ]


def test_env_defaults_and_embedded_references() -> None:
    text = BASE.replace('"sip:agent@pbx.example.com"', '"sip:${AGENT:-agent}@${HOST}:5060"')
    suite = parse(text, {"HOST": "10.0.0.5"}).suite  # type: ignore[attr-defined]
    assert suite.agent.sip_uri == "sip:agent@10.0.0.5:5060"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("instructions: Say hello.", "instructions: Say hello.\n    profile: gold"),
            "suite.yaml:6:5: scenarios[0].profile: profile 'gold' is not under test_profiles "
            "(defined: none)",
        ),
        (
            ("id: one", "id: one two"),
            "suite.yaml:4:5: scenarios[0].id: scenario id 'one two' must be 1-64 letters, "
            "digits, '-' or '_', starting with a letter or digit (it is sent as the "
            "X-Scenario-Id header)",
        ),
        (
            ("instructions: Say hello.", "instructions: Say hello.\n    max_duraton: 3m"),
            "suite.yaml:6:5: scenarios[0].max_duraton: unknown field (check the spelling; "
            "see docs/schema/suite.schema.json)",
        ),
        (
            ("instructions: Say hello.", "instructions: Say hello.\n    max_duration: soon"),
            "suite.yaml:6:5: scenarios[0].max_duration: 'soon' is not a duration; write e.g. "
            "30s, 5m, 1h30m, 250ms or seconds",
        ),
        (
            ('"sip:agent@pbx.example.com"', '"agent.example.com"'),
            "suite.yaml:2:9: agent.sip_uri: 'agent.example.com' is not a SIP URI; write e.g. "
            "sip:agent@pbx.example.com:5060",
        ),
        (
            ("instructions: Say hello.", "instructions: Say hello.\n    assertions: [{sayd: x}]"),
            "suite.yaml:6:18: scenarios[0].assertions[0]: each assertion is a mapping with "
            "exactly one of: tool_called, tool_not_called, said, never_said, node_reached, "
            "latency, duration, hung_up_by, no_errors, linked",
        ),
        (
            (
                "instructions: Say hello.",
                'instructions: Say hello.\n    assertions: [{said: {pattern: "(("}}]',
            ),
            "suite.yaml:6:26: scenarios[0].assertions[0].said.pattern: '((' is not a valid "
            "regular expression: missing ), unterminated subpattern at position 1",
        ),
        (
            ("Say hello.", "Say hello.\n  - id: one\n    instructions: again"),
            "suite.yaml:6:5: scenarios[1].id: scenario id 'one' is used twice; ids must be unique",
        ),
    ],
)
def test_errors_point_at_file_line_and_field(edit: tuple[str, str], expected: str) -> None:
    assert errors_of(BASE.replace(*edit)) == [expected]


def test_every_problem_is_reported_at_once() -> None:
    text = BASE.replace("instructions: Say hello.", "instructions: ''\n    tags: nope")
    problems = errors_of(text)
    assert len(problems) == 1  # field errors come first; the script check runs once they pass
    assert "scenarios[0].tags" in problems[0]


def test_duplicate_keys_and_bad_yaml_are_errors() -> None:
    dup = errors_of(BASE + "name: again\n")
    assert dup == ["suite.yaml:6:1: name: this key appears twice in the same mapping"]
    broken = errors_of("name: [unclosed\n")
    assert broken[0].startswith("suite.yaml:2:1: not valid YAML")
    assert errors_of("") == ["suite.yaml: the file is empty"]


def test_a_phone_number_endpoint_needs_a_trunk() -> None:
    text = BASE.replace('{sip_uri: "sip:agent@pbx.example.com"}', '{phone_number: "+15105550100"}')
    assert errors_of(text) == [
        "suite.yaml:2:1: agent: `phone_number` needs the `trunk_id` of an outbound trunk to dial it"
    ]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("1h30m", 5400), ("250ms", 0.25), (90, 90), ("1.5", 1.5)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_committed_suite_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text() == suite_schema_json(), (
        "docs/schema/suite.schema.json is stale: regenerate it with "
        "`uv run python -m ringback.simulator.suite.schema > docs/schema/suite.schema.json`"
    )


def test_the_example_suite_satisfies_the_schema() -> None:
    data = yaml.safe_load(SUITE.read_text())
    validator = jsonschema.Draft202012Validator(suite_schema())
    validator.validate(json.loads(json.dumps(data)))
    data["scenarios"][0]["unknown"] = 1
    assert list(validator.iter_errors(data))
