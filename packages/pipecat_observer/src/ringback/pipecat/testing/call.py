"""`ScriptedCall`: a voice-bot pipeline driven step by step in pipeline time.

Real Pipecat runs: STT -> LLM -> TTS -> output -> assistant context, all scripted
(`ScriptedSTTService`, `ScriptedLLMService`, `ScriptedTTSService`, `ScriptedOutput`), in a
`PipelineWorker` whose clock is a `ManualClock`. The harness sets the clock between steps and
the services advance it where real ones would take time (an LLM's first token, a tool's run,
audio playing), so every timestamp an observer sees is exact. Steps wait on frames reaching
the end of the pipeline, never on sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from pipecat.frames.frames import (
    BotStoppedSpeakingFrame,
    CancelFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    InterruptionFrame,
    LLMContextFrame,
    StartFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.services.llm_service import FunctionCallParams
from pipecat.workers.runner import WorkerRunner
from ringback.core.testing import Reply

from .clock import ManualClock
from .llm import ScriptedLLMService
from .services import (
    CHUNK_MS,
    SAMPLE_RATE,
    STEP_TIMEOUT_S,
    Milestones,
    ScriptedOutput,
    ScriptedSTTService,
    ScriptedTTSService,
    silence,
)

VAD_START_SECS = 0.2
"""How late the VAD confirms that the caller started speaking."""
VAD_STOP_SECS = 0.2
"""How late the VAD confirms that the caller stopped."""


@dataclass
class ScriptedCall:
    """A voice-bot pipeline (STT -> LLM -> TTS -> output -> assistant context) driven step by
    step in pipeline time, with your observers on its worker:

        async with ScriptedCall([observer], replies=["Hi, how can I help?"]) as call:
            await call.user_says("Hello?", at_ms=0, speech_ms=800)
            await call.bot_spoke(1)
            await call.end(at_ms=5_000)

    The parts are attributes: `stt`, `llm` (`llm.script` takes more replies, or a `respond`
    function), `tts`, `output`, `milestones`, `context`, `worker`, `clock`.
    """

    observers: list[BaseObserver]
    replies: Sequence[Reply | str] = ()
    """What the LLM answers, request by request (see `ScriptedLLMService`)."""
    think_ms: float = 300
    """The LLM's time to first token, for replies that give no `think_ms`."""
    functions: dict[str, Callable[[FunctionCallParams], Awaitable[None]]] = field(
        default_factory=dict
    )
    """Function handlers registered on the LLM by name (see `scripted_function`)."""
    hold_after_ms: dict[int, float] = field(default_factory=dict)
    """{utterance number (1-based): ms}: the output stops playing there until interrupted."""
    clock: ManualClock = field(default_factory=ManualClock)
    worker_cls: type[PipelineWorker] = PipelineWorker
    """The worker class (a subclass of `PipelineWorker`, or Pipecat's `PipelineTask`)."""
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
        self.stt = ScriptedSTTService(clock, name=names["stt"])
        self.llm = ScriptedLLMService(
            self.replies,
            think_ms=self.think_ms,
            clock=clock,
            name=names["llm"],
        )
        for name, handler in self.functions.items():
            self.llm.register_function(name, handler)
        self.tts = ScriptedTTSService(clock, name=names["tts"])
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
        self.worker.add_event_handler("on_pipeline_started", self._on_started)

    async def _on_started(self, worker: PipelineWorker, frame: StartFrame) -> None:
        self._started.set()

    async def __aenter__(self) -> ScriptedCall:
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(self.worker)
        self._run = asyncio.create_task(runner.run())
        started = asyncio.create_task(self._started.wait())
        done, _ = await asyncio.wait(
            {started, self._run}, timeout=STEP_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED
        )
        if started not in done:
            started.cancel()
            raise RuntimeError("the pipeline did not start")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._run is not None and not self._run.done():
            await self.worker.cancel()
            done, _ = await asyncio.wait({self._run}, timeout=STEP_TIMEOUT_S)
            if not done:  # a test left the pipeline stuck: tear it down regardless
                self._run.cancel()
                await asyncio.wait({self._run}, timeout=STEP_TIMEOUT_S)

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
        if self.stt.transcripts:  # it pushes the transcript as it passes the VAD frame on
            raise RuntimeError(f"the STT did not transcribe {text!r}")
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
        await asyncio.wait_for(self.output.holding.wait(), STEP_TIMEOUT_S)
        self.output.holding.clear()
        await self.output.responses_arrived(responses)

    async def end(self, *, at_ms: float | None = None, cancel: bool = False) -> None:
        """End the call with an `EndFrame` (or a `CancelFrame`) and wait for the worker."""
        if at_ms is not None:
            self.clock.set_ms(at_ms)
        if self._run is None:
            raise RuntimeError("the call was not started (use `async with ScriptedCall(...)`)")
        await self.worker.queue_frame(CancelFrame() if cancel else EndFrame())
        await asyncio.wait_for(self._run, STEP_TIMEOUT_S)


__all__ = ["VAD_START_SECS", "VAD_STOP_SECS", "ScriptedCall"]
