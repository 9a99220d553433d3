"""The shape of a `ringback doctor` report (what `--json` prints) and of its expectations."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from ringback.core.correlation import HeaderError, canonical_header_name, check_header

Problem = Literal[
    "no_call_id",
    "native_id_in_place",
    "different_call_id",
    "expected_native_id",
    "call_id_refused",
    "header_missing",
    "header_renamed",
    "header_not_read",
    "header_refused",
    "header_wrong_value",
    "result_id_invalid",
]
"""Which known failure shape a failed check looks like."""

PayloadFormat = Literal["json", "form"]

LINK = "link"
"""Subject of the check made when nothing is expected: can the call be linked at all?"""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class HeaderExpectation(_Frozen):
    """An `--expect-header`: a canonical X- header name and a value (None: presence only)."""

    name: str
    value: str | None = None

    @classmethod
    def parse(cls, text: str) -> HeaderExpectation:
        """Read ``X-Name=value`` or ``X-Name``; raise `ValueError` saying how to fix it."""
        name, sep, value = text.partition("=")
        name, value = name.strip(), value.strip()
        if sep and not value:
            raise ValueError(
                f"{text!r} has '=' but no value: write 'X-Name=value' to require a value,"
                " or 'X-Name' to require only that the header is present"
            )
        try:
            check_header(name, value)
        except HeaderError as exc:
            raise ValueError(str(exc)) from None
        return cls(name=canonical_header_name(name), value=value if sep else None)


class FoundValue(_Frozen):
    """A value found in the payload (an X- header, a linked id, a party), and where
    (``"twilio:SipHeader_X-Run-Id"``)."""

    name: str
    value: str
    source: str | None = None
    masked: bool = False
    """True when `value` is shown as ``***`` plus its length (a secret-looking header)."""


class FoundNativeId(_Frozen):
    """A provider-native id found in the payload (a `Correlation.native_ids` entry), kept as
    metadata and never used as the SIP Call-ID."""

    key: str
    value: str
    kind: str | None = None
    """What the value is recognised as (``"a Twilio CallSid"``), when its shape is known."""


class Check(_Frozen):
    """One expectation and whether the payload meets it."""

    subject: str
    """``"Call-ID"``, an X- header name, or ``"link"``: the check made when nothing is
    expected, met by a SIP Call-ID or else a result id (X-Result-Id / X-Correlation-Id)."""
    expected: str | None
    """The expected value (masked for secret-looking headers); None: presence only."""
    found: str | None
    source: str | None = None
    ok: bool
    problem: Problem | None = None
    label: str | None = None
    """`problem` in words, e.g. "a different Call-ID (as after a SIP hop or B2BUA)"."""
    detail: str | None = None
    """What was seen in the payload."""
    fix: str | None = None
    """What to change."""
    see: str | None = None
    """The section of the correlation guide, e.g. ``docs/correlation.md#twilio-voice-webhook``."""


class DoctorReport(_Frozen):
    """Everything `ringback doctor` found in one payload; `--json` prints this model."""

    input: str
    """The file read, or ``"-"`` for stdin."""
    format: PayloadFormat
    provider: str
    """The extractor used."""
    detected_provider: str
    """What the payload's shape looks like (differs from `provider` only with --provider)."""
    provider_given: bool
    read_from: str | None = None
    """Where the provider's fields were read when not at the top level, e.g.
    ``participant.attributes`` for a LiveKit ``participant_joined`` webhook."""
    guide: str
    """The provider's section of the correlation guide."""
    sip_call_id: str | None
    sip_call_id_source: str | None
    headers: list[FoundValue]
    ids: list[FoundValue]
    """run_id, scenario_id, result_id, and which header each came from."""
    parties: list[FoundValue]
    """caller and recipient (metadata only)."""
    native_ids: list[FoundNativeId]
    warnings: list[str]
    checks: list[Check]
    ok: bool
    """Every check passed."""
    exit_code: Literal[0, 1]
