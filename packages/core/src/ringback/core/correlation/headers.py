"""X- header names and values: canonical spelling and the checks every header must pass."""

from __future__ import annotations

import re

from ringback.core.errors import RingbackError

MAX_VALUE_BYTES = 1024
"""Longest header value (UTF-8 bytes) Ringback reads or sends; many SIP parsers stop near 1 KiB."""

# RFC 7230 `token`: the characters a header field name may contain.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

WELL_KNOWN_NAMES: dict[str, str] = {"x-cid": "X-CID"}
"""Lower-case name -> conventional spelling, for names that are not word-capitalised."""


class HeaderError(RingbackError, ValueError):
    """A header Ringback refuses to read or send; the message says which and how to fix it."""


def canonical_header_name(name: str) -> str:
    """Spell a header name the one way Ringback stores it.

    SIP header names are case-insensitive, so the spelling is normalised: each dash-separated
    word is capitalised (``"x-run-id"`` and ``"X-RUN-ID"`` -> ``"X-Run-Id"``), except names in
    `WELL_KNOWN_NAMES` (``"x-cid"`` -> ``"X-CID"``). Provider prefixes (``sip.h.``,
    ``SipHeader_``, ``sip_h_``, ``X-PH-``) are removed by the extractors, not here.
    """
    key = name.strip().lower()
    if key in WELL_KNOWN_NAMES:
        return WELL_KNOWN_NAMES[key]
    return "-".join(word[:1].upper() + word[1:] for word in key.split("-"))


def value_problem(value: object) -> str | None:
    """Say what is wrong with a header (or Call-ID) value, or return None when it is fine."""
    if not isinstance(value, str):
        return f"the value must be a string, not {type(value).__name__}"
    if any(char in value for char in "\r\n\x00"):
        return "the value contains CR, LF or NUL (header injection); remove the line breaks"
    size = len(value.encode("utf-8"))
    if size > MAX_VALUE_BYTES:
        return f"the value is {size} bytes; shorten it to at most {MAX_VALUE_BYTES} bytes (UTF-8)"
    return None


def _shown(name: object) -> str:
    text = repr(name)
    return text if len(text) <= 66 else text[:63] + "...'"


def check_header(name: str, value: str) -> None:
    """Raise `HeaderError` unless ``name: value`` is an X- header Ringback may read or send.

    The name must start with ``X-`` and consist of RFC 7230 token characters; the value must
    hold no CR, LF or NUL and be at most `MAX_VALUE_BYTES` bytes of UTF-8. Messages name the
    header, never its value (values can be secrets).
    """
    if not isinstance(name, str) or not name.lower().startswith("x-") or len(name) < 3:
        hint = (
            f"; rename it to 'X-{name}'" if isinstance(name, str) and _TOKEN.fullmatch(name) else ""
        )
        raise HeaderError(
            f"header {_shown(name)} is not an X- header: only custom headers whose name starts"
            f" with 'X-' are sent and kept{hint}"
        )
    if not _TOKEN.fullmatch(name):
        raise HeaderError(
            f"header {_shown(name)} has characters a SIP header name cannot hold: use letters,"
            " digits and -, e.g. 'X-Customer-Tier' (no spaces, colons or line breaks)"
        )
    problem = value_problem(value)
    if problem is not None:
        raise HeaderError(f"header {name}: {problem}")
