"""Scripted Pipecat services and a call harness for offline, deterministic pipeline tests.

Real Pipecat pipelines run here: `ScriptedSTT`, `ScriptedLLM` and `ScriptedTTS` subclass
Pipecat's `STTService`, `LLMService` and `TTSService` (so metrics, usage, function calling and
sentence aggregation are Pipecat's own); `ScriptedOutput` plays the role of an output transport
(bot speaking frames, spoken text forwarded after its audio, interruptions).

Time is a `ManualClock` set as the worker's pipeline clock: the harness sets it between steps
and the scripted services advance it where real ones would take time (an LLM's first token, a
tool's run, audio playing), so every timestamp a test sees is exact. Services report metrics
against a fake wall clock derived from it (`ManualClock.wall`). Steps wait on frames reaching
the end of the pipeline, never on sleeps.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipecat.clocks.base_clock import BaseClock
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    CancelFrame,
    EndFrame,
    Frame,
    FunctionCallFromLLM,
    InputAudioRawFrame,
    InterruptionFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    StartFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSStoppedFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import LLMTokenUsage
from pipecat.observers.base_observer import BaseObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.llm_service import FunctionCallParams, LLMService
from pipecat.services.settings import LLMSettings, STTSettings, TTSSettings
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService
from pipecat.transcriptions.language import Language
from pipecat.workers.runner import WorkerRunner

from ringback.core.timeline import CallClock

WALL_ORIGIN = 1_750_000_000.0
"""Unix seconds at pipeline time 0 (2025-06-15T15:06:40Z)."""
SAMPLE_RATE = 16_000
CHUNK_MS = 20
VAD_START_SECS = 0.2
VAD_STOP_SECS = 0.2
WAIT = 10.0


def call_clock() -> CallClock:
    """The observer's time base for a `ManualClock` pipeline: pipeline time 0 is WALL_ORIGIN."""
    return CallClock(wall_origin=WALL_ORIGIN, mono_origin_ns=0)


def complete_settings(settings_cls: type, **values: Any) -> Any:
    """A settings object with every field given (Pipecat warns about missing ones)."""
    names = [f.name for f in dataclasses.fields(settings_cls) if f.name != "extra"]
    return settings_cls(**{name: values.get(name) for name in names})


def silence(ms: float) -> bytes:
    return bytes(int(SAMPLE_RATE * 2 * ms / 1000))


class ManualClock(BaseClock):
    """A pipeline clock that only moves when told to."""

    def __init__(self, wall_origin: float = WALL_ORIGIN) -> None:
        self.wall_origin = wall_origin
        self._ns = 0

    def get_time(self) -> int:
        return self._ns

    def start(self) -> None:
        pass

    @property
    def ms(self) -> float:
        return self._ns / 1e6

    def set_ms(self, ms: float) -> None:
        ns = round(ms * 1e6)
        if ns < self._ns:
            raise ValueError(f"the clock cannot go back from {self.ms} ms to {ms} ms")
        self._ns = ns

    def advance_ms(self, ms: float) -> None:
        self._ns += round(ms * 1e6)

    def wall(self) -> float:
        """The fake wall-clock time (unix seconds) of now, for services' metrics."""
        return self.wall_origin + self._ns / 1e9


# ── STT ──────────────────────────────────────────────────────────────────────────
class ScriptedSTT(STTService):
    """Transcribes each utterance (ended by VAD) as the next queued text, `latency_ms` later."""

    def __init__(
        self,
        clock: ManualClock,
        *,
        latency_ms: float = 150,
        model: str = "scripted-stt",
        name: str = "stt",
    ):
        super().__init__(
            sample_rate=SAMPLE_RATE,
            settings=complete_settings(STTSettings, model=model, language=Language.EN_US),
            name=name,
        )
        self.clock = clock
        self.latency_ms = latency_ms
        self.transcripts: list[str] = []

    def can_generate_metrics(self) -> bool:
        return True

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame | None, None]:
        return
        yield  # an async generator that yields nothing: text comes at the end of speech

    async def stop_ttfb_metrics(self, *, end_time: float | None = None) -> None:
        await super().stop_ttfb_metrics(end_time=end_time or self.clock.wall())

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, VADUserStoppedSpeakingFrame) and self.transcripts:
            self.clock.advance_ms(self.latency_ms)
            text = self.transcripts.pop(0)
            await self.push_frame(
                TranscriptionFrame(
                    text, "caller", "2025-06-15T15:06:40Z", Language.EN_US, finalized=True
                )
            )


# ── LLM ──────────────────────────────────────────────────────────────────────────
@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any]
    call_id: str


@dataclass
class Step:
    """One inference: text (chunks as streamed) and/or tool calls, after `ttfb_ms`."""

    text: Sequence[str] = ()
    tools: Sequence[ToolCall] = ()
    ttfb_ms: float = 300
    usage: LLMTokenUsage | None = None


class ScriptedLLM(LLMService):
    """Answers each `LLMContextFrame` with the next `Step`, the way a streaming LLM does."""

    def __init__(
        self,
        clock: ManualClock,
        steps: Sequence[Step],
        *,
        model: str = "scripted-llm",
        name: str = "llm",
    ):
        super().__init__(settings=complete_settings(LLMSettings, model=model), name=name)
        self.clock = clock
        self.steps = list(steps)

    def can_generate_metrics(self) -> bool:
        return True

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            if self.steps:
                await self._respond(self.steps.pop(0), frame.context)
        else:
            await self.push_frame(frame, direction)

    async def _respond(self, step: Step, context: LLMContext) -> None:
        await self.push_frame(LLMFullResponseStartFrame())
        await self.start_ttfb_metrics(start_time=self.clock.wall())
        self.clock.advance_ms(step.ttfb_ms)
        await self.stop_ttfb_metrics(end_time=self.clock.wall())
        for chunk in step.text:
            await self._push_llm_text(chunk)
        if step.usage is not None:
            await self.start_llm_usage_metrics(step.usage)
        if step.tools:
            await self.run_function_calls(
                [
                    FunctionCallFromLLM(
                        function_name=t.name,
                        tool_call_id=t.call_id,
                        arguments=t.arguments,
                        context=context,
                    )
                    for t in step.tools
                ]
            )
        await self.push_frame(LLMFullResponseEndFrame())


def tool(
    clock: ManualClock,
    result: Any,
    *,
    run_ms: float = 0,
    error: Exception | None = None,
    block: asyncio.Event | None = None,
) -> Callable[[FunctionCallParams], Awaitable[None]]:
    """A function handler that runs for `run_ms`, then returns `result` (or raises `error`);
    with `block` it waits for the event first (to be interrupted)."""

    async def handler(params: FunctionCallParams) -> None:
        if block is not None:
            await block.wait()
        clock.advance_ms(run_ms)
        if error is not None:
            raise error
        await params.result_callback(result)

    return handler


# ── TTS ──────────────────────────────────────────────────────────────────────────
class ScriptedTTS(TTSService):
    """Synthesises `ms_per_word` of audio per word; reports a TTFB of `ttfb_ms`."""

    def __init__(
        self,
        clock: ManualClock,
        *,
        ms_per_word: float = 200,
        ttfb_ms: float = 120,
        model: str = "scripted-tts",
        name: str = "tts",
    ):
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            sample_rate=SAMPLE_RATE,
            settings=complete_settings(TTSSettings, model=model, voice="scripted", language="en"),
            name=name,
        )
        self.clock = clock
        self.ms_per_word = ms_per_word
        self.ttfb_ms = ttfb_ms
        self._ttfb_start = 0.0

    def can_generate_metrics(self) -> bool:
        return True

    async def start_ttfb_metrics(self, *, start_time: float | None = None) -> None:
        self._ttfb_start = start_time or self.clock.wall()
        await super().start_ttfb_metrics(start_time=self._ttfb_start)

    async def stop_ttfb_metrics(self, *, end_time: float | None = None) -> None:
        await super().stop_ttfb_metrics(end_time=self._ttfb_start + self.ttfb_ms / 1000)

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame | None, None]:
        await self.start_tts_usage_metrics(text)
        chunks = round(len(text.split()) * self.ms_per_word / CHUNK_MS)
        for _ in range(chunks):
            yield TTSAudioRawFrame(silence(CHUNK_MS), SAMPLE_RATE, 1, context_id=context_id)


# ── output ───────────────────────────────────────────────────────────────────────
class ScriptedOutput(FrameProcessor):
    """Plays TTS audio in pipeline time, like an output transport.

    Pushes `BotStartedSpeakingFrame` / `BotStoppedSpeakingFrame` both ways on the first audio
    and on `TTSStoppedFrame` or an interruption, advances the clock by each chunk's duration,
    and passes everything else on in order, so a `TTSTextFrame` leaves after its audio.
    `hold_after_ms` = {utterance number (1-based): ms} stops playing there until interrupted.
    """

    def __init__(
        self,
        clock: ManualClock,
        *,
        hold_after_ms: dict[int, float] | None = None,
        name: str = "output",
    ):
        super().__init__(name=name)
        self.clock = clock
        self.hold_after_ms = hold_after_ms or {}
        self.holding = asyncio.Event()
        self.utterances = 0
        self.generated = 0
        """How many TTS responses have fully arrived (their `TTSStoppedFrame` is queued)."""
        self._arrived = asyncio.Condition()
        self._speaking = False
        self._played_ms = 0.0

    async def queue_frame(
        self,
        frame: Frame,
        direction: FrameDirection = FrameDirection.DOWNSTREAM,
        callback: Any = None,
    ) -> None:
        await super().queue_frame(frame, direction, callback)
        if isinstance(frame, TTSStoppedFrame):
            async with self._arrived:
                self.generated += 1
                self._arrived.notify_all()

    async def responses_arrived(self, count: int) -> None:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: self.generated >= count), WAIT)

    async def _broadcast(self, frame_cls: type[Frame]) -> None:
        await self.broadcast_frame(frame_cls)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InterruptionFrame):
            await self.push_frame(frame, direction)
            if self._speaking:
                self._speaking = False
                await self._broadcast(BotStoppedSpeakingFrame)
            return
        if direction is FrameDirection.DOWNSTREAM and isinstance(frame, TTSAudioRawFrame):
            if not self._speaking:
                self._speaking = True
                self.utterances += 1
                self._played_ms = 0.0
                await self._broadcast(BotStartedSpeakingFrame)
            hold = self.hold_after_ms.get(self.utterances)
            if hold is not None and self._played_ms >= hold:
                self.holding.set()
                await asyncio.Event().wait()  # until an interruption cancels this task
            duration = len(frame.audio) / (frame.sample_rate * 2) * 1000
            self.clock.advance_ms(duration)
            self._played_ms += duration
            return
        if isinstance(frame, TTSStoppedFrame) and self._speaking:
            await self.push_frame(frame, direction)
            self._speaking = False
            await self._broadcast(BotStoppedSpeakingFrame)
            return
        await self.push_frame(frame, direction)


class Milestones(FrameProcessor):
    """Counts the frames that reach the end of the pipeline, for steps to wait on."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: Counter[type] = Counter()
        self.seen: set[int] = set()
        self._changed = asyncio.Condition()

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction is FrameDirection.DOWNSTREAM:
            self.counts[type(frame)] += 1
            self.seen.add(frame.id)
            async with self._changed:
                self._changed.notify_all()
        await self.push_frame(frame, direction)

    async def until(self, predicate: Callable[[], bool]) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), WAIT)

    async def reached(self, frame_type: type[Frame], count: int) -> None:
        await self.until(lambda: self.counts[frame_type] >= count)

    async def passed(self, frame: Frame) -> None:
        await self.until(lambda: frame.id in self.seen)


# ── the call ─────────────────────────────────────────────────────────────────────
@dataclass
class ScriptedCall:
    """A voice-bot pipeline (STT -> LLM -> TTS -> output -> assistant context) driven step by
    step in pipeline time: ``async with ScriptedCall(...) as call: await call.user_says(...)``.
    """

    observers: list[BaseObserver]
    steps: Sequence[Step] = ()
    functions: dict[str, Callable[[FunctionCallParams], Awaitable[None]]] = field(
        default_factory=dict
    )
    hold_after_ms: dict[int, float] = field(default_factory=dict)
    clock: ManualClock = field(default_factory=ManualClock)
    worker_cls: type[PipelineWorker] = PipelineWorker
    voice: bool = True
    """False: a text pipeline (the LLM alone)."""
    names: dict[str, str] = field(default_factory=dict)
    """Processor names by role (stt, llm, tts, output); default: the role."""
    params: PipelineParams = field(
        default_factory=lambda: PipelineParams(enable_metrics=True, enable_usage_metrics=True)
    )
    extra: Sequence[FrameProcessor] = ()
    """Processors placed at the end of the pipeline."""
    user_aggregator: bool = False
    """Put the user context aggregator after the STT (it turns `LLMRunFrame`, and the context
    frames Pipecat Flows queues, into the LLM's context)."""

    def __post_init__(self) -> None:
        clock = self.clock
        names = {role: self.names.get(role, role) for role in ("stt", "llm", "tts", "output")}
        self.context = LLMContext()
        self.stt = ScriptedSTT(clock, name=names["stt"])
        self.llm = ScriptedLLM(clock, self.steps, name=names["llm"])
        for name, handler in self.functions.items():
            self.llm.register_function(name, handler)
        self.tts = ScriptedTTS(clock, name=names["tts"])
        self.output = ScriptedOutput(clock, hold_after_ms=self.hold_after_ms, name=names["output"])
        self.aggregators = LLMContextAggregatorPair(self.context)
        self.milestones = Milestones()
        # The milestones sit right after the output (the assistant aggregator consumes tool
        # and transcription frames), so steps can wait on what the output let through.
        processors: list[FrameProcessor] = (
            [
                self.stt,
                *([self.aggregators.user()] if self.user_aggregator else []),
                self.llm,
                self.tts,
                self.output,
                self.milestones,
                self.aggregators.assistant(),
            ]
            if self.voice
            else [self.llm, self.milestones]
        )
        processors.extend(self.extra)
        self.worker = self.worker_cls(
            Pipeline(processors),
            observers=list(self.observers),
            clock=clock,
            params=self.params,
            enable_rtvi=False,
            idle_timeout_secs=None,
        )
        self._started = asyncio.Event()
        self._run: asyncio.Task[None] | None = None

        @self.worker.event_handler("on_pipeline_started")
        async def _started(worker: PipelineWorker, frame: StartFrame) -> None:
            self._started.set()

    async def __aenter__(self) -> ScriptedCall:
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(self.worker)
        self._run = asyncio.create_task(runner.run())
        started = asyncio.create_task(self._started.wait())
        done, _ = await asyncio.wait(
            {started, self._run}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED
        )
        if started not in done:
            started.cancel()
            raise RuntimeError("the pipeline did not start")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._run is not None and not self._run.done():
            await self.worker.cancel()
            done, _ = await asyncio.wait({self._run}, timeout=WAIT)
            if not done:  # a test left the pipeline stuck: tear it down regardless
                self._run.cancel()
                await asyncio.wait({self._run}, timeout=WAIT)

    async def send(self, *frames: Frame) -> None:
        """Queue frames at the current time and wait until the last one has gone through."""
        await self.worker.queue_frames(frames)
        await self.milestones.passed(frames[-1])

    async def user_says(
        self,
        text: str,
        *,
        at_ms: float,
        speech_ms: float,
        release_ms: float = 100,
        interrupt: bool = False,
        respond: bool = True,
    ) -> None:
        """The caller speaks from `at_ms` for `speech_ms`; VAD confirms the start and the stop
        0.2 s late, the STT transcribes, the turn is released `release_ms` after the
        transcript, and (with `respond`) the LLM is asked for an answer."""
        self.stt.transcripts.append(text)
        self.clock.set_ms(at_ms + VAD_START_SECS * 1000)
        started: list[Frame] = [
            VADUserStartedSpeakingFrame(start_secs=VAD_START_SECS, timestamp=self.clock.wall()),
            UserStartedSpeakingFrame(),
        ]
        if interrupt:
            started.append(InterruptionFrame())
        await self.send(*started)
        audio = [
            InputAudioRawFrame(silence(CHUNK_MS), SAMPLE_RATE, 1)
            for _ in range(int(speech_ms // CHUNK_MS))
        ]
        self.clock.set_ms(at_ms + speech_ms + VAD_STOP_SECS * 1000)
        await self.send(
            *audio,
            VADUserStoppedSpeakingFrame(stop_secs=VAD_STOP_SECS, timestamp=self.clock.wall()),
        )
        # The STT pushed the transcript as it passed the VAD frame on.
        assert not self.stt.transcripts
        self.clock.advance_ms(release_ms)
        await self.send(UserStoppedSpeakingFrame())
        if respond:
            await self.worker.queue_frame(LLMContextFrame(self.context))

    async def bot_spoke(self, utterances: int) -> None:
        """Wait until the bot has finished its `utterances`-th utterance."""
        await self.milestones.reached(BotStoppedSpeakingFrame, utterances)

    async def bot_holding(self, responses: int) -> None:
        """Wait until the output stops mid-utterance (`hold_after_ms`) with the TTS done
        producing its `responses`-th response (TTS runs ahead of playback)."""
        await asyncio.wait_for(self.output.holding.wait(), WAIT)
        self.output.holding.clear()
        await self.output.responses_arrived(responses)

    async def end(self, *, at_ms: float | None = None, cancel: bool = False) -> None:
        """End the call with an `EndFrame` (or a `CancelFrame`) and wait for the worker."""
        if at_ms is not None:
            self.clock.set_ms(at_ms)
        await self.worker.queue_frame(CancelFrame() if cancel else EndFrame())
        assert self._run is not None
        await asyncio.wait_for(self._run, WAIT)
