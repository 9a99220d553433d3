"""Which header values are secrets, and how they are shown: one rule for everything that
shows a header (`ringback doctor`, `ringback-sim verify`, the dry run, run results, the
collector's pages).

A name is secret when it contains one of `SECRET_WORDS` (any case), or one of the comma-separated
words in `RINGBACK_SECRET_HEADERS` (for a header of your own, say `X-Acme-Otp`: `otp`)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

SECRET_WORDS = (
    "auth",
    "token",
    "secret",
    "pass",
    "bearer",
    "key",
    "credential",
    "session",
    "cookie",
    "signature",
)
"""A header whose name contains one of these (any case) has its value masked."""

SECRET_PARTS = ("pin",)
"""Words too short to match inside others (`shipping`): a name is secret when one of its
`-`/`_`/`.`-separated parts is one of these."""

MASK = "***"
"""What a secret value is shown as."""


EXTRA_WORDS_ENV = "RINGBACK_SECRET_HEADERS"


def secret_words() -> tuple[str, ...]:
    """`SECRET_WORDS` and the words of `RINGBACK_SECRET_HEADERS` (lower case)."""
    extra = os.environ.get(EXTRA_WORDS_ENV, "")
    return SECRET_WORDS + tuple(w.strip().lower() for w in extra.split(",") if w.strip())


def is_secret_name(name: str) -> bool:
    """True when a header's name suggests its value is a secret."""
    lowered = name.lower()
    if any(part in SECRET_PARTS for part in re.split(r"[-_.\s]+", lowered)):
        return True
    return any(word in lowered for word in secret_words())


def masked(headers: Mapping[str, str]) -> dict[str, str]:
    """`headers` for display: the values of secret-looking names replaced by `MASK`."""
    return {name: (MASK if is_secret_name(name) else value) for name, value in headers.items()}


__all__ = [
    "EXTRA_WORDS_ENV",
    "MASK",
    "SECRET_PARTS",
    "SECRET_WORDS",
    "is_secret_name",
    "masked",
    "secret_words",
]
