"""`RingbackObserver`: one Pipecat call's frames -> Timeline -> outbox -> Create Call API."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    CancelFrame,
    EndFrame,
    ErrorFrame,
    Frame,
    FunctionCallCancelFrame,
    FunctionCallInProgressFrame,
    FunctionCallResultFrame,
    InterruptionFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMMessagesAppendFrame,
    LLMMessagesUpdateFrame,
    LLMRunFrame,
    LLMSetToolsFrame,
    LLMTextFrame,
    MetricsFrame,
    StartFrame,
    StopFrame,
    TranscriptionFrame,
    TTSTextFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import (
    BaseObserver,
    FrameProcessed,
    FramePushed,
    ProcessorSetUp,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.utils.asyncio.task_manager import BaseTaskManager
from ringback.core.contract import CallType, DisconnectionReason
from ringback.core.correlation import Correlation, Provider
from ringback.core.delivery import Delivery, SubmitResult
from ringback.core.options import IntegrationOptions, RecordingUrlResolver
from ringback.core.recorder import CallRecorder
from ringback.core.settings import RingbackSettings, Sink
from ringback.core.timeline import CallClock, CostCalculator

from .ending import PipelineEnding
from .flows import FlowLike, FlowWatcher
from .metrics import MetricsRecorder
from .telephony import correlation_from_payload
from .tools import ToolTracker
from .turns import TurnTracker

logger = logging.getLogger("ringback.pipecat")

DEFAULT_END_TIMEOUT = 60.0
"""Seconds after an `EndFrame`/`CancelFrame` within which the worker is expected to finish;
past that (a processor stuck on the end frame) the call is finalised anyway."""

F = TypeVar("F", bound=Frame)

FrameHandler = Callable[[F, FramePushed, float], None]
"""A handler of the frame type `F`: (the frame, the push, pipeline-clock ms)."""

Handler = FrameHandler[Any]
"""A `FrameHandler` of some frame type, as the observer's routes hold it: `_frame_routes`
type-checks each handler against its frame type, and `_resolve` hands a handler only frames
of that type or a subclass."""

SPOKEN: frozenset[type[Frame]] = frozenset({TTSTextFrame})
_NOTHING: frozenset[type[Frame]] = frozenset()


class RingbackObserver(BaseObserver):
    """Records one Pipecat call and syncs it to a Create Call API backend.

    Register it on the worker that runs the call (one observer per call)::

        observer = RingbackObserver(sip_call_id=call_id_from_your_transport)
        worker = PipelineWorker(
            pipeline,
            observers=[observer],
            params=PipelineParams(enable_metrics=True, enable_usage_metrics=True),
        )
        ...
        await runner.run()
        await observer.flush()

    It reads user turns (final transcriptions), agent turns (what was spoken), interruptions,
    per-turn latency, tool calls, usage, model names, errors and, with `watch_flow`, Pipecat
    Flows transitions. When the worker tears its observers down (after an `EndFrame`, a
    `CancelFrame`, a fatal error, or a pipeline that never started), the call is written to
    the outbox and delivered in a background task that `flush()` awaits.

    Every keyword except `correlation`, `telephony`, `telephony_provider` and `end_timeout` is
    a field of `ringback.core.IntegrationOptions`, as for `RingbackPlugin`: `sip_call_id` /
    `sip_headers` beat whatever correlation is read from a telephony payload (`telephony=` or
    `note_telephony`, or a ready `correlation=`); `clock` is the call's time base when the
    pipeline runs on a custom clock (its origin is the pipeline clock's zero).

    Nothing here raises into the pipeline: a problem is logged and the call is kept.
    """

    def __init__(
        self,
        *,
        sip_call_id: str | None = None,
        sip_headers: Mapping[str, str] | None = None,
        call_id: str | None = None,
        call_type: CallType | str | None = None,
        agent_version: int | None = None,
        recording_url: str | RecordingUrlResolver | None = None,
        metadata: Mapping[str, Any] | None = None,
        cost_calculator: CostCalculator | None = None,
        correlation: Correlation | None = None,
        telephony: Mapping[str, Any] | BaseModel | str | bytes | None = None,
        telephony_provider: Provider | str | None = None,
        enabled: bool | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        workspace_id: int | None = None,
        agent_id: str | None = None,
        outbox_dir: str | Path | None = None,
        delivery_deadline: float | None = None,
        request_timeout: float | None = None,
        extra_sinks: Sequence[Sink] | None = None,
        settings: RingbackSettings | None = None,
        delivery: Delivery | None = None,
        clock: CallClock | None = None,
        end_timeout: float | None = DEFAULT_END_TIMEOUT,
    ) -> None:
        super().__init__(observe_every_push=False)
        options = IntegrationOptions(
            sip_call_id=sip_call_id,
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
            settings=settings,
            delivery=delivery,
            clock=clock,
        )
        settings = options.load_settings()
        self._recorder = CallRecorder.from_options(options, settings=settings)
        timeline = self._recorder.timeline
        self._turns = TurnTracker()
        self._tools = ToolTracker(timeline)
        self._metrics = MetricsRecorder(timeline, self._turns)
        self._flows = FlowWatcher(timeline, self._tools)
        self._ending = PipelineEnding()
        self._enabled: bool = bool(settings.enabled)
        self._active = self._enabled
        self._anchored = clock is not None
        self._last_ms: float | None = None
        self._end_timeout = end_timeout
        self._watchdog: asyncio.TimerHandle | None = None
        self._delivery: asyncio.Future[SubmitResult] | None = None
        self._routes = self._frame_routes()
        self._ignored: set[type[Frame]] = set()
        self._handlers: dict[type[Frame], Handler] = {}
        self._outputs: set[object] = set()
        """Processors that push the bot's speaking frames: the pipeline's audio output."""
        self._spoken: frozenset[type[Frame]] = _NOTHING
        self._failures: set[str] = set()
        if correlation is not None:
            self.note_correlation(correlation)
        if telephony is not None:
            self.note_telephony(telephony, telephony_provider)

    # ── public ────────────────────────────────────────────────────────────────
    @property
    def enabled(self) -> bool:
        return self._enabled

    @property
    def call_id(self) -> str:
        """The call's id (the Create Call idempotency key)."""
        return str(self._recorder.call_id)

    @property
    def recorder(self) -> CallRecorder:
        """The underlying `CallRecorder` (its `timeline`, `correlation`, `record`)."""
        return self._recorder

    @property
    def result(self) -> SubmitResult | None:
        """What delivery did, once it is done."""
        task = self._delivery
        if task is None or not task.done() or task.cancelled():
            return None
        return task.result()

    def note_correlation(self, correlation: Correlation) -> None:
        """Merge correlation read elsewhere (explicit `sip_call_id`/`sip_headers` still win)."""
        try:
            self._recorder.note_correlation(correlation)
        except Exception:
            logger.exception("ringback: could not note the call's correlation")

    def note_telephony(
        self,
        payload: Mapping[str, Any] | BaseModel | str | bytes,
        provider: Provider | str | None = None,
    ) -> Correlation:
        """Read correlation from a telephony payload (a media stream's ``start`` message,
        Daily dial-in settings, a webhook body) with `extract_correlation`, and merge it."""
        correlation = correlation_from_payload(payload, provider)
        self.note_correlation(correlation)
        return correlation

    def watch_flow(self, flow_manager: FlowLike) -> None:
        """Record the node transitions of a `pipecat.flows.FlowManager` (call it before
        `flow_manager.initialize()` to see the first node)."""
        self._flows.watch(flow_manager)

    def set_disconnection_reason(self, reason: DisconnectionReason | str) -> None:
        """Say how the call ended (e.g. ``"user_hangup"`` from the transport's
        ``on_client_disconnected``); it beats the reason inferred from the end frame."""
        self._ending.set_disconnection_reason(reason)

    async def flush(self, timeout: float | None = None) -> SubmitResult | None:
        """Finalise the call if the worker has not, and wait for its delivery (at most
        `timeout` seconds; None waits for the delivery deadline). The call is on disk before
        the first attempt; what is not delivered is retried by the next flusher. Never raises.
        """
        self._finalize()
        task = self._delivery
        if task is None:
            return None
        try:
            return await asyncio.wait_for(asyncio.shield(task), timeout)
        except TimeoutError:
            return None
        except Exception:
            logger.exception("ringback: delivery of call %r failed", self.call_id)
            return None

    # ── BaseObserver ──────────────────────────────────────────────────────────
    async def setup(self, task_manager: BaseTaskManager) -> None:
        await super().setup(task_manager)
        if self._active:
            self._recorder.start()

    async def cleanup(self) -> None:
        """The worker tears its observers down once the pipeline is over, however it ended."""
        await super().cleanup()  # type: ignore[no-untyped-call]  # Pipecat's is untyped
        self._finalize()

    async def on_processor_setup(self, data: ProcessorSetUp) -> None:
        if self._active:
            try:
                self._metrics.processor_set_up(data.processor)
            except Exception:
                self._failed("processor setup")

    async def on_push_frame(self, data: FramePushed) -> None:
        frame_cls = data.frame.__class__
        if frame_cls in self._ignored:  # audio above all: one set lookup
            return
        handler = self._handlers.get(frame_cls) or self._resolve(frame_cls)
        if handler is not None:
            self._handle(handler, data)

    async def on_process_frame(self, data: FrameProcessed) -> None:
        if data.frame.__class__ in self._spoken:
            self._confirm_spoken(data)

    # ── dispatch ──────────────────────────────────────────────────────────────
    def _frame_routes(self) -> dict[type[Frame], Handler]:
        """The frame types the observer reads, and the handler of each; a subclass is handled
        as its nearest listed base. Every other type (audio above all) costs one set lookup."""
        routes: dict[type[Frame], Handler] = {}

        def route(frame_type: type[F], handler: FrameHandler[F]) -> None:
            routes[frame_type] = handler

        route(StartFrame, self._on_start)
        route(EndFrame, self._on_end)
        route(CancelFrame, self._on_end)
        route(StopFrame, self._on_end)
        route(ErrorFrame, self._on_error)
        route(VADUserStartedSpeakingFrame, self._on_vad_started)
        route(VADUserStoppedSpeakingFrame, self._on_vad_stopped)
        route(UserStartedSpeakingFrame, self._on_user_started)
        route(UserStoppedSpeakingFrame, self._on_user_stopped)
        route(TranscriptionFrame, self._on_transcription)
        route(BotStartedSpeakingFrame, self._on_bot_started)
        route(BotStoppedSpeakingFrame, self._on_bot_stopped)
        route(TTSTextFrame, self._on_tts_text)
        route(InterruptionFrame, self._on_interruption)
        route(LLMFullResponseStartFrame, self._on_response_started)
        route(LLMTextFrame, self._on_response_text)
        route(LLMFullResponseEndFrame, self._on_response_ended)
        route(FunctionCallInProgressFrame, self._on_tool_started)
        route(FunctionCallResultFrame, self._on_tool_result)
        route(FunctionCallCancelFrame, self._on_tool_cancelled)
        route(MetricsFrame, self._on_metrics)
        # Frames a Pipecat Flows transition queues; reading them is what times the transition.
        route(LLMMessagesAppendFrame, self._on_flow_frame)
        route(LLMMessagesUpdateFrame, self._on_flow_frame)
        route(LLMSetToolsFrame, self._on_flow_frame)
        route(LLMRunFrame, self._on_flow_frame)
        route(LLMContextFrame, self._on_flow_frame)
        return routes

    def _resolve(self, cls: type[Frame]) -> Handler | None:
        """The handler of a frame type seen for the first time: its nearest base's along the
        MRO (None: ignore the type). Either way the answer is cached for the type."""
        for base in cls.__mro__:
            handler = self._routes.get(base)
            if handler is not None:
                self._handlers[cls] = handler
                return handler
        self._ignored.add(cls)
        return None

    def _handle(self, handler: Handler, data: FramePushed) -> None:
        if not self._active:
            return
        frame = data.frame
        if frame.broadcast_sibling_id is not None and data.direction is FrameDirection.UPSTREAM:
            return  # the upstream copy of a broadcast frame; the downstream one counts
        at = data.timestamp / 1_000_000
        if self._last_ms is None or at > self._last_ms:
            self._last_ms = at
        try:
            if not self._anchored:
                self._anchor_clock(data)
            handler(frame, data, at)
            if self._flows.watching:
                self._flows.poll(at)
        except Exception:
            self._failed(getattr(handler, "__name__", "frame"))

    def _failed(self, what: str) -> None:
        if what not in self._failures:
            self._failures.add(what)
            logger.exception("ringback: error recording %s (the call goes on)", what)

    def _anchor_clock(self, data: FramePushed) -> None:
        """Make the timeline's origin the pipeline clock's zero, so that frame timestamps are
        its offsets and its wall-clock start is right."""
        self._anchored = True
        try:
            elapsed_ns = data.source.get_clock().get_time()
        except Exception:
            return  # keep the recorder's own clock
        self._recorder.timeline.clock = CallClock(
            wall_origin=time.time() - elapsed_ns / 1e9,
            mono_origin_ns=time.monotonic_ns() - elapsed_ns,
        )

    # ── frame handlers (frame, data, pipeline-clock ms) ───────────────────────
    def _on_start(self, frame: StartFrame, data: FramePushed, at: float) -> None:
        self._recorder.timeline.mark_start(at)

    def _on_end(self, frame: Frame, data: FramePushed, at: float) -> None:
        if self._ending.seen:
            return
        self._ending.note(frame, at)
        if self._end_timeout is not None and self._end_timeout > 0:
            loop = asyncio.get_running_loop()
            self._watchdog = loop.call_later(self._end_timeout, self._end_timed_out)

    def _on_error(self, frame: ErrorFrame, data: FramePushed, at: float) -> None:
        source = frame.processor.name if frame.processor is not None else None
        self._recorder.timeline.record_error(
            str(frame.error), at_ms=at, source=source, fatal=bool(frame.fatal)
        )

    def _on_vad_started(
        self, frame: VADUserStartedSpeakingFrame, data: FramePushed, at: float
    ) -> None:
        self._turns.vad_started(at, frame.start_secs)

    def _on_vad_stopped(
        self, frame: VADUserStoppedSpeakingFrame, data: FramePushed, at: float
    ) -> None:
        self._turns.vad_stopped(at, frame.stop_secs)

    def _on_user_started(
        self, frame: UserStartedSpeakingFrame, data: FramePushed, at: float
    ) -> None:
        self._turns.user_started(at)

    def _on_user_stopped(
        self, frame: UserStoppedSpeakingFrame, data: FramePushed, at: float
    ) -> None:
        self._turns.user_stopped(at)

    def _on_transcription(self, frame: TranscriptionFrame, data: FramePushed, at: float) -> None:
        if frame.text and frame.text.strip():
            language = frame.language
            code = getattr(language, "value", language)
            self._turns.transcription(at, frame.text, str(code) if code else None)

    def _on_bot_started(self, frame: BotStartedSpeakingFrame, data: FramePushed, at: float) -> None:
        self._outputs.add(data.source)
        self._spoken = SPOKEN
        self._turns.bot_started(at)

    def _on_bot_stopped(self, frame: BotStoppedSpeakingFrame, data: FramePushed, at: float) -> None:
        self._turns.bot_stopped(at)

    def _on_tts_text(self, frame: TTSTextFrame, data: FramePushed, at: float) -> None:
        if frame.text:
            self._turns.spoken_text(frame.text, frame.includes_inter_frame_spaces, confirmed=False)

    def _confirm_spoken(self, data: FrameProcessed) -> None:
        """A TTSTextFrame reaching the processor after the output has been played."""
        if not self._active or data.direction is not FrameDirection.DOWNSTREAM:
            return
        try:
            frame = data.frame
            if (
                isinstance(frame, TTSTextFrame)  # always, as `_spoken` holds only it
                and data.processor.previous in self._outputs
                and frame.text
            ):
                spaced = frame.includes_inter_frame_spaces
                self._turns.spoken_text(frame.text, spaced, confirmed=True)
        except Exception:
            self._failed("spoken text")

    def _on_interruption(self, frame: InterruptionFrame, data: FramePushed, at: float) -> None:
        self._turns.interruption(at)

    def _on_response_started(
        self, frame: LLMFullResponseStartFrame, data: FramePushed, at: float
    ) -> None:
        self._turns.response_started(at)

    def _on_response_text(self, frame: LLMTextFrame, data: FramePushed, at: float) -> None:
        if frame.text:
            self._turns.response_text(at, frame.text, frame.includes_inter_frame_spaces)

    def _on_response_ended(
        self, frame: LLMFullResponseEndFrame, data: FramePushed, at: float
    ) -> None:
        self._turns.response_ended(at)

    def _on_tool_started(
        self, frame: FunctionCallInProgressFrame, data: FramePushed, at: float
    ) -> None:
        self._tools.started(frame, at)

    def _on_tool_result(self, frame: FunctionCallResultFrame, data: FramePushed, at: float) -> None:
        self._tools.returned(frame, at)

    def _on_tool_cancelled(
        self, frame: FunctionCallCancelFrame, data: FramePushed, at: float
    ) -> None:
        self._tools.cancelled(frame, at)

    def _on_metrics(self, frame: MetricsFrame, data: FramePushed, at: float) -> None:
        self._metrics.metrics(data.source, frame)

    def _on_flow_frame(self, frame: Frame, data: FramePushed, at: float) -> None:
        pass  # `_handle` polls the watched flows after every frame it handles

    # ── the end ───────────────────────────────────────────────────────────────
    def _end_timed_out(self) -> None:
        self._watchdog = None
        if self._delivery is None:
            logger.warning(
                "ringback: the pipeline did not finish within %.0f s of its %s; syncing call %r "
                "as it stands",
                self._end_timeout,
                self._ending.frame,
                self.call_id,
            )
            self._finalize()

    def _finalize(self) -> None:
        """End the call once: turns into the timeline, then the recorder's tracked finish
        (outbox first, then delivery)."""
        if self._delivery is not None:
            return
        self._active = False
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        end_ms = self._last_ms
        if self._ending.at_ms is not None:
            end_ms = max(self._ending.at_ms, end_ms or 0.0)
        reason: DisconnectionReason | None = None
        if self._enabled:
            timeline = self._recorder.timeline
            try:
                if self._flows.watching and self._last_ms is not None:
                    self._flows.poll(self._last_ms)
                self._turns.write(timeline, end_ms=end_ms if end_ms is not None else 0.0)
                timeline.set_metadata("pipecat", self._ending.metadata())
            except Exception:
                logger.exception("ringback: error assembling call %r", self.call_id)
            reason = self._ending.disconnection_reason(fatal_error=timeline.has_fatal_error)
        task = asyncio.ensure_future(
            self._recorder.finish(disconnection_reason=reason, end_ms=end_ms)
        )
        task.add_done_callback(self._delivered)
        self._delivery = task

    def _delivered(self, task: asyncio.Future[SubmitResult]) -> None:
        if task.cancelled():
            logger.warning("ringback: delivery of call %r was cancelled", self.call_id)
            return
        exc = task.exception()
        if exc is not None:
            logger.error("ringback: delivery of call %r failed: %r", self.call_id, exc)
        else:
            logger.debug("ringback: %s", task.result().summary())
