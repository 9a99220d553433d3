"""`ringback-sim verify [SUITE.yaml]`: check, step by step, that the agent can be dialled and
that the call it syncs back carries the dialled SIP Call-ID and X- headers.

Exit codes: 0 every step passed, 1 a step failed, 2 a configuration error (bad suite file,
endpoint options or environment), 130 interrupted.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from ringback.simulator.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED
from ringback.simulator.suite.choices import PASSWORD_ENV, Transport

from .console import fail, say

if TYPE_CHECKING:
    from ringback.simulator.verify.context import Collector
    from ringback.simulator.verify.models import VerifyReport

    Flow = Callable[[Collector], Awaitable[VerifyReport]]

TEXT_MAX_DURATION_S = 120.0
SIP_DURATION_MARGIN_S = 30.0
"""LiveKit ends a verify call by itself this long after its hold, should verify die."""


class TransportKind(str, Enum):
    SIP = "sip"
    TEXT = "text"


def _ask(question: str) -> str:
    answer: str = typer.prompt(question, hide_input=True)
    return answer


def verify_command(
    suite_file: Annotated[
        Path | None,
        typer.Argument(
            help="A suite YAML: its agent: is dialled and its test profile's X- headers sent."
        ),
    ] = None,
    sip_uri: Annotated[
        str | None,
        typer.Option(
            help="The agent's SIP URI, e.g. sip:agent@pbx.example.com:5060.",
            rich_help_panel="Endpoint",
        ),
    ] = None,
    sip_transport: Annotated[
        Transport | None,
        typer.Option(
            help="udp, tcp or tls (default: LiveKit chooses).", rich_help_panel="Endpoint"
        ),
    ] = None,
    username: Annotated[
        str | None, typer.Option(help="Digest auth user.", rich_help_panel="Endpoint")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            envvar=PASSWORD_ENV,
            show_envvar=True,
            show_default=False,
            help="Digest auth password for --username; prefer the environment variable "
            "(asked for, hidden, on a terminal when neither is given). Never printed.",
            rich_help_panel="Endpoint",
        ),
    ] = None,
    phone_number: Annotated[
        str | None,
        typer.Option(
            help="An E.164 number to dial through --trunk-id.", rich_help_panel="Endpoint"
        ),
    ] = None,
    trunk_id: Annotated[
        str | None,
        typer.Option(help="An existing LiveKit outbound trunk.", rich_help_panel="Endpoint"),
    ] = None,
    caller_number: Annotated[
        str | None,
        typer.Option(help="The number the call comes from.", rich_help_panel="Endpoint"),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            help="The suite's test profile whose X- headers the call carries (default: the "
            "first profile a scenario uses)."
        ),
    ] = None,
    transport: Annotated[
        TransportKind,
        typer.Option(
            help="sip: dial through the LiveKit SIP API. text: run the checks in-process "
            "against --agent in text mode (no telephony)."
        ),
    ] = TransportKind.SIP,
    agent: Annotated[
        str | None,
        typer.Option(
            metavar="MODULE:CLASS",
            help="With --transport text: the LiveKit Agent, as module:Class, module:function "
            "or path/to/agent.py:Class.",
        ),
    ] = None,
    agent_llm: Annotated[
        str | None,
        typer.Option(help="With --transport text: the agent's LLM when its class sets none."),
    ] = None,
    agent_name: Annotated[
        str | None,
        typer.Option(help="With --transport text: the agent name its call is synced under."),
    ] = None,
    hold: Annotated[
        float,
        typer.Option(min=0, help="Seconds the answered call is kept up before hanging up."),
    ] = 5.0,
    ringing_timeout: Annotated[
        float | None,
        typer.Option(min=1, help="Seconds to ring (default: the suite's, else 30)."),
    ] = None,
    sync_timeout: Annotated[
        float,
        typer.Option(min=0, help="Seconds to wait for the agent to sync the call back."),
    ] = 60.0,
    poll_interval: Annotated[
        float,
        typer.Option(min=0.001, help="Seconds between checks of the call and the collector."),
    ] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify an agent end to end: LiveKit credentials, the outbound trunk, one short call
    answered, the call synced back to the collector, and its SIP Call-ID and X- headers intact.
    Each failure says what to change."""
    from ringback.simulator.verify.checklist import Checklist
    from ringback.simulator.verify.inputs import (
        EndpointOptions,
        check_transport_options,
        delivery_keys,
        livekit_connection,
        load_suite_file,
    )
    from ringback.simulator.verify.render import redact, redact_steps, render, step_lines
    from ringback.simulator.verify.sip import STEPS as SIP_STEPS
    from ringback.simulator.verify.sip import SipOptions, verify_sip
    from ringback.simulator.verify.sync_steps import SyncSettings
    from ringback.simulator.verify.target import VerifyConfigError, verify_target
    from ringback.simulator.verify.text import STEPS as TEXT_STEPS
    from ringback.simulator.verify.text import TextOptions, verify_text

    out, err = Console(), Console(stderr=True)
    text = transport is TransportKind.TEXT
    given = EndpointOptions(
        sip_uri, sip_transport, username, password, phone_number, trunk_id, caller_number
    )
    secrets: list[str | None] = []
    checklist = Checklist(TEXT_STEPS if text else SIP_STEPS)
    flow: Flow
    try:
        check_transport_options(
            text, given, agent=agent, agent_llm=agent_llm, agent_name=agent_name
        )
        suite, warnings = load_suite_file(suite_file, text=text)
        for warning in warnings:
            say(err, f"warning: {warning}")
        endpoint = None if text else given.endpoint(_ask if sys.stdin.isatty() else None)
        duration = TEXT_MAX_DURATION_S if text else hold + SIP_DURATION_MARGIN_S
        target = verify_target(suite, endpoint, profile=profile, max_duration_s=duration, text=text)
        if target.endpoint.password is not None:
            secrets.append(target.endpoint.password.get_secret_value())
        sync = SyncSettings(timeout_s=sync_timeout, poll_interval_s=poll_interval)
        if text:
            assert agent is not None
            options = TextOptions(agent=agent, agent_llm=agent_llm, agent_name=agent_name)

            async def flow(collector: Collector) -> VerifyReport:
                return await verify_text(target, options, collector, sync=sync, checklist=checklist)

        else:
            connection = livekit_connection()
            secrets.append(connection.api_secret)
            sip = SipOptions(
                hold_s=hold, ringing_timeout_s=ringing_timeout, poll_interval_s=poll_interval
            )

            async def flow(collector: Collector) -> VerifyReport:
                return await verify_sip(
                    target, connection, collector, options=sip, sync=sync, checklist=checklist
                )

        report = asyncio.run(_with_collector(flow))
    except VerifyConfigError as exc:
        if as_json:
            print(json.dumps({"error": str(exc)}, indent=2))
        fail(err, str(exc), exc=exc)
    except (KeyboardInterrupt, asyncio.CancelledError):
        decided = redact_steps(checklist.steps, [*secrets, *delivery_keys()])
        if as_json:
            steps = [step.model_dump(mode="json") for step in decided]
            print(json.dumps({"error": "interrupted", "steps": steps}, indent=2))
        else:
            for step in decided:
                for line in step_lines(step):
                    say(out, line)
        say(err, "interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    report = redact(report, [*secrets, *delivery_keys()])
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        for line in render(report):
            say(out, line)
    raise typer.Exit(0 if report.ok else EXIT_FAILED)


async def _with_collector(flow: Flow) -> VerifyReport:
    from ringback.simulator.verify.inputs import open_collector

    collector = await open_collector()
    try:
        return await flow(collector)
    finally:
        await collector.store.close()


__all__ = ["verify_command"]
