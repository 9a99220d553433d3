"""Outbox entry names and the on-disk envelope around a call's JSON body."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ringback.core.errors import RingbackError

ENVELOPE_VERSION = 1
_BODY_KEY = b'"body":'
_KEYS = ["version", "call_id", "agent_hint", "created_at", "body"]
_HASH_CHARS = 20
_PREFIX_CHARS = 48
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_HEADER_BYTES = 16_384


class CorruptEntry(RingbackError, ValueError):
    """An outbox file that is not a readable envelope."""


def entry_key(call_id: str) -> str:
    """A safe, collision-free file stem for `call_id`: a sanitised prefix plus a short hash.

    The prefix keeps names readable; the hash (80 bits of SHA-256 of the exact call id) keeps
    ids that sanitise alike, or differ only in case, apart.
    """
    digest = hashlib.sha256(call_id.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    prefix = _UNSAFE.sub("_", call_id)[:_PREFIX_CHARS].lstrip("_-")
    return f"{prefix}-{digest}" if prefix else digest


def build_envelope(
    call_id: str, body: bytes, *, agent_hint: str | None, created_at: datetime | None = None
) -> bytes:
    """The entry file's bytes: a small JSON header with `body` (the request body) spliced in last.

    `body` is concatenated as is, never re-serialised.
    """
    when = (created_at or datetime.now(timezone.utc)).isoformat(timespec="milliseconds")
    head = json.dumps(
        {
            "version": ENVELOPE_VERSION,
            "call_id": call_id,
            "agent_hint": agent_hint,
            "created_at": when,
        },
        separators=(",", ":"),
    )
    return head[:-1].encode() + b"," + _BODY_KEY + body + b"}"


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed outbox entry."""

    call_id: str
    agent_hint: str | None
    created_at: str
    body: bytes
    """The request body, byte for byte as it was persisted."""


def parse_envelope(data: bytes) -> Envelope:
    """Parse and check an entry file; raises `CorruptEntry` if it is not a valid envelope."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptEntry(f"not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("version") != ENVELOPE_VERSION:
        raise CorruptEntry(f"not a version {ENVELOPE_VERSION} outbox envelope")
    call_id, body = doc.get("call_id"), doc.get("body")
    if not isinstance(call_id, str) or not call_id:
        raise CorruptEntry("envelope has no call_id")
    if not isinstance(body, dict) or body.get("call_id") != call_id:
        raise CorruptEntry("envelope body is missing or belongs to another call")
    hint = doc.get("agent_hint")
    return Envelope(
        call_id=call_id,
        agent_hint=hint if isinstance(hint, str) else None,
        created_at=str(doc.get("created_at", "")),
        body=_body_bytes(data, doc),
    )


def _body_bytes(data: bytes, doc: dict[str, Any]) -> bytes:
    # In the canonical layout `body` is the last key and no JSON string can contain the bytes
    # `"body":` (inner quotes are escaped), so the first match is the key and the rest, minus
    # the closing brace, is the original body.
    idx = data.find(_BODY_KEY)
    if idx > 0 and list(doc) == _KEYS:
        return data[idx + len(_BODY_KEY) :].rstrip()[:-1]
    return json.dumps(doc["body"], separators=(",", ":"), ensure_ascii=False).encode()


def read_header(path: Path) -> dict[str, Any] | None:
    """The envelope's fields other than `body`, reading only the start of the file.

    Returns None if the file is missing or its start is not an envelope header.
    """
    try:
        with path.open("rb") as f:
            chunk = f.read(_HEADER_BYTES)
    except OSError:
        return None
    idx = chunk.find(_BODY_KEY)
    if idx <= 0:
        return None
    try:
        head = json.loads(chunk[:idx] + b'"body":null}')
    except (ValueError, UnicodeDecodeError):
        return None
    return head if isinstance(head, dict) and isinstance(head.get("call_id"), str) else None
