"""`verify --transport text`: the same checks in-process against a LiveKit `Agent` class, in
AgentSession text mode (no telephony): the agent loads → a short text call runs → its
`RingbackPlugin` syncs it to the collector → it carries the synthetic Call-ID and X- headers.

As in `ringback-sim run --transport text`, the simulator attaches the plugin to the agent's
session (as an entrypoint would) with the planned headers and the synthetic Call-ID
`<result_id>@text.ringback.invalid`, so this checks the agent, the plugin's delivery settings
(`RINGBACK_*`) and the collector, not the telephony.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from livekit.agents.utils import is_given

from ringback.core.settings import RingbackSettings, load_settings
from ringback.simulator.batch.outcome import CallOutcome, OutcomeStatus
from ringback.simulator.text import (
    AgentFactory,
    AgentImportError,
    TextCallSettings,
    load_agent,
    run_text_call,
    synthetic_call_id,
)

from .checklist import Checklist
from .context import Collector, new_report
from .diagnosis import Expected
from .models import Shape, StepId, SyncedCallProblem, VerifyReport
from .store import register
from .sync_steps import SyncSettings, check_correlation, check_sync, synced_call
from .target import VerifyTarget

STEPS = (
    (StepId.AGENT, "Agent loads"),
    (StepId.CALL, "Text call"),
    (StepId.SYNC, "Call synced back"),
    (StepId.CORRELATION, "Call-ID and X- headers"),
)
AGENT_SIDE_WARNING = "the agent's side of the call:"
"""How a text call's outcome reports the agent side's failed delivery."""


@dataclass(frozen=True)
class TextOptions:
    agent: str
    """`module:Class`, `module:function` or `path/to/agent.py:Class`."""
    agent_llm: Any = None
    """The agent's LLM when its class sets none (a model string, an `LLM`, or a factory);
    default: the suite's `caller.llm`."""
    agent_name: str | None = None
    """The agent name its call is synced under (default: `RINGBACK_AGENT_ID`, else the class
    or function name)."""


INFERENCE_ENV = ("LIVEKIT_URL", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")
NO_INFERENCE_FIX = (
    "Pass --agent-llm MODEL or give the agent an llm=: a model string (the suite's caller.llm "
    "included) runs on LiveKit Inference, which needs LIVEKIT_URL, LIVEKIT_API_KEY and "
    "LIVEKIT_API_SECRET; an llm= such as openai.LLM() uses its own provider's key."
)


def fallback_llm(options: TextOptions, suite_llm: str, *, suite_given: bool) -> str:
    """Which LLM an agent without its own gets, and why, in words."""
    llm = options.agent_llm
    if llm is not None and not isinstance(llm, str):
        return f"the {type(llm).__name__} given as its LLM"
    needs = f"it needs {', '.join(INFERENCE_ENV)} and makes billed calls to that project"
    if llm is not None:
        return f"{llm} from --agent-llm, a LiveKit Inference model ({needs})"
    whose = "the suite's caller.llm" if suite_given else "the default caller LLM"
    return f"{suite_llm}, {whose}, a LiveKit Inference model ({needs}; --agent-llm picks another)"


def check_agent(
    checklist: Checklist, options: TextOptions, fallback: str
) -> tuple[AgentFactory | None, bool]:
    """Step 1: the reference imports and makes an `Agent`. Returns the factory (None on
    failure) and whether the agent brings its own LLM; `fallback` says which LLM it gets
    otherwise, and why."""
    checklist.start()
    try:
        factory = load_agent(options.agent)
    except AgentImportError as exc:
        checklist.failed(
            StepId.AGENT,
            str(exc),
            "Give --agent as module:Class (a no-argument constructor), module:function "
            "returning an Agent, or path/to/agent.py:Class; run from the folder that holds "
            "the module.",
        )
        return None, False
    try:
        agent = factory()
    except Exception as exc:
        checklist.failed(
            StepId.AGENT,
            f"{options.agent}: making the agent failed: {type(exc).__name__}: {exc}",
            "Fix the agent's constructor: every call makes a fresh agent with no arguments.",
        )
        return None, False
    own = is_given(agent.llm) and agent.llm is not None
    brain = "its own LLM" if own else f"no LLM of its own: the call uses {fallback}"
    checklist.passed(StepId.AGENT, f"{options.agent} makes a {type(agent).__name__} ({brain})")
    return factory, own


def _needs_inference_credentials(reason: str) -> bool:
    return any(name in reason for name in INFERENCE_ENV)


def check_text_call(checklist: Checklist, outcome: CallOutcome, *, own_llm: bool = True) -> bool:
    """Step 2: the agent answered and the call ended without an error on its side.
    `own_llm`: whether the agent brings its own LLM (else a missing LiveKit Inference
    credential is the likely failure)."""
    if outcome.status is OutcomeStatus.COMPLETED and outcome.end_reason != "error":
        duration = f"{outcome.duration_s:.1f} s" if outcome.duration_s is not None else "briefly"
        detail = f"the agent answered; the call ended after {duration} ({outcome.end_reason})"
        extra = [w for w in outcome.warnings if not w.startswith(AGENT_SIDE_WARNING)]
        return checklist.passed(StepId.CALL, "; ".join([detail, *extra]))
    reason = outcome.reason or outcome.status.value
    if "sets no LLM" in reason:
        fix = "Give the agent an LLM: --agent-llm provider/model, or llm= in its constructor."
    elif not own_llm and _needs_inference_credentials(reason):
        fix = NO_INFERENCE_FIX
    elif outcome.status is OutcomeStatus.FAILED:
        fix = "Fix the agent: it could not be made or started (the log has the traceback)."
    elif outcome.end_reason == "error":
        fix = "Fix the error the agent raised during the call (the log has the traceback)."
    else:
        fix = "See the reason; the log has the traceback."
    return checklist.failed(StepId.CALL, reason, fix)


def delivery_problem(outcome: CallOutcome, settings: RingbackSettings) -> str | None:
    """Why the agent's side cannot have reached a collector: delivery is off, or the
    outcome's warning that it was not delivered (it waits in the outbox)."""
    if not settings.enabled:
        return "RINGBACK_ENABLED is false, so the plugin recorded and sent nothing"
    return next((w for w in outcome.warnings if w.startswith(AGENT_SIDE_WARNING)), None)


def not_synced(
    problem: str | None, settings: RingbackSettings, collector: Collector
) -> SyncedCallProblem:
    """What to change when the agent's side never reached the collector verify reads."""
    if problem is not None and not settings.enabled:
        fix = "Unset RINGBACK_ENABLED (or set it to true) where the agent runs."
    elif problem is not None:
        fix = (
            f"Start the collector (`ringback-sim serve`) and point RINGBACK_BASE_URL (now "
            f"{settings.base_url}) and RINGBACK_API_KEY at it, with a key of workspace "
            f"{collector.workspace_id}; what was not delivered waits in the outbox "
            f"({settings.outbox_dir}) and `ringback outbox flush` sends it."
        )
    else:
        problem = (
            f"the plugin delivered the call to {settings.base_url}, but it is not in the "
            f"collector database verify reads ({collector.description})"
        )
        fix = (
            "Point RINGBACK_BASE_URL at the collector that uses RINGBACK_COLLECTOR_DATABASE_URL "
            "(or set that variable to the database of the collector at RINGBACK_BASE_URL)."
        )
    return SyncedCallProblem(shape=Shape.NOT_SYNCED, detail=problem, fix=fix)


async def verify_text(
    target: VerifyTarget,
    options: TextOptions,
    collector: Collector,
    *,
    sync: SyncSettings,
    checklist: Checklist | None = None,
) -> VerifyReport:
    """Run the text-transport steps in order; the ones after a failure are skipped.
    `checklist` (a `Checklist(STEPS)`) holds the steps decided so far, should the run be
    interrupted."""
    checklist = checklist if checklist is not None else Checklist(STEPS)
    report = new_report(target, collector, "text")
    report.target = options.agent
    suite, call = target.suite, target.call
    llm = options.agent_llm or suite.caller.llm
    fallback = fallback_llm(options, suite.caller.llm, suite_given=target.suite_name is not None)
    factory, own_llm = check_agent(checklist, options, fallback)
    if factory is None:
        report.steps = checklist.finish()
        return report
    registration = await register(
        collector.store,
        collector.workspace_id,
        call,
        name=target.run_name(options.agent),
        transport="text",
    )
    dialled = synthetic_call_id(call.result_id)
    report.dialled_sip_call_id = dialled
    try:
        await registration.set_dialled_call_id(dialled)
        checklist.start()
        outcome = await run_text_call(
            call,
            TextCallSettings(
                agent=factory,
                agent_llm=llm,
                agent_name=options.agent_name,
                caller_agent_name=suite.livekit.caller_agent_name,
            ),
        )
        if check_text_call(checklist, outcome, own_llm=own_llm):
            settings = load_settings()
            problem = delivery_problem(outcome, settings)
            expected = Expected(dialled, call.headers)
            linked, candidate = await check_sync(
                checklist,
                registration,
                expected,
                sync,
                not_synced=not_synced(problem, settings, collector),
                wait=problem is None,
            )
            shown = linked or candidate
            report.synced_call = synced_call(shown) if shown is not None else None
            if linked is not None:
                check_correlation(checklist, linked, expected)
    finally:
        await registration.finish()
    report.steps = checklist.finish()
    return report


__all__ = [
    "INFERENCE_ENV",
    "NO_INFERENCE_FIX",
    "STEPS",
    "TextOptions",
    "check_agent",
    "check_text_call",
    "delivery_problem",
    "fallback_llm",
    "not_synced",
    "verify_text",
]
