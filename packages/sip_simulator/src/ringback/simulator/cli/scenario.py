"""`ringback-sim scenario from-call CALL`: a stored call drafted into a test scenario."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from .console import fail, say

if TYPE_CHECKING:
    from ringback.simulator.store import StoredCall

scenario_app = typer.Typer(
    help="Draft test scenarios from real calls.", no_args_is_help=True, add_completion=False
)


@scenario_app.command("from-call")
def from_call(
    call: Annotated[
        str,
        typer.Argument(
            metavar="CALL",
            help="The stored call: its record id (the number on its page, /calls/ID) or its "
            "call_id.",
        ),
    ],
    suite_file: Annotated[
        Path | None,
        typer.Option(
            "--suite",
            help="Append the scenario to this suite file (its other lines are left as they "
            "are); without it, print the scenario.",
        ),
    ] = None,
) -> None:
    """Turn a stored call from the collector (RINGBACK_COLLECTOR_DATABASE_URL, workspace
    RINGBACK_WORKSPACE_ID) into a scenario: the caller's words as scripted turns, and
    assertions drafted from what the agent did (tools called with their arguments, nodes
    reached, who hung up). Edit it before you rely on it: it asserts what happened, not what
    should."""
    import asyncio

    import yaml

    from ringback.core.settings import load_settings
    from ringback.simulator.collector.settings import CollectorSettings
    from ringback.simulator.evaluate.draft import (
        FromCallError,
        append_scenario,
        draft_scenario,
        scenario_id_for,
        scenario_yaml,
    )
    from ringback.simulator.store import Store

    out, err = Console(), Console(stderr=True)
    taken: set[str] = set()
    if suite_file is not None:
        if not suite_file.is_file():
            fail(err, f"--suite {suite_file}: no such file; give the suite file to append to")
        data = yaml.safe_load(suite_file.read_text(encoding="utf-8")) or {}
        taken = {str(s.get("id")) for s in data.get("scenarios") or [] if isinstance(s, dict)}
    workspace_id = load_settings().workspace_id

    async def find() -> StoredCall:
        async with await Store.open(CollectorSettings().database_url) as store:
            if call.isdigit():
                found = await store.get_call(workspace_id, int(call))
                if found is not None:
                    return found
            matches = await store.calls_with_id(workspace_id, call)
        if not matches:
            raise FromCallError(
                f"no call {call!r} in workspace {workspace_id} of this collector (give its "
                "record id or call_id; see the collector's pages)"
            )
        if len(matches) > 1:
            ids = ", ".join(f"#{m.id} ({m.agent_id})" for m in matches)
            raise FromCallError(f"call_id {call!r} names {len(matches)} calls: {ids}; give one id")
        return matches[0]

    try:
        stored = asyncio.run(find())
        scenario = draft_scenario(stored.body, scenario_id=scenario_id_for(stored.call_id, taken))
    except FromCallError as exc:
        fail(err, str(exc), exc=exc)
    if suite_file is None:
        say(out, "scenarios:\n" + scenario_yaml(scenario).rstrip())
        return
    try:
        append_scenario(suite_file, scenario)
    except FromCallError as exc:
        say(out, "scenarios:\n" + scenario_yaml(scenario).rstrip())
        fail(err, str(exc), exc=exc)
    say(
        out,
        f"added scenario {scenario['id']} ({len(scenario['turns'])} turns, "
        f"{len(scenario['assertions'])} assertions) to {suite_file}: edit its assertions to "
        "what the agent should do",
    )
