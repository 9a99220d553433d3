"""`ringback-sim`: the simulator's command line, and all of it: each command's module here
parses options, prints, and maps errors to exit codes; the work is in the other subpackages.

Commands are registered in one place, `register_commands`; the simulator adds its own
(`run`, `worker`, `report`, ...) there. Heavy imports happen inside the commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from .run import RunStore

app = typer.Typer(
    name="ringback-sim",
    help="Ringback simulator: collect calls (Create Call API), dial agents, link and report.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)


@app.callback()
def _options(
    debug: bool = typer.Option(
        False, "--debug", help="With an error, also show its traceback (for a bug report)."
    ),
) -> None:
    from .console import flags

    flags.debug = debug


def register_commands(target: typer.Typer) -> None:
    """Attach every `ringback-sim` command and sub-app to `target`."""
    from .collector import keys_app, serve
    from .demo import demo_command
    from .report import report_command
    from .run import make_run_app
    from .scenario import scenario_app
    from .verify import verify_command
    from .worker import worker_command

    target.command("serve")(serve)
    target.add_typer(keys_app, name="keys")
    target.add_typer(make_run_app(_collector_run_store))
    target.command("worker")(worker_command)
    target.command("report")(report_command)
    target.command("demo")(demo_command)
    target.command("verify")(verify_command)
    target.add_typer(scenario_app, name="scenario")


def _collector_run_store(directory: Path) -> RunStore:
    """JSON lines in `directory` plus the collector's store, where the run is evaluated."""
    from ringback.simulator.batch.store_sink import CollectorRunStore

    return CollectorRunStore(directory)


register_commands(app)


def main() -> None:
    app()
