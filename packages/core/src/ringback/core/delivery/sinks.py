"""Sink identity for logs and the auth gate; keeping the API key out of every text we emit."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable

from ringback.core.settings import Sink

_SALT = secrets.token_bytes(16)

_AUTH_REJECTED: dict[str, int | None] = {}
"""Fingerprints of sink settings a server answered 401/403 to (with that status), for the life
of the process."""


def fingerprint(sink: Sink) -> str:
    """A salted, in-memory-only digest of the settings that decide whether auth can succeed:
    base URL, workspace and key. Changing any of them gives a new fingerprint."""
    key = sink.api_key.get_secret_value() if sink.api_key else ""
    data = "\0".join((sink.base_url, str(sink.workspace_id), key)).encode()
    return hashlib.blake2b(data, key=_SALT, digest_size=16).hexdigest()


def auth_rejected(sink: Sink) -> bool:
    """True if these exact sink settings were refused (401/403) earlier in this process."""
    return fingerprint(sink) in _AUTH_REJECTED


def rejected_with(sink: Sink) -> int | None:
    """The HTTP status these sink settings were refused with earlier, if it is known."""
    return _AUTH_REJECTED.get(fingerprint(sink))


def mark_auth_rejected(sink: Sink, http_status: int | None = None) -> bool:
    """Remember a 401/403 for these settings; returns True the first time."""
    fp = fingerprint(sink)
    if fp in _AUTH_REJECTED:
        return False
    _AUTH_REJECTED[fp] = http_status
    return True


def setting(sink: Sink, field: str) -> str:
    """How the user sets `field` of `sink`: an env var for the primary, a path otherwise."""
    if sink.name == "primary":
        return f"RINGBACK_{field.upper()}"
    return f"extra_sinks[{sink.name!r}].{field}"


class Redactor:
    """Replaces every configured API key in a text with `***`."""

    def __init__(self, sinks: Iterable[Sink]) -> None:
        keys = {s.api_key.get_secret_value() for s in sinks if s.api_key}
        self._keys = sorted((k for k in keys if k), key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for key in self._keys:
            text = text.replace(key, "***")
        return text
