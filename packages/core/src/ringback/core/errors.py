"""`RingbackError`: the base of every error Ringback raises on purpose, so that code using any
Ringback package can catch ours (and only ours) in one place.

Each error also keeps the built-in base it always had (`ValueError` for bad input,
`LookupError` for something missing, ...), so existing `except ValueError:` code still works.
"""

from __future__ import annotations


class RingbackError(Exception):
    """An error Ringback raised on purpose; its message says what was wrong and what to do."""


__all__ = ["RingbackError"]
