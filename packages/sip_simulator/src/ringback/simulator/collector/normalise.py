"""Map the published clients' variant shapes onto Ringback's canonical `CallRecord` shape.

The three published Create Call clients send different shapes (create-call-api.md). The
collector accepts all of them unchanged and stores one canonical form. Every mapping below is
recorded in the stored call's `notes`; nothing a client sent is dropped.

Top level:
- `call_status`: `completed`, `error` or any other string -> `call_ended`, the original kept in
  `general_meta_data_raw.call_status_raw`; `error`/`failed` also set
  `disconnection_reason: error` when none is given.
- `call_status`, `disconnection_reason`, `agent_version`: `null` -> omitted (the default).
- `disconnection_reason`: any case -> lower case; an unknown value -> `unknown`, the original
  kept in `general_meta_data_raw.disconnection_reason_raw`.
- `agent_version`: a string `"3"` or `"v3"` -> `3`; any other string -> omitted, kept in
  `general_meta_data_raw.agent_version_raw`.
- `start_timestamp`, `end_timestamp`: a float -> truncated to whole seconds.
- `duration_ms` (and every `*_ms` below): a float -> rounded to whole milliseconds.
- `general_meta_data_raw` / `transcript_with_tool_calls`: `null` -> `{}` / `[]`.
- `sip_headers`: non-string values -> JSON text (`5` -> `"5"`); `null` values dropped.
- any other key -> kept in `general_meta_data_raw.extra_fields[key]`.

`general_meta_data_raw`:
- `ai_models.stt_model` -> `asr_model`; `null` -> `""`; other non-strings -> `str(value)`.
- `usage_token.asr_duration` -> `stt_duration_seconds` and `usage_token.tts_character_count`
  -> `tts_characters_count` (when both spellings are given, the canonical one is kept and the
  other moves to `extra_fields`).
- other keys inside `ai_models` / `usage_token` -> `extra_fields["general_meta_data_raw.<...>"]`.

Segments (`transcript_with_tool_calls[i]`):
- no `text` / `metadata` / `end_ms` (tool rows of some clients), or `null` -> `""` / `{}` /
  `null`.
- `tool`: no `start_ms` -> the row's `start_ms`; no `request_id` -> `""`; `null`
  `params`/`result`/`is_error` -> `{}`/`{}`/`false` (`true` when an `error` is given); JSON
  text in `params`/`result` -> the parsed object (non-objects are wrapped as `{"value": ...}`).
- `node`: `from_node` / `to_node` -> `from` / `to`.
- other keys of a segment, its `tool` or its `node` -> that segment's
  `metadata.extra_fields` (`"tool.<key>"` / `"node.<key>"` for the nested ones).

What is still refused (422): a body that is not a JSON object, a missing or mistyped required
field (`call_id`, `call_type`, timestamps, `duration_ms`, a segment's `role` / `start_ms`, a
tool's `name`, a node's `to`), an unknown `role` or `call_type`, negative offsets, `end_ms`
before `start_ms`, and end before start.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ringback.core.contract import CallRecord, DisconnectionReason, json_object_from_text
from ringback.core.contract.models import AIModels, Segment, ToolInvocation, UsageToken

EXTRA_FIELDS_KEY = "extra_fields"
"""Where keys outside the canonical shape are kept (see the module docstring)."""

_TOP_FIELDS = frozenset(CallRecord.model_fields)
_SEGMENT_FIELDS = frozenset(Segment.model_fields)
_TOOL_FIELDS = frozenset(ToolInvocation.model_fields)
_NODE_FIELDS = frozenset({"to", "from", "reason"})
_AI_MODEL_FIELDS = frozenset(AIModels.model_fields)
_USAGE_FIELDS = frozenset(UsageToken.model_fields)
_REASONS = frozenset(r.value for r in DisconnectionReason)
_VERSION = re.compile(r"[vV]?(\d{1,9})")

_USAGE_RENAMES = {
    "asr_duration": "stt_duration_seconds",
    "tts_character_count": "tts_characters_count",
}
_MODEL_RENAMES = {"stt_model": "asr_model"}
_NODE_RENAMES = {"from_node": "from", "to_node": "to"}


@dataclass
class Normalised:
    """A body in the canonical shape, and what was changed to get there."""

    body: dict[str, Any]
    notes: list[str] = field(default_factory=list)


class _Notes:
    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def add(self, text: str) -> None:
        self._counts[text] += 1

    def render(self) -> list[str]:
        return [t if n == 1 else f"{t} (x{n})" for t, n in self._counts.items()]


def normalise(raw: dict[str, Any]) -> Normalised:
    """Return `raw` mapped onto the canonical shape (`raw` itself is not modified).

    Values whose type is wrong beyond the mappings above are left in place, so that
    validating the result reports them with their field path.
    """
    notes = _Notes()
    body = dict(raw)
    meta_in = body.get("general_meta_data_raw")
    meta: dict[str, Any] = dict(meta_in) if isinstance(meta_in, dict) else {}
    extras: dict[str, Any] = {}

    for key in [k for k in body if k not in _TOP_FIELDS]:
        extras[key] = body.pop(key)
        notes.add(f"unknown field {key!r} kept in general_meta_data_raw.{EXTRA_FIELDS_KEY}")
    for key in ("call_status", "disconnection_reason", "agent_version"):
        if key in body and body[key] is None:
            del body[key]
            notes.add(f"{key} null -> omitted")

    _call_status(body, meta, notes)
    _disconnection_reason(body, meta, notes)
    _agent_version(body, meta, notes)
    for key in ("start_timestamp", "end_timestamp"):
        if _is_float(body.get(key)):
            body[key] = math.trunc(body[key])
            notes.add(f"{key} float -> whole seconds")
    _round_ms(body, "duration_ms", notes, "duration_ms")
    _sip_headers(body, notes)

    if meta_in is None and "general_meta_data_raw" in body:
        notes.add("general_meta_data_raw null -> {}")
    _ai_models(meta, extras, notes)
    _usage(meta, extras, notes)
    if extras:
        _merge_extras(meta, extras)
    # A non-object is left in place for validation to report with its path.
    keep_invalid = meta_in is not None and not isinstance(meta_in, dict)
    body["general_meta_data_raw"] = meta_in if keep_invalid else meta

    segments = body.get("transcript_with_tool_calls")
    if segments is None:
        if "transcript_with_tool_calls" in body:
            notes.add("transcript_with_tool_calls null -> []")
        body["transcript_with_tool_calls"] = []
    elif isinstance(segments, list):
        body["transcript_with_tool_calls"] = [_segment(s, notes) for s in segments]
    return Normalised(body=body, notes=notes.render())


# ── top level ────────────────────────────────────────────────────────────────
def _call_status(body: dict[str, Any], meta: dict[str, Any], notes: _Notes) -> None:
    status = body.get("call_status")
    if not isinstance(status, str) or status == "call_ended":
        return
    meta["call_status_raw"] = status
    body["call_status"] = "call_ended"
    notes.add(f"call_status {status!r} -> 'call_ended' (original in call_status_raw)")
    if status.strip().lower() in ("error", "failed") and body.get("disconnection_reason") is None:
        body["disconnection_reason"] = DisconnectionReason.ERROR.value
        notes.add("disconnection_reason set to 'error' from call_status")


def _disconnection_reason(body: dict[str, Any], meta: dict[str, Any], notes: _Notes) -> None:
    reason = body.get("disconnection_reason")
    if not isinstance(reason, str) or reason in _REASONS:
        return
    lowered = reason.strip().lower()
    if lowered in _REASONS:
        body["disconnection_reason"] = lowered
        notes.add("disconnection_reason lower-cased")
        return
    meta["disconnection_reason_raw"] = reason
    body["disconnection_reason"] = DisconnectionReason.UNKNOWN.value
    notes.add(f"disconnection_reason {reason!r} -> 'unknown' (original in ..._raw)")


def _agent_version(body: dict[str, Any], meta: dict[str, Any], notes: _Notes) -> None:
    version = body.get("agent_version")
    if isinstance(version, float) and _is_float(version) and version.is_integer():
        body["agent_version"] = int(version)
        notes.add("agent_version float -> int")
    elif isinstance(version, str):
        match = _VERSION.fullmatch(version.strip())
        if match:
            body["agent_version"] = int(match.group(1))
            notes.add("agent_version string -> int")
        else:
            del body["agent_version"]
            meta["agent_version_raw"] = version
            notes.add("agent_version non-numeric string kept in agent_version_raw")


def _sip_headers(body: dict[str, Any], notes: _Notes) -> None:
    headers = body.get("sip_headers")
    if not isinstance(headers, dict):
        return
    if any(not isinstance(v, str) for v in headers.values()):
        fixed: dict[str, str] = {}
        for name, value in headers.items():
            if value is None:
                notes.add("sip_headers null value dropped")
            elif isinstance(value, str):
                fixed[name] = value
            else:
                fixed[name] = json.dumps(value)
                notes.add("sip_headers non-string value -> string")
        body["sip_headers"] = fixed


# ── general_meta_data_raw ────────────────────────────────────────────────────
def _ai_models(meta: dict[str, Any], extras: dict[str, Any], notes: _Notes) -> None:
    models = meta.get("ai_models")
    if models is None:
        meta.pop("ai_models", None)
        return
    if not isinstance(models, dict):
        return
    models = _renamed(models, _MODEL_RENAMES, "general_meta_data_raw.ai_models", extras, notes)
    for key in [k for k in models if k not in _AI_MODEL_FIELDS]:
        extras[f"general_meta_data_raw.ai_models.{key}"] = models.pop(key)
        notes.add(f"unknown ai_models key {key!r} kept in {EXTRA_FIELDS_KEY}")
    for key, value in list(models.items()):
        if value is None:
            models[key] = ""
        elif not isinstance(value, str):
            models[key] = str(value)
            notes.add(f"ai_models.{key} non-string -> string")
    meta["ai_models"] = models


def _usage(meta: dict[str, Any], extras: dict[str, Any], notes: _Notes) -> None:
    usage = meta.get("usage_token")
    if usage is None:
        meta.pop("usage_token", None)
        return
    if not isinstance(usage, dict):
        return
    usage = _renamed(usage, _USAGE_RENAMES, "general_meta_data_raw.usage_token", extras, notes)
    for key in [k for k in usage if k not in _USAGE_FIELDS]:
        extras[f"general_meta_data_raw.usage_token.{key}"] = usage.pop(key)
        notes.add(f"unknown usage_token key {key!r} kept in {EXTRA_FIELDS_KEY}")
    for key in ("llm_token", "tts_characters_count"):
        if _is_float(usage.get(key)) and float(usage[key]).is_integer():
            usage[key] = int(usage[key])
    meta["usage_token"] = usage


def _renamed(
    obj: dict[str, Any],
    renames: dict[str, str],
    where: str,
    extras: dict[str, Any],
    notes: _Notes,
) -> dict[str, Any]:
    obj = dict(obj)
    for old, new in renames.items():
        if old not in obj:
            continue
        value = obj.pop(old)
        if obj.get(new) in (None, ""):
            obj[new] = value
            notes.add(f"{where.rsplit('.', 1)[-1]}.{old} -> {new}")
        else:
            extras[f"{where}.{old}"] = value
            notes.add(f"{old} given alongside {new}; kept in {EXTRA_FIELDS_KEY}")
    return obj


def _merge_extras(meta: dict[str, Any], extras: dict[str, Any]) -> None:
    existing = meta.get(EXTRA_FIELDS_KEY)
    if existing is None:
        meta[EXTRA_FIELDS_KEY] = extras
    elif isinstance(existing, dict):
        meta[EXTRA_FIELDS_KEY] = {**extras, **existing}
    else:
        meta[EXTRA_FIELDS_KEY] = {**extras, "value": existing}


# ── segments ─────────────────────────────────────────────────────────────────
def _segment(raw: Any, notes: _Notes) -> Any:
    if not isinstance(raw, dict):
        return raw
    seg = dict(raw)
    extras: dict[str, Any] = {}
    for key in [k for k in seg if k not in _SEGMENT_FIELDS]:
        extras[key] = seg.pop(key)
        notes.add(f"unknown segment key {key!r} kept in its metadata.{EXTRA_FIELDS_KEY}")
    if seg.get("text", "") is None:
        seg["text"] = ""
        notes.add("segment text null -> ''")
    for key in ("start_ms", "end_ms", "duration_ms"):
        _round_ms(seg, key, notes, f"segment {key}")
    if isinstance(seg.get("tool"), dict):
        seg["tool"] = _tool(seg["tool"], seg.get("start_ms"), extras, notes)
    if isinstance(seg.get("node"), dict):
        seg["node"] = _node(seg["node"], extras, notes)
    metadata = seg.get("metadata")
    if metadata is None:
        metadata = {}
    if extras and isinstance(metadata, dict):
        metadata = dict(metadata)
        _merge_extras(metadata, extras)
    seg["metadata"] = metadata
    return seg


def _tool(raw: dict[str, Any], row_start: Any, extras: dict[str, Any], notes: _Notes) -> Any:
    tool = dict(raw)
    for key in [k for k in tool if k not in _TOOL_FIELDS]:
        extras[f"tool.{key}"] = tool.pop(key)
        notes.add(f"unknown tool key {key!r} kept in the segment's metadata.{EXTRA_FIELDS_KEY}")
    if tool.get("start_ms") is None and isinstance(row_start, int):
        tool["start_ms"] = row_start
        notes.add("tool.start_ms missing -> the row's start_ms")
    _round_ms(tool, "start_ms", notes, "tool.start_ms")
    if tool.get("request_id") is None:
        tool["request_id"] = ""
        notes.add("tool.request_id missing -> ''")
    for key in ("params", "result"):
        value = tool.get(key)
        if value is None and key in tool:
            tool[key] = {}
        elif isinstance(value, str):
            tool[key] = json_object_from_text(value)
            notes.add(f"tool.{key} string -> object (parsed when JSON)")
    if tool.get("is_error") is None:
        tool["is_error"] = bool(tool.get("error"))
        if tool["is_error"]:
            notes.add("tool.is_error missing with an error -> true")
    return tool


def _node(raw: dict[str, Any], extras: dict[str, Any], notes: _Notes) -> dict[str, Any]:
    node = dict(raw)
    for old, new in _NODE_RENAMES.items():
        if old in node:
            value = node.pop(old)
            if node.get(new) is None:
                node[new] = value
                notes.add(f"node.{old} -> {new}")
            else:
                extras[f"node.{old}"] = value
    for key in [k for k in node if k not in _NODE_FIELDS]:
        extras[f"node.{key}"] = node.pop(key)
        notes.add(f"unknown node key {key!r} kept in the segment's metadata.{EXTRA_FIELDS_KEY}")
    return node


# ── helpers ──────────────────────────────────────────────────────────────────
def _is_float(value: Any) -> bool:
    return isinstance(value, float) and math.isfinite(value)


def _round_ms(obj: dict[str, Any], key: str, notes: _Notes, label: str) -> None:
    if _is_float(obj.get(key)):
        obj[key] = round(obj[key])
        notes.add(f"{label} float -> whole ms")
