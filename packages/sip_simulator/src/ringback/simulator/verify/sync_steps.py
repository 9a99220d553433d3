"""The two steps both transports share: the agent syncs the call back (linked to the verify
result within the timeout), and the synced call carries the dialled Call-ID and X- headers."""

from __future__ import annotations

from dataclasses import dataclass

from ringback.core.secrets import masked
from ringback.simulator.store import StoredCall

from .checklist import Checklist
from .diagnosis import Expected, diagnose
from .models import Shape, StepId, SyncedCall, SyncedCallProblem
from .store import Candidate, Registration

MAX_NAMED = 5
"""Unrelated calls named, at most, when nothing links."""


@dataclass(frozen=True)
class SyncSettings:
    timeout_s: float = 60.0
    """How long to wait for the agent's side to arrive linked."""
    poll_interval_s: float = 1.0


def synced_call(call: StoredCall) -> SyncedCall:
    headers = call.body.get("sip_headers")
    return SyncedCall(
        id=call.id,
        agent_id=call.agent_id,
        call_id=call.call_id,
        linked=call.linked,
        linked_by=call.linked_by,
        sip_call_id=call.sip_call_id,
        sip_headers=masked(headers) if isinstance(headers, dict) else {},
    )


async def check_sync(
    checklist: Checklist,
    registration: Registration,
    expected: Expected,
    settings: SyncSettings,
    *,
    not_synced: SyncedCallProblem,
    wait: bool = True,
) -> tuple[StoredCall | None, StoredCall | None]:
    """(the linked agent-side call, or None; the unlinked call diagnosed instead, or None)."""
    checklist.start()
    timeout = settings.timeout_s if wait else 0.0
    call, waited = await registration.wait_for_agent_call(
        timeout_s=timeout, poll_interval_s=settings.poll_interval_s
    )
    if call is not None:
        checklist.passed(
            StepId.SYNC,
            f"agent call {call.call_id!r} (agent {call.agent_id}) arrived, linked by "
            f"{call.linked_by}, {waited:.1f} s after the call ended",
        )
        return call, None
    nothing = f"no call linked to result {registration.result_id} within {timeout:g} s"
    evidence = [
        registration.result_id,
        registration.call.run_id,
        expected.sip_call_id,
        expected.livekit_call_id,
    ]
    candidates = await registration.candidates(evidence)
    if not candidates:
        checklist.failed(
            StepId.SYNC,
            f"{nothing}, and no unlinked call arrived either",
            findings=[not_synced],
        )
        return None, None
    best = candidates[0]
    if best.mentions == 0:
        checklist.failed(
            StepId.SYNC,
            f"{nothing}; {_unrelated(candidates)}",
            findings=[not_synced, *_if_verify_call(best.call, expected)],
        )
        return None, None
    others = f" ({len(candidates)} arrived; the likeliest shown)" if len(candidates) > 1 else ""
    findings = diagnose(best.call.body, expected) or [
        SyncedCallProblem(
            shape=Shape.NOT_SYNCED,
            detail="it carries the verify call's ids but was not linked yet",
            fix="Run verify again with a longer --sync-timeout.",
        )
    ]
    checklist.failed(
        StepId.SYNC,
        f"{nothing}; an unlinked call arrived instead: {best.call.call_id!r} from agent "
        f"{best.call.agent_id}{others}, which does not link because",
        findings=findings,
    )
    return None, best.call


def _unrelated(candidates: list[Candidate]) -> str:
    """The calls that arrived meanwhile mentioning none of the verify call's ids, as a hint
    (newest first, ids only)."""
    ids = [repr(c.call.call_id) for c in candidates[:MAX_NAMED]]
    more = len(candidates) - len(ids)
    named = ", ".join(ids) + (f" and {more} more" if more > 0 else "")
    calls = "call" if len(candidates) == 1 else "calls"
    return (
        f"{len(candidates)} unrelated {calls} arrived meanwhile, mentioning none of its ids "
        f"(newest first: {named})"
    )


def _if_verify_call(call: StoredCall, expected: Expected) -> list[SyncedCallProblem]:
    """The diagnosis of `call`, each finding labelled as holding only if it is the verify
    call."""
    prefix = f"if {call.call_id!r} (agent {call.agent_id}) is the verify call, "
    return [
        finding.model_copy(update={"detail": prefix + finding.detail})
        for finding in diagnose(call.body, expected)
    ]


def check_correlation(checklist: Checklist, call: StoredCall, expected: Expected) -> bool:
    """Pass when `call` carries exactly the dialled Call-ID and every injected X- header."""
    checklist.start()
    findings = diagnose(call.body, expected)
    if findings:
        return checklist.failed(
            StepId.CORRELATION,
            "the synced call does not carry everything that was dialled:",
            findings=findings,
        )
    names = ", ".join(expected.headers)
    return checklist.passed(
        StepId.CORRELATION,
        f"Call-ID {expected.sip_call_id!r} and all {len(expected.headers)} X- headers "
        f"({names}) came back intact",
    )


__all__ = ["SyncSettings", "check_correlation", "check_sync", "synced_call"]
