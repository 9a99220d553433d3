"""Reading forwarded custom parameters (stream ``<Parameter>``s, extraHeaders, query params)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qsl

from .builder import Builder
from .payload_keys import call_id_key, header_name_for_param, party_key
from .values import pairs


def _parse_text(raw: str) -> Iterator[tuple[str, object]]:
    """Pairs from a JSON object, a query string ``k=v&k2=v2`` or Plivo's ``k=v,k2=v2``."""
    body = raw.strip()
    if body.startswith("{"):
        try:
            yield from pairs(json.loads(body))
        except json.JSONDecodeError:
            return
        return
    if "&" in body or "," not in body:
        yield from parse_qsl(body.lstrip("?"), keep_blank_values=False)
        return
    for part in body.split(","):
        key, sep, value = part.partition("=")
        if sep and key.strip():
            yield key.strip(), value


def read_params(builder: Builder, raw: object, path: str) -> None:
    """Feed forwarded parameters at `path` to `builder`.

    Accepts a mapping, a list of ``{name, value}`` objects, or text (`_parse_text`). Keys are
    read with `call_id_key`, `header_name_for_param` and `party_key`; anything else is ignored.
    """
    items = _parse_text(raw) if isinstance(raw, str) else pairs(raw)
    for key, value in items:
        where = f"{path}.{key}"
        kind = call_id_key(key)
        if kind is not None:
            builder.call_id(value, where, bare=kind == "bare")
            continue
        name = header_name_for_param(key)
        if name is not None:
            builder.header(name, value, where)
            continue
        party = party_key(key)
        if party == "caller":
            builder.caller(value, where)
        elif party == "recipient":
            builder.recipient(value, where)
