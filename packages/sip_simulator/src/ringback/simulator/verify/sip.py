"""`verify` over SIP: LiveKit credentials → outbound trunk → one short call answered → the
agent syncs it back → it carries the dialled Call-ID and X- headers."""

from __future__ import annotations

from dataclasses import dataclass

from ringback.simulator.dial.connection import LiveKitConnection
from ringback.simulator.dial.dialer import DialSettings
from ringback.simulator.suite.models import DialRetry

from .call import place_test_call
from .checklist import Checklist
from .context import Collector, new_report
from .diagnosis import Expected
from .livekit_steps import check_answered, check_credentials, check_trunk
from .models import Shape, StepId, SyncedCallProblem, VerifyReport
from .store import register
from .sync_steps import SyncSettings, check_correlation, check_sync, synced_call
from .target import VerifyTarget

STEPS = (
    (StepId.CREDENTIALS, "LiveKit credentials"),
    (StepId.TRUNK, "Outbound trunk"),
    (StepId.CALL, "Test call answered"),
    (StepId.SYNC, "Call synced back"),
    (StepId.CORRELATION, "Call-ID and X- headers"),
)


@dataclass(frozen=True)
class SipOptions:
    hold_s: float = 5.0
    """How long the answered call is kept up before Ringback hangs up."""
    ringing_timeout_s: float | None = None
    """Default: the suite's `run.ringing_timeout`."""
    poll_interval_s: float = 1.0
    """Seconds between reads of the call while it is held."""


def not_synced(collector: Collector) -> SyncedCallProblem:
    return SyncedCallProblem(
        shape=Shape.NOT_SYNCED,
        detail="the agent did not sync the call to this collector",
        fix=f"On the agent's machine check that RINGBACK_BASE_URL points at this collector "
        f"(verify reads {collector.description}, workspace {collector.workspace_id}), "
        "RINGBACK_API_KEY is a key of that workspace, RingbackPlugin(session, ctx) or "
        "RingbackObserver is attached, and RINGBACK_ENABLED is not false; `ringback outbox "
        "list` there shows calls not delivered yet. If the agent syncs well after the call "
        "ends, raise --sync-timeout.",
    )


async def verify_sip(
    target: VerifyTarget,
    connection: LiveKitConnection,
    collector: Collector,
    *,
    options: SipOptions,
    sync: SyncSettings,
    checklist: Checklist | None = None,
) -> VerifyReport:
    """Run the SIP steps in order; the ones after a failure are skipped. `checklist` (a
    `Checklist(STEPS)`) holds the steps decided so far, should the run be interrupted."""
    checklist = checklist if checklist is not None else Checklist(STEPS)
    report = new_report(target, collector, "sip")
    suite, call, endpoint = target.suite, target.call, target.endpoint
    ringing = options.ringing_timeout_s or suite.run.ringing_timeout.total_seconds()
    async with connection.open(concurrency=1) as lkapi:
        if not await check_credentials(checklist, lkapi, connection):
            return _done(report, checklist)
        trunk_id = await check_trunk(
            checklist, lkapi, endpoint, fingerprint_key=connection.api_secret
        )
        if trunk_id is None:
            return _done(report, checklist)
        settings = DialSettings(
            trunk_id=trunk_id,
            sip_call_to=endpoint.dial_target,
            caller_number=endpoint.caller_number or "",
            caller_agent_name=suite.livekit.caller_agent_name,
            ringing_timeout_s=ringing,
            retry=DialRetry(attempts=1),
        )
        registration = await register(
            collector.store,
            collector.workspace_id,
            call,
            name=target.run_name(target.description),
            transport="sip",
        )
        try:
            checklist.start()
            placed = await place_test_call(
                lkapi,
                call,
                settings,
                hold_s=options.hold_s,
                poll_interval_s=options.poll_interval_s,
                on_call_id=registration.set_dialled_call_id,
            )
            report.dialled_sip_call_id = placed.sip_call_id
            report.livekit_call_id = placed.livekit_call_id
            if check_answered(checklist, placed, ringing_timeout_s=ringing):
                expected = Expected(
                    placed.sip_call_id,
                    call.headers,
                    placed.livekit_call_id,
                    unknown=placed.unknown_call_id(),
                )
                linked, candidate = await check_sync(
                    checklist, registration, expected, sync, not_synced=not_synced(collector)
                )
                shown = linked or candidate
                report.synced_call = synced_call(shown) if shown is not None else None
                if linked is not None:
                    check_correlation(checklist, linked, expected)
        finally:
            await registration.finish()
    return _done(report, checklist)


def _done(report: VerifyReport, checklist: Checklist) -> VerifyReport:
    report.steps = checklist.finish()
    return report


__all__ = ["STEPS", "SipOptions", "not_synced", "verify_sip"]
