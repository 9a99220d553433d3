"""`RingbackPlugin`: one LiveKit Agents call -> Timeline -> outbox -> Create Call API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from livekit import rtc
from livekit.agents import (
    AgentSession,
    AgentStateChangedEvent,
    CloseEvent,
    ConversationItemAddedEvent,
    ErrorEvent,
    FunctionToolsExecutedEvent,
    JobContext,
    SessionUsageUpdatedEvent,
    get_job_context,
)
from livekit.agents import __version__ as agents_version
from ringback.core.contract import CallType, DisconnectionReason
from ringback.core.correlation import Correlation
from ringback.core.delivery import SubmitResult
from ringback.core.ending import CallEnding
from ringback.core.options import IntegrationOptions, RecordingUrlResolver
from ringback.core.recorder import CallRecorder
from ringback.core.settings import Sink
from ringback.core.timeline import CostCalculator

from .close_reason import departure_name, disconnection_reason
from .history import HistoryRecorder
from .sip_participant import CALLER_KINDS, CallerTracker, Direction, Party, fetch_remote_headers
from .usage import apply_usage

logger = logging.getLogger("ringback.livekit")

DEFAULT_DELIVERY_DEADLINE = 3.0
"""Seconds a finished call may spend being sent before the job moves on (it is on disk first).

LiveKit kills a job that overruns `shutdown_process_timeout` (10 s by default); what is not
delivered by then stays in the outbox and the next worker start sends it. An explicit
`delivery_deadline` (keyword or `RINGBACK_DELIVERY_DEADLINE`) replaces this."""

LOOKUP_WAIT = 1.0
"""Seconds a call that ends while `lk.sip.GetRemoteHeaders` is still out waits for its answer."""

CLOSE_WAIT = 2.0
"""Seconds the job's shutdown callback waits for a still-running session to close (LiveKit's
own shutdown callback closes it concurrently), so its last turns are in the call."""


class RingbackPlugin:
    """Records one LiveKit Agents call and syncs it to a Create Call API backend.

    Construct it in the job's entrypoint, before `session.start()`::

        session = AgentSession(...)
        RingbackPlugin(session, ctx)
        await session.start(MyAgent(), room=ctx.room)

    It follows the session's events (turns with latency, tool calls and results, agent
    handoffs, usage, errors) and the room's participants (the SIP caller's Call-ID, X- headers
    and phone numbers). When the session closes, or the job shuts down, whichever comes first,
    the call is written to the outbox and then delivered within `delivery_deadline` seconds;
    what is not delivered is sent by the next worker start.

    `ctx` defaults to the current job context. Every other keyword except `direction` is a
    field of `ringback.core.IntegrationOptions`, as for `RingbackObserver` (`sip_correlation_id`
    is its `sip_call_id`; it beats the SIP participant's `sip.callIDFull`, and `sip_headers`
    beat its `sip.h.*` attributes). Here `call_type` defaults to `phone_call` when a SIP participant
    took part, and `delivery_deadline` to `DEFAULT_DELIVERY_DEADLINE`. `direction` overrides the
    inbound/outbound detection (`sip.ruleID`). `enabled=False` (or `RINGBACK_ENABLED=false`)
    makes it do nothing.

    Nothing here raises into the agent: a problem is logged and the call is kept if it can be.
    """

    def __init__(
        self,
        session: AgentSession[Any],
        ctx: JobContext | None = None,
        *,
        sip_correlation_id: str | None = None,
        sip_headers: Mapping[str, str] | None = None,
        call_id: str | None = None,
        call_type: CallType | str | None = None,
        agent_version: int | None = None,
        recording_url: str | RecordingUrlResolver | None = None,
        metadata: Mapping[str, Any] | None = None,
        cost_calculator: CostCalculator | None = None,
        direction: Direction | None = None,
        enabled: bool | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        workspace_id: int | None = None,
        agent_id: str | None = None,
        outbox_dir: str | Path | None = None,
        delivery_deadline: float | None = None,
        request_timeout: float | None = None,
        extra_sinks: Sequence[Sink] | None = None,
    ) -> None:
        self._session = session
        self._ctx: JobContext | None = None
        self._recorder: CallRecorder | None = None
        self._tracker = CallerTracker(direction=_direction(direction))
        self._items: HistoryRecorder | None = None
        self._handlers: list[tuple[Any, str, Callable[..., None]]] = []
        self._deadline = DEFAULT_DELIVERY_DEADLINE
        self._session_started_at: float | None = None
        self._closed = asyncio.Event()
        self._finish_task: asyncio.Task[SubmitResult] | None = None
        self._lookup_task: asyncio.Task[bool] | None = None
        self._result: SubmitResult | None = None
        self._ending = CallEnding()
        self._failed: set[str] = set()
        try:
            options = IntegrationOptions(
                sip_call_id=sip_correlation_id,
                sip_headers=sip_headers,
                call_id=call_id,
                call_type=call_type,
                agent_version=agent_version,
                recording_url=recording_url,
                metadata=metadata,
                cost_calculator=cost_calculator,
                enabled=enabled,
                base_url=base_url,
                api_key=api_key,
                workspace_id=workspace_id,
                agent_id=agent_id,
                outbox_dir=outbox_dir,
                delivery_deadline=delivery_deadline,
                request_timeout=request_timeout,
                extra_sinks=extra_sinks,
            )
            settings = options.load_settings()
            if not settings.enabled:
                logger.debug("ringback: disabled (RINGBACK_ENABLED=false); not recording")
                return
            if "delivery_deadline" in settings.model_fields_set:
                self._deadline = settings.delivery_deadline
            self._ctx = ctx if ctx is not None else get_job_context(required=False)
            agent_hint = (self._ctx.job.agent_name or None) if self._ctx is not None else None
            self._recorder = CallRecorder.from_options(
                options, settings=settings, agent_hint=agent_hint
            )
            self._items = HistoryRecorder(self._recorder.timeline)
            self._attach()
        except Exception:
            logger.exception("ringback: could not attach to the session; this call is not recorded")
            self._detach()
            self._recorder = None

    # ── public ────────────────────────────────────────────────────────────────
    @property
    def enabled(self) -> bool:
        """False when disabled by settings, or when attaching failed."""
        return self._recorder is not None

    @property
    def call_id(self) -> str | None:
        """The call's id (the Create Call API idempotency key)."""
        return self._recorder.call_id if self._recorder is not None else None

    @property
    def result(self) -> SubmitResult | None:
        """What happened to the call once it has been handed over (None before)."""
        return self._result

    def set_disconnection_reason(self, reason: DisconnectionReason | str) -> None:
        """Say how the call ended (e.g. ``"user_hangup"`` when your code knows the caller
        left); it beats the reason read from the session's close and the room. Call it before
        the call ends."""
        self._ending.set_disconnection_reason(reason)

    async def finish(self) -> SubmitResult | None:
        """End the call now if it has not ended, and wait until it is on disk and delivered
        (or left in the outbox at the deadline). Idempotent; never raises.

        You rarely need this: the session's close and the job's shutdown do it.
        """
        task = self._begin_finish()
        if task is None:
            return None
        try:
            return await asyncio.shield(task)
        except Exception:  # the task logs its own failures
            return None

    # ── wiring ────────────────────────────────────────────────────────────────
    def _attach(self) -> None:
        session = self._session
        self._on(session, "agent_state_changed", self._on_agent_state)
        self._on(session, "conversation_item_added", self._on_item)
        self._on(session, "function_tools_executed", self._on_tools)
        self._on(session, "session_usage_updated", self._on_usage)
        self._on(session, "error", self._on_error)
        self._on(session, "close", self._on_close)
        self._note_models()
        ctx = self._ctx
        if ctx is not None:
            room = ctx.room
            self._on(room, "participant_connected", self._on_participant)
            self._on(room, "participant_attributes_changed", self._on_attributes)
            self._on(room, "participant_disconnected", self._on_participant_left)
            with self._guard("remote_participants"):
                for participant in list(room.remote_participants.values()):
                    self._observe(participant)
            # Participants already in the room when the job connects fire no
            # participant_connected; the job context hands them to participant entrypoints.
            with self._guard("add_participant_entrypoint"):
                ctx.add_participant_entrypoint(self._participant_entry, kind=sorted(CALLER_KINDS))
            ctx.add_shutdown_callback(self._on_job_shutdown)
        if self._recorder is not None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return  # constructed outside the event loop: old outbox entries wait
            self._recorder.start()

    def _on(self, emitter: Any, event: str, handler: Callable[..., None]) -> None:
        emitter.on(event, handler)
        self._handlers.append((emitter, event, handler))

    def _detach(self) -> None:
        for emitter, event, handler in self._handlers:
            with contextlib.suppress(Exception):
                emitter.off(event, handler)
        self._handlers.clear()

    @contextlib.contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        """Keep an exception in the plugin; log it with its traceback once per kind."""
        try:
            yield
        except Exception:
            if what not in self._failed:
                self._failed.add(what)
                logger.exception("ringback: error handling %s (the call is still recorded)", what)
            else:
                logger.debug("ringback: error handling %s again", what, exc_info=True)

    def _note_models(self) -> None:
        if self._recorder is None:
            return
        with self._guard("models"):
            models = self._recorder.timeline.models
            for kind in ("stt", "llm", "tts"):
                model = getattr(getattr(self._session, kind, None), "model", None)
                if isinstance(model, str) and model and model != "unknown":
                    models.note(**{kind: model})

    # ── session events ────────────────────────────────────────────────────────
    def _session_event(self, created_at: float) -> None:
        if self._session_started_at is None:
            self._session_started_at = created_at

    def _on_agent_state(self, ev: AgentStateChangedEvent) -> None:
        with self._guard("agent_state_changed"):
            self._session_event(ev.created_at)

    def _on_item(self, ev: ConversationItemAddedEvent) -> None:
        with self._guard("conversation_item_added"):
            self._session_event(ev.created_at)
            if self._items is not None:
                self._items.add(ev.item)

    def _on_tools(self, ev: FunctionToolsExecutedEvent) -> None:
        with self._guard("function_tools_executed"):
            if self._items is not None:
                for call, output in ev.zipped():
                    self._items.tool_call(call)
                    self._items.tool_output(output)

    def _on_usage(self, ev: SessionUsageUpdatedEvent) -> None:
        with self._guard("session_usage_updated"):
            if self._recorder is not None:
                apply_usage(self._recorder.timeline, ev.usage)

    def _on_error(self, ev: ErrorEvent) -> None:
        with self._guard("error"):
            if self._recorder is None:
                return
            timeline = self._recorder.timeline
            error = ev.error
            cause = getattr(error, "error", error)
            source = getattr(error, "label", None) or getattr(error, "type", None)
            recoverable = getattr(error, "recoverable", None)
            message = f"{type(cause).__name__}: {cause}"
            if recoverable is not None:
                message += " (recoverable)" if recoverable else " (unrecoverable)"
            timeline.record_error(
                message,
                at_ms=timeline.clock.from_wall(ev.created_at),
                source=str(source) if source else None,
            )

    def _on_close(self, ev: CloseEvent) -> None:
        with self._guard("close"):
            self._closed.set()
            if ev.error is not None and self._recorder is not None:
                timeline = self._recorder.timeline
                cause = getattr(ev.error, "error", ev.error)
                timeline.record_error(
                    f"{type(cause).__name__}: {cause}",
                    at_ms=timeline.clock.from_wall(ev.created_at),
                    source=getattr(ev.error, "label", None) or "session",
                    fatal=True,
                )
            self._begin_finish(close=ev)

    # ── room events ───────────────────────────────────────────────────────────
    def _on_participant(self, participant: rtc.RemoteParticipant) -> None:
        with self._guard("participant_connected"):
            self._observe(participant)

    def _on_attributes(self, changed: Mapping[str, str], participant: rtc.Participant) -> None:
        with self._guard("participant_attributes_changed"):
            self._observe(participant)

    def _on_participant_left(self, participant: rtc.RemoteParticipant) -> None:
        with self._guard("participant_disconnected"):
            self._tracker.departed(participant)

    async def _participant_entry(self, ctx: JobContext, participant: rtc.RemoteParticipant) -> None:
        with self._guard("participant entrypoint"):
            self._observe(participant)

    def _observe(self, participant: Any) -> None:
        if self._recorder is None or self._finish_task is not None:
            return
        party = self._tracker.observe(participant)
        if party is None:
            return
        correlation = self._tracker.correlation()
        if correlation is not None:
            self._recorder.note_correlation(correlation)
        if self._tracker.lookup.status == "not_tried" and not _has_x_headers(party):
            self._lookup_task = asyncio.ensure_future(self._lookup_headers(party.identity))

    async def _lookup_headers(self, identity: str) -> bool:
        if self._ctx is None:
            return False
        answered = await fetch_remote_headers(self._ctx.room, identity, self._tracker.lookup)
        if answered and self._recorder is not None and self._finish_task is None:
            with self._guard("GetRemoteHeaders"):
                correlation = self._tracker.correlation()
                if correlation is not None:
                    self._recorder.note_correlation(correlation)
        return answered

    # ── the end of the call ───────────────────────────────────────────────────
    async def _on_job_shutdown(self, reason: str) -> None:
        """The job's shutdown callback: runs after the room has disconnected."""
        try:
            if self._session_started_at is not None and not self._closed.is_set():
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._closed.wait(), CLOSE_WAIT)
            task = self._begin_finish(shutdown=reason)
            if task is not None:
                await asyncio.wait_for(asyncio.shield(task), self._deadline + CLOSE_WAIT + 3.0)
        except Exception:
            logger.exception("ringback: error while finishing the call at job shutdown")

    def _begin_finish(
        self, *, close: CloseEvent | None = None, shutdown: str | None = None
    ) -> asyncio.Task[SubmitResult] | None:
        if self._recorder is None:
            return None
        if self._finish_task is None:
            ended_at = close.created_at if close is not None else time.time()
            self._detach()
            self._finish_task = asyncio.ensure_future(self._finish(close, shutdown, ended_at))
        return self._finish_task

    async def _finish(
        self, close: CloseEvent | None, shutdown: str | None, ended_at: float
    ) -> SubmitResult:
        recorder = self._recorder
        assert recorder is not None
        lookup = self._lookup_task
        if lookup is not None and not lookup.done():
            # A call shorter than the lookup: its answer may carry the call's correlation.
            await asyncio.wait({lookup}, timeout=LOOKUP_WAIT)
            lookup.cancel()
        reason: DisconnectionReason | None = None
        end_ms: float | None = None
        with self._guard("the end of the call"):
            reason, end_ms = self._prepare(recorder, close, shutdown, ended_at)
        result = await recorder.finish(
            disconnection_reason=reason, end_ms=end_ms, deadline=self._deadline
        )
        self._result = result
        if result.delivered or result.disabled:
            logger.info("ringback: %s", result.summary())
        else:
            logger.warning("ringback: %s", result.summary())
        return result

    def _prepare(
        self,
        recorder: CallRecorder,
        close: CloseEvent | None,
        shutdown: str | None,
        ended_at: float,
    ) -> tuple[DisconnectionReason, float]:
        """Fold in what only the end knows; returns the disconnection reason and end time."""
        timeline = recorder.timeline
        if self._items is not None:
            with self._guard("session history"):
                self._items.reconcile(self._session.history.items)
        with self._guard("session usage"):
            apply_usage(timeline, self._session.usage)

        tracker = self._tracker
        caller = tracker.caller
        correlation = tracker.correlation()
        if correlation is not None:
            recorder.note_correlation(correlation)
            warning = tracker.missing_headers_warning(recorder.correlation)
            if warning is not None:
                recorder.note_correlation(Correlation(warnings=(warning,)))
        if tracker.is_sip:
            recorder.note_sip_participant()

        departure: int | None = None
        if caller is not None and caller.left_at is not None and caller.left_at <= ended_at:
            departure = caller.departure
            ended_at = caller.left_at
        started_at = self._call_start(caller)
        if started_at is not None:
            timeline.mark_start(timeline.clock.from_wall(started_at))
        reason = disconnection_reason(
            close=close.reason if close is not None else None,
            departure=departure,
            shutdown=shutdown,
            ending=self._ending,
        )
        timeline.set_metadata("livekit", self._livekit_metadata(close, shutdown, departure))
        return reason, timeline.clock.from_wall(ended_at)

    def _call_start(self, caller: Party | None) -> float | None:
        """When the call started: the SIP leg coming up, else the earliest of the caller
        joining and the session running."""
        if caller is not None and caller.is_sip and caller.started_at is not None:
            return caller.started_at
        candidates = [self._session_started_at]
        if self._items is not None:
            candidates.append(self._items.first_at)
        if caller is not None:
            candidates.append(caller.joined_at)
        known = [c for c in candidates if c is not None]
        return min(known) if known else None

    def _livekit_metadata(
        self, close: CloseEvent | None, shutdown: str | None, departure: int | None
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {"agents_version": agents_version}
        ctx = self._ctx
        if ctx is not None:
            with self._guard("job info"):
                job = ctx.job
                meta.update(job_id=job.id, room=job.room.name, agent_name=job.agent_name or None)
        if close is not None:
            meta["close_reason"] = close.reason.value
        if shutdown is not None:
            meta["shutdown_reason"] = shutdown
        if departure is not None:
            meta["caller_disconnect_reason"] = departure_name(departure)
        if self._tracker.is_sip:
            meta["direction"] = self._tracker.call_direction()
            meta["remote_headers"] = self._tracker.lookup.status
        return {k: v for k, v in meta.items() if v is not None}


def _has_x_headers(party: Party) -> bool:
    return any(k.lower().startswith("sip.h.x-") for k in party.attributes)


def _direction(value: object) -> Direction | None:
    if value == "inbound" or value == "outbound":
        return value
    if value is None:
        return None
    logger.error("ringback: direction must be 'inbound' or 'outbound', not %r; ignored", value)
    return None
