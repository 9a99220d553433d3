"""The JSON Schema of the Create Call request body, generated from the models."""

from __future__ import annotations

import json
from typing import Any

from .models import CallRecord

SCHEMA_ID = "https://ringback.dev/schema/call-record.schema.json"


def call_record_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a `CallRecord` request body."""
    schema = CallRecord.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def call_record_schema_json() -> str:
    """The schema as the committed file holds it (docs/schema/call-record.schema.json)."""
    return json.dumps(call_record_schema(), indent=2, ensure_ascii=False) + "\n"
