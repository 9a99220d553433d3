"""`ringback-sim serve` and `ringback-sim keys create|list|revoke`."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from ringback.simulator.collector.defaults import DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT
from ringback.simulator.store.location import default_database_path

from .console import fail

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="RINGBACK_COLLECTOR_DATABASE_URL",
        show_envvar=True,
        help="A SQLite file path (or sqlite:///PATH), or postgresql://USER:PASS@HOST/DB "
        f"(needs the postgres extra: asyncpg). Default: {default_database_path()}",
        show_default=False,
    ),
]

keys_app = typer.Typer(
    name="keys",
    help="API keys for the collector: create (shown once), list, revoke.",
    no_args_is_help=True,
)


def serve(
    host: Annotated[
        str, typer.Option(envvar="RINGBACK_COLLECTOR_HOST", help="Address to listen on.")
    ] = DEFAULT_HOST,
    port: Annotated[
        int,
        typer.Option(
            envvar="RINGBACK_COLLECTOR_PORT", min=0, max=65535, help="Port (0 picks a free one)."
        ),
    ] = DEFAULT_PORT,
    database_url: DatabaseUrl = None,
    max_body_bytes: Annotated[
        int,
        typer.Option(
            envvar="RINGBACK_COLLECTOR_MAX_BODY_BYTES",
            min=1024,
            help="Larger request bodies are refused with 413.",
        ),
    ] = DEFAULT_MAX_BODY_BYTES,
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            envvar="RINGBACK_COLLECTOR_NO_AUTH",
            help="Accept calls without an API key, trusting the request's workspace_id. "
            "Only on a loopback host.",
        ),
    ] = False,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the collector: the Create Call API on http://127.0.0.1:7450 by default.

    On a database that has never had an API key, one is created for workspace 1 and printed
    once with the `export RINGBACK_API_KEY=...` line. Stop with Ctrl-C or SIGTERM: requests in
    flight finish first.
    """
    from ringback.simulator.collector.server import serve as run_server
    from ringback.simulator.collector.settings import CollectorSettings

    overrides: dict[str, Any] = {
        "host": host,
        "port": port,
        "max_body_bytes": max_body_bytes,
        "no_auth": no_auth,
    }
    if database_url:
        overrides["database_url"] = database_url
    try:
        settings = CollectorSettings(**overrides)
        settings.check()
    except ValueError as exc:
        _fail(str(exc), exc)
    _configure_logging(log_level)

    def out(text: str) -> None:
        typer.echo(text)

    try:
        started = asyncio.run(run_server(settings, out))
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    except (RuntimeError, ValueError) as exc:  # SchemaError, DriverMissingError and friends
        _fail(str(exc), exc)
    if not started:
        raise typer.Exit(1)


@keys_app.command("create")
def keys_create(
    workspace: Annotated[int, typer.Option(min=1, help="The workspace the key may write to.")],
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "",
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (key included).")] = False,
) -> None:
    """Create a key. It is printed this once and stored only as a hash."""
    new = _run(lambda store: store.create_key(workspace, name), database_url)
    if as_json:
        typer.echo(json.dumps({**new.info.model_dump(mode="json"), "key": new.key}))
        return
    from ringback.simulator.store.api_key_format import export_lines

    label = f" ({new.info.name})" if new.info.name else ""
    typer.echo(
        f"Created key {new.info.id}{label} for workspace {workspace}. It is shown only this "
        f"once; store it now:\n\n    {new.key}\n\n"
        + "\n".join(f"    {line}" for line in export_lines(new.key, workspace).split("\n"))
    )


@keys_app.command("list")
def keys_list(
    workspace: Annotated[int | None, typer.Option(min=1, help="Only this workspace.")] = None,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List keys: id, workspace, name, created, revoked (never the key)."""
    found = _run(lambda store: store.list_keys(workspace), database_url)
    if as_json:
        typer.echo(json.dumps([k.model_dump(mode="json") for k in found]))
        return
    if not found:
        typer.echo("No keys. Create one with `ringback-sim keys create --workspace N`.")
        return
    rows = [("ID", "WORKSPACE", "NAME", "CREATED", "REVOKED")]
    for k in found:
        rows.append(
            (
                str(k.id),
                str(k.workspace_id),
                k.name or "-",
                k.created_at.strftime("%Y-%m-%d %H:%M:%SZ"),
                k.revoked_at.strftime("%Y-%m-%d %H:%M:%SZ") if k.revoked_at else "-",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[int, typer.Argument(metavar="ID", help="The key's id (see `keys list`).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a key: requests using it get 401 from then on."""
    info = _run(lambda store: store.revoke_key(key_id), database_url)
    if info is None:
        _fail(f"no key with id {key_id} (see `ringback-sim keys list`)")
    label = f" ({info.name})" if info.name else ""
    typer.echo(f"Key {info.id}{label} of workspace {info.workspace_id} is revoked.")


def _run(action: Any, database_url: str | None) -> Any:
    """Open the store, run `action(store)`, close it; schema problems end the command."""
    from ringback.simulator.store import SchemaError, Store

    async def main() -> Any:
        async with await Store.open(database_url) as store:
            return await action(store)

    try:
        return asyncio.run(main())
    except (SchemaError, ValueError) as exc:
        _fail(str(exc), exc)


def _fail(message: str, exc: BaseException | None = None) -> NoReturn:
    fail(Console(stderr=True), message, exc=exc)


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
