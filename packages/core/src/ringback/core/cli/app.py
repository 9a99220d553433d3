"""`ringback`: the core command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .doctor import HELP as DOCTOR_HELP
from .doctor import doctor
from .outbox import outbox_app

app = typer.Typer(
    name="ringback",
    help="Ringback: sync voice-agent calls to a Create Call API backend.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(outbox_app, name="outbox")
app.command("doctor", help=DOCTOR_HELP)(doctor)


@app.command("sample")
def sample(
    turns: Annotated[int, typer.Option(min=1, max=5000, help="User/agent exchanges.")] = 6,
    out: Annotated[Path, typer.Option(help="Where to write the call's JSON body.")] = Path(
        "sample-call.json"
    ),
    deliver: Annotated[
        bool,
        typer.Option(
            "--deliver",
            help="Also put the call in the outbox and deliver it to the configured backend "
            "(RINGBACK_BASE_URL, default the local collector).",
        ),
    ] = False,
) -> None:
    """Build a sample call through the Timeline, validate it and write it."""
    from .sample import run_sample

    run_sample(turns=turns, out=out, deliver=deliver)


@app.command("schema")
def schema_command(
    out: Annotated[
        Path | None, typer.Option(help="Write the schema to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the JSON Schema of the Create Call request body."""
    from ringback.core.contract.schema import call_record_schema_json

    text = call_record_schema_json()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(f"wrote {out}")


def main() -> None:
    app()
