"""The JSON Schema of suite files, for editor completion (docs/schema/suite.schema.json)."""

from __future__ import annotations

import json
from typing import Any

from .models import Suite

SCHEMA_ID = "https://ringback.dev/schema/suite.schema.json"


def suite_schema() -> dict[str, Any]:
    schema = Suite.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def suite_schema_json() -> str:
    return json.dumps(suite_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(suite_schema_json(), end="")
