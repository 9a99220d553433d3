"""API keys: how they are made and how they are stored (only as a SHA-256 hash).

A key is `rbk_` followed by 43 URL-safe characters (32 random bytes). With that much entropy
a plain SHA-256 is enough to store it safely (a slow password hash protects guessable secrets,
and this one is not guessable), and it lets a request's key be found by an indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "rbk_"
_RANDOM_BYTES = 32


def generate_key() -> str:
    """A new random API key."""
    return KEY_PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def hash_key(key: str) -> str:
    """The hex SHA-256 of a key, as stored."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def export_lines(key: str, workspace_id: int) -> str:
    """Shell lines that point Ringback's plugins at this key and workspace."""
    return f"export RINGBACK_API_KEY={key}\nexport RINGBACK_WORKSPACE_ID={workspace_id}"
