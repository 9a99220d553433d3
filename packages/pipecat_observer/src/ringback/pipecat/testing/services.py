"""Scripted Pipecat services for offline, deterministic pipeline tests, in pipeline time.

`ScriptedSTTService`, `ScriptedTTSService` (and `ScriptedLLMService`) subclass Pipecat's
`STTService`, `TTSService` (and `LLMService`), so metrics, usage, function calling and
sentence aggregation are Pipecat's own; `ScriptedOutput` plays the role of an output transport
(bot speaking frames, spoken text forwarded after its audio, interruptions); `Milestones`
counts what reaches the end of the pipeline, for a test to wait on. Each advances its
`ManualClock` where a real one would take time. `ScriptedCall` puts them together.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    Frame,
    InterruptionFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSStoppedFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.llm_service import FunctionCallParams
from pipecat.services.settings import STTSettings, TTSSettings
from pipecat.services.stt_service import STTService
from pipecat.services.tts_service import TTSService
from pipecat.transcriptions.language import Language

from .clock import ManualClock
from .llm import complete_settings

SAMPLE_RATE = 16_000
"""The audio rate of the scripted services (16-bit mono)."""
CHUNK_MS = 20
"""The length of each audio frame they make."""
STEP_TIMEOUT_S = 10.0
"""How long waiting on the pipeline may take before a step fails."""


def silence(ms: float) -> bytes:
    """`ms` of silent 16-bit mono audio at `SAMPLE_RATE`."""
    return bytes(int(SAMPLE_RATE * 2 * ms / 1000))


# ── STT ──────────────────────────────────────────────────────────────────────────
class ScriptedSTTService(STTService):
    """Transcribes each utterance (ended by a `VADUserStoppedSpeakingFrame`) as the next text
    of `transcripts`, `latency_ms` of pipeline time later."""

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


def scripted_function(
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
class ScriptedTTSService(TTSService):
    """Synthesises `ms_per_word` of silent audio per word (in `CHUNK_MS` frames); reports a
    TTFB of `ttfb_ms`."""

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
        """Wait until `count` TTS responses have fully arrived."""
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: self.generated >= count), STEP_TIMEOUT_S
            )

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
    """Counts the downstream frames that pass it (at the end of a pipeline, or after the
    output), for a test to wait on them instead of sleeping."""

    def __init__(self, *, name: str | None = None) -> None:
        super().__init__(name=name)
        self.counts: Counter[type[Frame]] = Counter()
        """Frames seen, by type."""
        self.seen: set[int] = set()
        """The ids of the frames seen."""
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
        """Wait until `predicate()` holds, re-checked as each frame passes (at most
        `STEP_TIMEOUT_S`)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), STEP_TIMEOUT_S)

    async def reached(self, frame_type: type[Frame], count: int) -> None:
        """Wait until `count` frames of `frame_type` have passed."""
        await self.until(lambda: self.counts[frame_type] >= count)

    async def passed(self, frame: Frame) -> None:
        """Wait until `frame` itself has passed."""
        await self.until(lambda: frame.id in self.seen)


__all__ = [
    "CHUNK_MS",
    "SAMPLE_RATE",
    "STEP_TIMEOUT_S",
    "Milestones",
    "ScriptedOutput",
    "ScriptedSTTService",
    "ScriptedTTSService",
    "scripted_function",
    "silence",
]
