"""From request bytes to a call ready to store: parse, normalise, validate, canonicalise."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ringback.core.contract import CallRecord
from ringback.core.errors import RingbackError
from ringback.simulator.store.incoming import PreparedCall
from ringback.simulator.store.linking import link_keys

from .normalise import normalise

_MAX_SHOWN = 80


@dataclass(frozen=True, slots=True)
class FieldError:
    """One thing wrong with a request, located by its dotted path."""

    path: str
    """e.g. `transcript_with_tool_calls.3.role`; `body` for the body as a whole."""
    message: str
    type: str = "value_error"
    location: str = "body"
    """`body` or `query`."""

    def as_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "message": self.message,
            "type": self.type,
            "location": self.location,
        }

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class BodyError(RingbackError, ValueError):
    """The request does not hold a valid call."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(summary(errors))
        self.errors = errors


def summary(errors: list[FieldError]) -> str:
    """One line naming every error (the first ten)."""
    head = "1 validation error" if len(errors) == 1 else f"{len(errors)} validation errors"
    shown = "; ".join(str(e) for e in errors[:10])
    more = f"; and {len(errors) - 10} more" if len(errors) > 10 else ""
    return f"{head}: {shown}{more}"


def prepare_call(raw: bytes | str | dict[str, Any]) -> PreparedCall:
    """Validate a Create Call body (bytes, text or parsed JSON) and put it in canonical form.

    Raises `BodyError` with every problem's field path.
    """
    record: CallRecord | None = None
    notes: list[str] = []
    if isinstance(raw, (bytes, str)):
        try:  # Ringback's own bodies are already canonical: validate straight from JSON.
            record = CallRecord.model_validate_json(raw)
        except ValidationError:
            raw = _parse_json(raw)
    if record is None:
        if not isinstance(raw, dict):
            raise BodyError(
                [FieldError("body", f"must be a JSON object, not {_json_type(raw)}", "type_error")]
            )
        normalised = normalise(raw)
        notes = normalised.notes
        try:
            record = CallRecord.model_validate(normalised.body)
        except ValidationError as exc:
            raise BodyError(field_errors(exc)) from None
    meta = record.general_meta_data_raw.model_extra or {}
    return PreparedCall(
        record=record,
        canonical=record.model_dump_json(),
        notes=tuple(notes),
        links=link_keys(meta, record.sip_headers, record.sip_call_id),
    )


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Pydantic's errors as `FieldError`s with dotted paths and a readable message."""
    errors: list[FieldError] = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"]) or "body"
        message = err["msg"].removeprefix("Value error, ")
        shown = _shown(err.get("input"))
        if shown is not None and err["type"] not in ("missing", "value_error"):
            message = f"{message} (got {shown})"
        errors.append(FieldError(path, message, err["type"]))
    return errors


def _shown(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _parse_json(raw: bytes | str) -> Any:
    try:
        # NaN / Infinity are not JSON, but some encoders write them: read them as null, as
        # the canonical serialisation would write them.
        return json.loads(raw, parse_constant=lambda _name: None)
    except UnicodeDecodeError:
        raise BodyError([FieldError("body", "is not UTF-8 text", "json_invalid")]) from None
    except ValueError as exc:
        raise BodyError([FieldError("body", f"is not valid JSON: {exc}", "json_invalid")]) from None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {list: "an array", str: "a string", bool: "a boolean"}.get(type(value), "a number")
