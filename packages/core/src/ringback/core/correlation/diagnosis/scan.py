"""Where something appears in a raw payload, whether or not the extractor read it there."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

# Prefixes providers put before a header name; removed before comparing spellings.
_PREFIXES = ("variable_sip_h_", "sip_h_", "sip.h.", "sipheader_", "x-ph-")
_SEPARATORS = re.compile(r"[-_.\s]")
_PARAM_TEXT = re.compile(r"\??[^=\s&,]+=[^\s]*")


@dataclass(frozen=True)
class Leaf:
    """One scalar of the payload: its dotted path, its own key and its value as text."""

    path: str
    key: str
    value: str


def _text(raw: object) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw).strip()


def _params(text: str) -> Iterator[tuple[str, str]]:
    """Pairs of a parameter string (``k=v&k2=v2`` or Plivo's ``k=v,k2=v2``)."""
    if not _PARAM_TEXT.fullmatch(text):
        return
    if "&" in text or "," not in text:
        yield from parse_qsl(text.lstrip("?"), keep_blank_values=True)
        return
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if sep and key:
            yield key, value


def _walk(node: object, path: str, key: str) -> Iterator[Leaf]:
    if isinstance(node, Mapping):
        for child_key, value in node.items():
            name = str(child_key)
            yield from _walk(value, f"{path}.{name}" if path else name, name)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            label = item.get("name") if isinstance(item, Mapping) else None
            if isinstance(label, str) and "value" in item:
                yield Leaf(f"{path}.{label}", label, _text(item["value"]))
            else:
                yield from _walk(item, f"{path}[{index}]", key)
    else:
        text = _text(node)
        yield Leaf(path, key, text)
        for param, value in _params(text):
            yield Leaf(f"{path}.{param}", param, value.strip())


def leaves(data: Mapping[str, Any]) -> list[Leaf]:
    """Every scalar in `data`, with paths like the extractors' sources.

    Lists of ``{name, value}`` objects give ``<path>.<name>``; strings shaped like a
    parameter list (``XRunId=...,XCorrelationId=...``) also give one leaf per parameter.
    """
    return list(_walk(data, "", ""))


def paths_holding(found: list[Leaf], value: str) -> list[str]:
    """Paths whose value is `value` or contains it, exact matches first."""
    exact = [leaf.path for leaf in found if leaf.value == value]
    inside = [leaf.path for leaf in found if leaf.value != value and value in leaf.value]
    return exact + [path for path in inside if not any(e.startswith(f"{path}.") for e in exact)]


def _spelling(key: str) -> str:
    lowered = key.strip().lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            # Plivo's X-PH-<Name> stands for X-<Name>; the others precede a full name.
            lowered = ("x-" if prefix == "x-ph-" else "") + lowered[len(prefix) :]
            break
    return _SEPARATORS.sub("", lowered)


def header_spellings(found: list[Leaf], name: str) -> tuple[list[Leaf], list[Leaf]]:
    """Leaves whose key names header `name`: ``(without the X- prefix, with it)``.

    Keys are compared ignoring case, separators (``-``, ``_``, ``.``) and provider prefixes
    (``sip.h.``, ``SipHeader_``, ``sip_h_``, ``X-PH-``), so ``sip.h.customer-tier`` and
    ``customer_tier`` are `X-Customer-Tier` without its prefix.
    """
    full = _spelling(name)
    bare = _spelling(name[2:]) if name.lower().startswith("x-") else full
    renamed = [leaf for leaf in found if _spelling(leaf.key) == bare]
    same = [leaf for leaf in found if _spelling(leaf.key) == full]
    return renamed, same
