"""`ringback-sim`: the simulator's command line.

Commands are registered in one place, `register_commands`; the simulator adds its own
(`run`, `worker`, `report`, ...) there. Heavy imports happen inside the commands.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="ringback-sim",
    help="Ringback simulator: collect calls (Create Call API), dial agents, link and report.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="markdown",
)


def register_commands(target: typer.Typer) -> None:
    """Attach every `ringback-sim` command and sub-app to `target`."""
    from .batch.commands import make_run_app
    from .batch.store_sink import CollectorRunStore
    from .caller.commands import worker_command
    from .collector.commands import keys_app, serve
    from .demo import demo_command
    from .reports import report_command
    from .verify import verify_command

    target.command("serve")(serve)
    target.add_typer(keys_app, name="keys")
    target.add_typer(make_run_app(CollectorRunStore))
    target.command("worker")(worker_command)
    target.command("report")(report_command)
    target.command("demo")(demo_command)
    target.command("verify")(verify_command)


register_commands(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
