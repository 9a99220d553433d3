"""Small value formatters shared by the renderers."""

from __future__ import annotations


def percent(rate: float | None) -> str:
    """`87.5%`, or `n/a` for a run without calls."""
    return "n/a" if rate is None else f"{rate:.1%}"


def ms(value: float | None) -> str:
    """`1,830 ms`, or `-`."""
    return "-" if value is None else f"{round(value):,} ms"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell or list item (one line, no pipes, no HTML)."""
    flat = " ".join(str(text).split())
    return (
        flat.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("`", "\\`")
    )
