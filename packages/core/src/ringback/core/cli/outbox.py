"""`ringback outbox list|show|flush|retry-dead`: inspect and empty the delivery outbox."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

# The outbox's own modules are light; delivery (HTTP) and settings load in the commands that
# use them, so `ringback --help` starts fast.
from ringback.core.delivery.envelope import CorruptEntry, entry_key, parse_envelope, read_header
from ringback.core.delivery.outbox import DEAD, PENDING, QUARANTINE, EntryRef, Outbox

if TYPE_CHECKING:
    from ringback.core.delivery.results import FlushReport
    from ringback.core.settings import RingbackSettings

outbox_app = typer.Typer(
    help="Inspect and flush calls waiting to be delivered.", no_args_is_help=True
)

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)

OutboxDir = Annotated[
    Path | None,
    typer.Option(
        "--outbox-dir",
        help="Outbox directory (default: RINGBACK_OUTBOX_DIR, else the per-user state folder).",
        file_okay=False,
    ),
]

_STATE_LABEL = {PENDING: "pending", DEAD: "dead", QUARANTINE: "quarantined"}
_STYLE = {  # by `DeliveryStatus` value
    "delivered": "green",
    "already_stored": "green",
    "rejected": "red",
    "quarantined": "red",
    "error": "red",
    "not_persisted": "red",
}


def _settings(outbox_dir: Path | None) -> RingbackSettings:
    from pydantic import ValidationError

    from ringback.core.settings import RingbackSettings

    try:
        return RingbackSettings(outbox_dir=outbox_dir) if outbox_dir else RingbackSettings()
    except ValidationError as exc:
        _err.print(f"[red]Invalid Ringback settings:[/red]\n{escape(str(exc))}")
        raise typer.Exit(2) from None


def _age(mtime: float) -> str:
    seconds = max(time.time() - mtime, 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError


def _call_id(box: Outbox, ref: EntryRef) -> str:
    """The entry's call_id, wherever it lives now."""
    for state in (ref.state, PENDING):
        head = read_header(box.entry_path(ref.sink, ref.key, state))
        if head:
            return str(head["call_id"])
    return f"? ({ref.path.name})"


def _last_error(box: Outbox, ref: EntryRef) -> str:
    info = box.last_error(ref.sink, ref.key, ref.state)
    if not info:
        return ""
    status = info.get("http_status")
    text = info.get("message") or info.get("error") or info.get("reason") or ""
    attempts = info.get("attempts")
    prefix = f"HTTP {status}: " if status and not str(text).startswith("HTTP") else ""
    plural = "s" if attempts != 1 else ""
    suffix = f" ({attempts} attempt{plural})" if attempts and ref.state == PENDING else ""
    return f"{prefix}{text}{suffix}"


@outbox_app.command("list")
def list_entries(
    outbox_dir: OutboxDir = None,
    limit: Annotated[int, typer.Option(help="Show at most this many entries.")] = 50,
) -> None:
    """Show per sink how many calls are pending, dead-lettered or quarantined, and list them."""
    from rich.table import Table

    settings = _settings(outbox_dir)
    box = Outbox(settings.outbox_dir)
    _out.print(f"Outbox: [bold]{escape(str(box.root))}[/bold]")
    configured = [s.name for s in settings.sinks()]
    sinks = sorted(set(configured) | set(box.sinks()), key=lambda n: (n not in configured, n))
    refs = {state: box.entries(state) for state in (PENDING, DEAD, QUARANTINE)}
    if not any(refs.values()):
        _out.print("Empty: every call has been delivered.")
        return

    counts = Table(title="Per sink", title_justify="left")
    for col in ("sink", "pending", "dead", "quarantined"):
        counts.add_column(col, justify="left" if col == "sink" else "right")
    for sink in sinks:
        n = {s: sum(r.sink == sink for r in refs[s]) for s in refs}
        label = sink if sink in configured else f"{sink} [dim](not configured)[/dim]"
        counts.add_row(label, str(n[PENDING]), str(n[DEAD]), str(n[QUARANTINE]))
    _out.print(counts)

    table = Table(title="Entries (oldest first)", title_justify="left")
    for col in ("state", "sink", "call_id", "age", "size", "last error"):
        table.add_column(col, overflow="fold")
    every = [r for state in (PENDING, DEAD, QUARANTINE) for r in refs[state]]
    for ref in every[:limit]:
        table.add_row(
            _STATE_LABEL[ref.state],
            ref.sink,
            escape(_call_id(box, ref)),
            _age(ref.mtime),
            _size(ref.size),
            escape(_last_error(box, ref)),
        )
    _out.print(table)
    if len(every) > limit:
        _out.print(f"... and {len(every) - limit} more (use --limit).")
    if refs[DEAD]:
        _out.print(
            "Dead letters were rejected by the server: fix the cause, then run "
            "`ringback outbox retry-dead`."
        )


@outbox_app.command()
def show(
    call_id: Annotated[str, typer.Argument(help="The call's call_id.")],
    outbox_dir: OutboxDir = None,
) -> None:
    """Print a call's JSON body (as it will be sent) from the outbox."""
    box = Outbox(_settings(outbox_dir).outbox_dir)
    key = entry_key(call_id)
    found = [
        box.entry_path(sink, key, state)
        for state in (PENDING, DEAD, QUARANTINE)
        for sink in box.sinks()
        if box.entry_path(sink, key, state).is_file()
    ]
    if not found:
        _err.print(f"No call {call_id!r} in the outbox at {box.root}.")
        raise typer.Exit(1)
    where = ", ".join(str(p.relative_to(box.root)) for p in found)
    _err.print(f"[dim]{escape(where)}[/dim]")
    try:
        body = json.loads(parse_envelope(found[0].read_bytes()).body)
    except (OSError, CorruptEntry) as exc:
        _err.print(f"[red]{escape(str(found[0]))} is unreadable:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    typer.echo(json.dumps(body, indent=2, ensure_ascii=False))


@outbox_app.command()
def flush(
    outbox_dir: OutboxDir = None,
    deadline: Annotated[
        float, typer.Option(help="Seconds to keep retrying before giving up.", min=0.1)
    ] = 30.0,
) -> None:
    """Send every pending call now. Exits 1 if anything is still pending afterwards."""
    settings = _settings(outbox_dir)
    if not settings.enabled:
        _err.print("Delivery is disabled (RINGBACK_ENABLED=false); nothing sent.")
    from ringback.core.delivery.delivery import Delivery

    try:
        delivery = Delivery(settings)
    except ValueError as exc:
        _err.print(f"[red]Invalid sink settings:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None

    async def run() -> FlushReport:
        try:
            return await delivery.flush(deadline=deadline)
        finally:
            await delivery.aclose()

    report = asyncio.run(run())
    if report.error:
        _err.print(f"[red]Flush failed:[/red] {escape(report.error)}")
    for o in report.outcomes:
        style = _STYLE.get(o.status.value, "yellow")
        http = f" HTTP {o.http_status}" if o.http_status else ""
        why = f": {escape(o.error)}" if o.error else ""
        _out.print(
            f"[{style}]{o.status.value:<15}[/{style}] {o.sink:<10} {escape(o.call_id)}{http}{why}"
        )
    box = Outbox(settings.outbox_dir)
    configured = {s.name for s in settings.sinks()}
    pending = {s: len(box.entries(PENDING, s)) for s in box.sinks()}
    for sink, n in pending.items():
        if n and sink not in configured:
            _err.print(
                f"[yellow]{n} call(s) pending for sink {sink!r}, which is not configured "
                "(extra_sinks); left as they are.[/yellow]"
            )
    left = sum(pending.values())
    if not report.outcomes and not left:
        _out.print("Nothing to send.")
    else:
        _out.print(f"{report.delivered} delivered, {left} still pending.")
    if left or report.error:
        raise typer.Exit(1)


@outbox_app.command("retry-dead")
def retry_dead(
    call_ids: Annotated[
        list[str] | None, typer.Argument(help="Only these calls (default: every dead letter).")
    ] = None,
    outbox_dir: OutboxDir = None,
    sink: Annotated[str | None, typer.Option(help="Only this sink's dead letters.")] = None,
) -> None:
    """Move dead letters back to pending, to be sent again by the next flush."""
    box = Outbox(_settings(outbox_dir).outbox_dir)
    moved, skipped = box.retry_dead(call_ids or None, sink=sink)
    for ref in moved:
        _out.print(f"pending again: {escape(_call_id(box, ref))} (sink {ref.sink})")
    for ref in skipped:
        _err.print(
            f"[yellow]kept in dead/: {escape(_call_id(box, ref))} (sink {ref.sink}): a newer "
            "pending copy of the call exists[/yellow]"
        )
    _out.print(f"{len(moved)} dead letter(s) moved back to pending.")
    if call_ids:
        done = {r.key for r in moved} | {r.key for r in skipped}
        missing = [c for c in call_ids if entry_key(c) not in done]
        if missing:
            _err.print(f"No dead letter for: {', '.join(missing)}")
            raise typer.Exit(1)
