"""Where the missing-Call-ID warnings point: the sections of docs/correlation.md."""

from __future__ import annotations

DOC = "docs/correlation.md"


def see(anchor: str) -> str:
    """Reference to a section of the correlation guide."""
    return f"See {DOC}#{anchor}"
