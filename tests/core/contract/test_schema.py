"""The committed JSON Schema is what the models generate, and real bodies satisfy it."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from ringback.core.contract.schema import call_record_schema, call_record_schema_json
from ringback.core.sample import sample_call

SCHEMA_FILE = Path(__file__).parents[3] / "docs" / "schema" / "call-record.schema.json"


def test_committed_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text() == call_record_schema_json(), (
        "docs/schema/call-record.schema.json is stale: regenerate it with "
        "`uv run ringback schema --out docs/schema/call-record.schema.json`"
    )


def test_sample_call_satisfies_the_schema() -> None:
    schema = call_record_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    body = json.loads(sample_call(12).to_json_bytes())
    jsonschema.Draft202012Validator(schema).validate(body)


def test_schema_rejects_a_bad_role() -> None:
    body = json.loads(sample_call(1).to_json_bytes())
    body["transcript_with_tool_calls"][0]["role"] = "narrator"
    errors = list(jsonschema.Draft202012Validator(call_record_schema()).iter_errors(body))
    assert errors
