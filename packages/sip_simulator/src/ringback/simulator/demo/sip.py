"""`ringback-sim demo --transport sip`: the demo's loop over real SIP, through any LiveKit
server with SIP (self-hosted, or LiveKit Cloud).

On that server it sets up, idempotently, the demo agent's inbound trunk (forwarding the X-
headers) and a dispatch rule that dispatches the agent by name, then runs the demo agent and
the simulated callers as workers in this process (both with Ringback's offline voices) and
dials the bundled suite through an outbound trunk to the agent's SIP address. Each call
carries X-Run-Id, X-Scenario-Id, X-Result-Id, X-Correlation-Id and its test profile's X-
headers; the agent's plugin and the caller sync both sides back to the demo's collector,
which links them to their results.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from livekit.agents import AgentServer

from ringback.core.errors import RingbackError
from ringback.simulator.batch.conclude import Conclusion, conclude_run
from ringback.simulator.batch.outcome import CallOutcome, OutcomeStatus, RunSummary
from ringback.simulator.batch.runner import BatchRunner
from ringback.simulator.batch.store_sink import CollectorRunStore
from ringback.simulator.caller import build_server
from ringback.simulator.dial.connection import LiveKitConnection
from ringback.simulator.dial.inbound import AgentLine, AgentLineSetup, InboundManager
from ringback.simulator.dial.transport import SipTransport
from ringback.simulator.plan import RunPlan, plan_run
from ringback.simulator.suite.models import Suite

from .agent import LINES
from .voice_agent import voice_entrypoint
from .workers import in_process_options, running_worker

DEMO_NUMBER = "ringback-demo"
"""The user part the demo dials (`sip:ringback-demo@<sip address>`): its inbound trunk's number."""
DEMO_AGENT = "ringback-demo-support"
DEMO_CALLER = "ringback-demo-caller"
SIP_ADDRESS_ENV = "LIVEKIT_SIP_ADDRESS"
LINK_TIMEOUT_S = 30.0


class SipDemoConfigError(RingbackError, ValueError):
    """The demo cannot dial: the message says what to set."""


class SipDemoError(RingbackError, RuntimeError):
    """The demo could not run over SIP: the message says why and what to check."""


@dataclass(frozen=True)
class SipDemoTarget:
    """Where the demo dials: a LiveKit server and the address its SIP service answers on."""

    connection: LiveKitConnection
    sip_address: str
    """host[:port] of the LiveKit SIP service (LiveKit Cloud: the project's SIP host)."""

    @classmethod
    def from_env(
        cls, sip_address: str | None, env: Mapping[str, str] | None = None
    ) -> SipDemoTarget:
        env = os.environ if env is None else env
        connection = LiveKitConnection.from_env(env)  # LiveKitConfigError names what is missing
        address = (sip_address or env.get(SIP_ADDRESS_ENV, "")).strip()
        if not address:
            raise SipDemoConfigError(
                f"say where your LiveKit SIP service answers: --sip-address HOST[:PORT] or "
                f"{SIP_ADDRESS_ENV} (self-hosted: the host and port of livekit-sip; LiveKit "
                "Cloud: your project's SIP URI host from the Telephony settings, e.g. "
                "1a2b3c4d.sip.livekit.cloud)"
            )
        if "@" in address or address.startswith("sip:") or "/" in address:
            raise SipDemoConfigError(
                f"--sip-address {address!r} should be HOST[:PORT] only, e.g. 127.0.0.1:5060"
            )
        return cls(connection, address)


def sip_suite_text(bundled: str, target: SipDemoTarget) -> str:
    """The bundled suite, dialling the demo agent at `target` with offline voices."""
    data: dict[str, Any] = yaml.safe_load(bundled)
    data["agent"] = {"sip_uri": f"sip:{DEMO_NUMBER}@{target.sip_address}", "transport": "tcp"}
    data["livekit"] = {"caller_agent_name": DEMO_CALLER}
    data["caller"] = {"stt": "offline", "tts": "offline", "hints": list(LINES)}
    data["run"] = {
        **data.get("run", {}),
        # each call runs two real-time voice sessions here: two at once keep a 2-core laptop
        # in real time (three fell behind and misheard)
        "concurrency": 2,
        "max_call_duration": "60s",
        "ringing_timeout": "20s",
        "link_timeout": f"{LINK_TIMEOUT_S:g}s",
        "dial_retry": {"attempts": 1},
    }
    header = (
        "# ringback-sim demo --transport sip: the bundled suite over real SIP, through the\n"
        f"# LiveKit server at LIVEKIT_URL to the demo agent at {target.sip_address}.\n"
    )
    body: str = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return header + body


def agent_line() -> AgentLine:
    return AgentLine(number=DEMO_NUMBER, agent_name=DEMO_AGENT, room_prefix="ringback-demo-call-")


def agent_server(agent_name: str = DEMO_AGENT) -> AgentServer:
    """The demo agent under test as an `AgentServer` living in this process."""
    server = AgentServer(**in_process_options())
    server.rtc_session(voice_entrypoint, agent_name=agent_name)
    return server


@dataclass
class SipRun:
    """What the SIP part of the demo did."""

    setup: AgentLineSetup
    summary: RunSummary
    outcomes: list[CallOutcome]
    """Each call's SIP facts: Call-ID, answer time, failure."""
    conclusion: Conclusion


async def run_over_sip(
    suite: Suite,
    target: SipDemoTarget,
    results_dir: Path,
    *,
    database_url: str,
    workspace_id: int,
    report_dir: Path,
    line: AgentLine | None = None,
    plan: RunPlan | None = None,
    agent: AgentServer | None = None,
) -> SipRun:
    """Set up the agent's `line` (default: the demo's), run the agent (default: the demo
    agent, as `line.agent_name`) and the callers (`suite.livekit.caller_agent_name`) as
    workers in this process, dial `plan` (default: a new plan of `suite`), then conclude the
    run, waiting for both sides of every answered call while the workers still deliver."""
    line = line or agent_line()
    plan = plan or plan_run(suite)
    store = CollectorRunStore(results_dir)
    secret = target.connection.api_secret
    callers = build_server(agent_name=suite.livekit.caller_agent_name, **in_process_options())
    async with target.connection.open(concurrency=suite.run.concurrency) as lkapi:
        try:
            setup = await InboundManager(lkapi, fingerprint_key=secret).ensure(line)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise SipDemoError(
                f"could not reach the LiveKit server at {target.connection.url} "
                f"({type(exc).__name__}: {exc}); check LIVEKIT_URL"
            ) from None
        agent = agent or agent_server(line.agent_name)
        async with running_worker(agent), running_worker(callers):
            transport = SipTransport(lkapi, fingerprint_key=secret, poll_interval_s=0.5)
            runner = BatchRunner(suite, transport, sink=store.sink(plan.run_id))
            summary = await runner.run(plan)
            outcomes = store.previous(plan.run_id)
            answered = {o.result_id for o in outcomes if o.status is OutcomeStatus.COMPLETED}
            conclusion = await conclude_run(
                database_url,
                workspace_id,
                plan.run_id,
                suite,
                answered=answered,
                link_timeout_s=suite.run.link_timeout.total_seconds(),
                report_dir=report_dir,
                caller_sides=True,
            )
    return SipRun(setup, summary, outcomes, conclusion)


__all__ = [
    "DEMO_AGENT",
    "DEMO_CALLER",
    "DEMO_NUMBER",
    "SipDemoConfigError",
    "SipDemoError",
    "SipDemoTarget",
    "SipRun",
    "agent_line",
    "agent_server",
    "run_over_sip",
    "sip_suite_text",
]
