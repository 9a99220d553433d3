"""How every command speaks: plain lines (never rich markup), and a user's mistake as one
`error:` line and exit 2, with its traceback only under `ringback-sim --debug`."""

from __future__ import annotations

import traceback
from typing import NoReturn

import typer
from rich.console import Console

from ringback.simulator.exit_codes import EXIT_USAGE


class _Flags:
    debug = False


flags = _Flags()
"""Set from the command line by `ringback-sim --debug`."""


def say(console: Console, text: str) -> None:
    """One line as written: no markup, no highlighting, no wrapping of long paths."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def fail(
    console: Console, message: str, *, code: int = EXIT_USAGE, exc: BaseException | None = None
) -> NoReturn:
    """Print `error: message` and exit with `code`; with `--debug`, `exc`'s traceback first."""
    if flags.debug and exc is not None:
        say(console, "".join(traceback.format_exception(exc)).rstrip())
    say(console, f"error: {message}")
    raise typer.Exit(code)
