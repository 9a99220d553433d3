"""`verify` over SIP in the test's event loop: the LiveKit stand-in, a real collector on
127.0.0.1, and a one-call way to run the verify steps against both."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from ringback.livekit.testing import LiveKitStandIn
from ringback.simulator.dial.connection import LiveKitConnection
from ringback.simulator.suite.models import AgentEndpoint
from ringback.simulator.verify.checklist import Checklist
from ringback.simulator.verify.context import Collector
from ringback.simulator.verify.models import Shape, Step, StepId, StepStatus, VerifyReport
from ringback.simulator.verify.sip import SipOptions, verify_sip
from ringback.simulator.verify.sync_steps import SyncSettings
from ringback.simulator.verify.target import verify_target

from .collector_server import RunningCollector, running_collector
from .dialing import support_suite

FAST = SipOptions(hold_s=0, poll_interval_s=0.005)
LINKS = SyncSettings(timeout_s=10, poll_interval_s=0.01)
"""For calls that link: verify returns as soon as they do."""
NO_LINK = SyncSettings(timeout_s=0.2, poll_interval_s=0.01)
"""For calls that never link: a short wait, then the diagnosis."""


@dataclass
class Rig:
    standin: LiveKitStandIn
    collector: RunningCollector

    def connection(self, *, secret: str | None = None, url: str | None = None) -> LiveKitConnection:
        return LiveKitConnection(
            url or self.standin.url, self.standin.api_key, secret or self.standin.api_secret
        )

    async def verify(
        self,
        endpoint: AgentEndpoint | None = None,
        *,
        sync: SyncSettings = LINKS,
        connection: LiveKitConnection | None = None,
        profile: str | None = None,
        checklist: Checklist | None = None,
    ) -> VerifyReport:
        """Verify the support suite's agent (or `endpoint`) with a zero-second hold;
        `checklist` receives the steps as they are decided."""
        target = verify_target(support_suite(), endpoint, profile=profile, max_duration_s=30.0)
        return await verify_sip(
            target,
            connection or self.connection(),
            Collector(self.collector.store, 1),
            options=FAST,
            sync=sync,
            checklist=checklist,
        )


@contextlib.asynccontextmanager
async def verify_rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with LiveKitStandIn() as standin, running_collector(tmp_path) as collector:
        yield Rig(standin, collector)


def step(report: VerifyReport, step_id: StepId) -> Step:
    return next(s for s in report.steps if s.id == step_id)


def statuses(report: VerifyReport) -> dict[StepId, StepStatus]:
    return {s.id: s.status for s in report.steps}


def shapes(report: VerifyReport, step_id: StepId) -> list[Shape]:
    return [f.shape for f in step(report, step_id).findings]
