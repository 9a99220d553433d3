"""Which header values are secrets, and how they are shown: one rule for every command
(`ringback doctor`, `ringback-sim verify`, `ringback-sim run --dry-run`)."""

from __future__ import annotations

from collections.abc import Mapping

SECRET_WORDS = (
    "auth",
    "token",
    "secret",
    "password",
    "passwd",
    "key",
    "credential",
    "session",
    "cookie",
    "signature",
)
"""A header whose name contains one of these (any case) has its value masked."""

MASK = "***"
"""What a secret value is shown as."""


def is_secret_name(name: str) -> bool:
    """True when a header's name suggests its value is a secret."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def masked(headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` for display: the values of secret-looking names replaced by `MASK`."""
    return {name: (MASK if is_secret_name(name) else value) for name, value in headers.items()}


__all__ = ["MASK", "SECRET_WORDS", "is_secret_name", "masked"]
