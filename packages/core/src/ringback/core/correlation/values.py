"""Reading scalar values and nested containers out of decoded payloads."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any


def text(raw: object) -> str | None:
    """Return `raw` as trimmed text; None when absent, empty or not a scalar."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, (int, float)):
        return str(raw)
    if isinstance(raw, str):
        return raw.strip() or None
    return None


def mapping(raw: object) -> Mapping[str, Any] | None:
    """Return `raw` when it is a mapping, else None."""
    return raw if isinstance(raw, Mapping) else None


def child(data: Mapping[str, Any], *path: str) -> Any:
    """Walk nested mappings along `path`; None when any step is missing."""
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def pairs(raw: object) -> Iterator[tuple[str, Any]]:
    """Yield ``(name, value)`` from a mapping or from a list of ``{name, value}`` objects."""
    if isinstance(raw, Mapping):
        for key, value in raw.items():
            if isinstance(key, str):
                yield key, value
    elif isinstance(raw, list):
        for item in raw:
            if isinstance(item, Mapping):
                name = item.get("name", item.get("key"))
                if isinstance(name, str):
                    yield name, item.get("value")
