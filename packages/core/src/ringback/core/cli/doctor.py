"""`ringback doctor PAYLOAD`: what correlation a payload yields, and why a link would fail."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ringback.core.correlation.provider import Provider
from ringback.core.errors import RingbackError
from ringback.core.secrets import SECRET_WORDS

if TYPE_CHECKING:
    from ringback.core.correlation.diagnosis.model import HeaderExpectation, PayloadFormat

UNREADABLE = 2
"""Exit code for input that cannot be read (missing file, empty, neither JSON nor a form) and
for an invalid expectation."""

_SECRET_WORDS = ", ".join(SECRET_WORDS[:-1]) + f" or {SECRET_WORDS[-1]}"

READS = (
    "ringback doctor reads a JSON object (a webhook body, a websocket start message, LiveKit"
    " participant attributes, a participant object or a participant_joined webhook) or a"
    " URL-encoded form (a Twilio, Plivo or Vonage webhook body, e.g. CallSid=...&SipCallId=...)."
)

HELP = (
    "Show the SIP Call-ID, X- headers and provider ids a payload carries, and why a call"
    " would not link.\n\n"
    "PAYLOAD is a webhook body (JSON or a URL-encoded form), a websocket start message or"
    " LiveKit participant attributes (or a participant object or webhook holding them)."
    f" Values of headers whose name contains {_SECRET_WORDS}, or has a part pin, are"
    " masked (add words with RINGBACK_SECRET_HEADERS).\n\n"
    "Exit status: 0 when every expectation is met (with none given: the call can be linked,"
    " by a SIP Call-ID or else an X-Result-Id / X-Correlation-Id of 32 hex or 26 base32"
    " characters), 1 when one is not, 2 when the payload cannot be read or an option is"
    " invalid. See docs/correlation.md."
)


class DoctorError(RingbackError):
    """Input doctor cannot use; the message says what was wrong and how to fix it."""


def read_payload(payload: str) -> bytes:
    """The bytes of file `payload`, or of stdin for ``-``."""
    if payload == "-":
        if sys.stdin.isatty():
            raise DoctorError(
                "no payload: give a file path, or pipe the payload in"
                " (e.g. pbpaste | ringback doctor -)"
            )
        stdin = getattr(sys.stdin, "buffer", None)
        return stdin.read() if stdin is not None else sys.stdin.read().encode("utf-8")
    try:
        return Path(payload).read_bytes()
    except FileNotFoundError:
        raise DoctorError(
            f"cannot read {payload}: no such file; give the path of a saved payload,"
            " or - to read it from stdin"
        ) from None
    except IsADirectoryError:
        raise DoctorError(f"cannot read {payload}: it is a folder; give a file") from None
    except OSError as exc:
        raise DoctorError(f"cannot read {payload}: {exc.strerror or exc}") from None


def decode(raw: bytes) -> tuple[PayloadFormat, dict[str, Any]]:
    """Decode payload bytes into a dict; raise `DoctorError` for anything unreadable."""
    from ringback.core.correlation.payload import decode_payload

    try:
        body = raw.decode("utf-8").lstrip("\ufeff").strip()
    except UnicodeDecodeError:
        raise DoctorError(f"the payload is not UTF-8 text. {READS}") from None
    if not body:
        raise DoctorError(f"the payload is empty. {READS}")
    try:
        data = decode_payload(body)
    except ValueError as exc:
        problem = str(exc).split("; pass ")[0]  # drop the library's advice on Python types
        raise DoctorError(f"{problem}. {READS}") from None
    return ("json" if body[0] in "{[" else "form"), data


def expectations(
    call_id: str | None, headers: list[str]
) -> tuple[str | None, list[HeaderExpectation]]:
    """The parsed `--expect-call-id` and `--expect-header` values."""
    from ringback.core.correlation.diagnosis.model import HeaderExpectation

    if call_id is not None and not call_id.strip():
        raise DoctorError("--expect-call-id is empty: give the Call-ID to expect")
    try:
        parsed = [HeaderExpectation.parse(header) for header in headers]
    except ValueError as exc:
        raise DoctorError(f"--expect-header: {exc}") from None
    return (call_id.strip() if call_id is not None else None), parsed


def doctor(
    payload: Annotated[
        str,
        typer.Argument(
            metavar="PAYLOAD",
            help="A file holding the payload, or - (the default) to read stdin.",
            show_default=False,
        ),
    ] = "-",
    expect_call_id: Annotated[
        str | None,
        typer.Option(
            "--expect-call-id",
            metavar="VALUE",
            help="The SIP Call-ID the payload should carry.",
        ),
    ] = None,
    expect_header: Annotated[
        list[str] | None,
        typer.Option(
            "--expect-header",
            metavar="X-NAME[=VALUE]",
            help="An X- header the payload should carry (with this value); repeatable.",
        ),
    ] = None,
    provider: Annotated[
        Provider | None,
        typer.Option(
            "--provider",
            case_sensitive=False,
            help="Read the payload as this provider's (default: detect it from its shape).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """`ringback doctor`: see `HELP`."""
    from ringback.core.correlation.diagnosis import diagnose, render

    try:
        call_id, headers = expectations(expect_call_id, expect_header or [])
        payload_format, data = decode(read_payload(payload))
    except DoctorError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(UNREADABLE) from None
    report = diagnose(
        data,
        input_name=payload,
        payload_format=payload_format,
        provider=provider,
        expect_call_id=call_id,
        expect_headers=headers,
    )
    typer.echo(report.model_dump_json(indent=2) if as_json else render(report))
    raise typer.Exit(report.exit_code)
