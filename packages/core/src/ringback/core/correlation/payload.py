"""Turning what a webhook or websocket delivered into a dict."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl


def decode_payload(payload: Mapping[str, Any] | str | bytes) -> dict[str, Any]:
    """Decode a mapping, a JSON object (str/bytes) or a URL-encoded form (str/bytes).

    Text starting with ``{`` or ``[`` must be a valid JSON object: malformed JSON raises
    `ValueError` rather than being misread as a form. Other text is parsed as a form (a
    leading ``?`` is allowed; a repeated key keeps its last value). Empty text gives ``{}``.
    """
    if isinstance(payload, Mapping):
        return dict(payload)
    if isinstance(payload, (bytes, bytearray, memoryview)):
        try:
            body = bytes(payload).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"payload bytes are not UTF-8 ({exc.reason})") from exc
    elif isinstance(payload, str):
        body = payload
    else:
        raise TypeError(f"payload must be a mapping, str or bytes, not {type(payload).__name__}")
    body = body.lstrip("\ufeff").strip()
    if not body:
        return {}
    if body[0] in "{[":
        try:
            data = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"payload looks like JSON but does not parse: {exc.msg} at line {exc.lineno}"
                f" column {exc.colno}; pass a dict, a JSON object or a URL-encoded form"
            ) from exc
        if not isinstance(data, dict):
            raise ValueError(
                f"payload is JSON {type(data).__name__}, not an object; pass a JSON object"
            )
        return data
    form = body[1:] if body.startswith("?") else body
    if "=" not in form:
        raise ValueError(
            "payload is neither a JSON object nor a URL-encoded form (no key=value pairs)"
        )
    return dict(parse_qsl(form, keep_blank_values=True))
