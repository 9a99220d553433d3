"""Offline voices for Pipecat: an espeak-ng TTS service and a pocketsphinx STT service.

No account and no network (`pip install 'ringback-pipecat[voices]'` plus the espeak-ng
program). Pipecat's own `SileroVADAnalyzer` segments the user's speech for the STT:

    transport = ...(params=TransportParams(audio_in_enabled=True, audio_out_enabled=True))
    user_aggregator = LLMUserAggregator(context, params=LLMUserAggregatorParams(
        vad_analyzer=SileroVADAnalyzer()))
    pipeline = Pipeline([transport.input(), OfflineSTTService(hints=[...]), user_aggregator,
                         llm, OfflineTTSService(), transport.output(), ...])

See docs/voices.md.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Iterable
from typing import Any

from pipecat.audio.utils import create_file_resampler
from pipecat.frames.frames import ErrorFrame, Frame, TranscriptionFrame, TTSAudioRawFrame
from pipecat.services.settings import STTSettings, TTSSettings
from pipecat.services.stt_service import SegmentedSTTService
from pipecat.services.tts_service import TTSService
from pipecat.transcriptions.language import Language
from pipecat.utils.time import time_now_iso8601
from pipecat.utils.tracing.service_decorators import traced_stt, traced_tts
from ringback.core.voices.espeak import DEFAULT_VOICE, EspeakError, EspeakVoice
from ringback.core.voices.sphinx import SAMPLE_RATE, Recognition, SphinxRecognizer

__all__ = ["OFFLINE_STT_TTFS_P99", "OfflineSTTService", "OfflineTTSService"]

OFFLINE_STT_TTFS_P99 = 0.5
"""Speech end to transcript, p99, in seconds: decoding a few seconds of speech takes 0.1 to
0.4 s on a 2-core machine (`benchmarks/offline_voices.py`)."""

_CHUNK_SECONDS = 0.5


class OfflineTTSService(TTSService):
    """Text to speech with espeak-ng, offline, at the pipeline's output sample rate.

    `voice`, `words_per_minute` and `pitch` as espeak-ng's `-v`, `-s`, `-p` (see
    `espeak-ng --voices`). Raises `EspeakNotFoundError`, saying how to install espeak-ng,
    when the program is missing. Other keyword arguments go to `TTSService`.
    """

    def __init__(
        self,
        *,
        voice: str = DEFAULT_VOICE,
        words_per_minute: int = 175,
        pitch: int = 50,
        executable: str | os.PathLike[str] = "espeak-ng",
        **kwargs: Any,
    ) -> None:
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            settings=TTSSettings(model="espeak-ng", voice=voice, language=Language.EN_US),
            **kwargs,
        )
        self._voice = EspeakVoice(
            voice, words_per_minute=words_per_minute, pitch=pitch, executable=executable
        )
        self._voice.resolve()
        self._file_resampler = create_file_resampler()

    @property
    def voice(self) -> EspeakVoice:
        """The espeak-ng voice speaking."""
        return self._voice

    def can_generate_metrics(self) -> bool:
        return True

    @traced_tts
    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame, None]:
        """Speak `text` as `TTSAudioRawFrame`s of half a second."""
        await self.start_tts_usage_metrics(text)
        try:
            speech = await self._voice.synthesize(text)
        except EspeakError as exc:
            yield ErrorFrame(error=f"{self} could not speak: {exc}")
            return
        finally:
            await self.stop_ttfb_metrics()
        if not speech.pcm:
            return
        audio = await self._file_resampler.resample(
            speech.pcm, speech.sample_rate, self.sample_rate
        )
        step = max(2, int(self.sample_rate * _CHUNK_SECONDS) * 2)
        for start in range(0, len(audio), step):
            yield TTSAudioRawFrame(
                audio[start : start + step], self.sample_rate, 1, context_id=context_id
            )


class OfflineSTTService(SegmentedSTTService):
    """Speech to text with pocketsphinx's US English model, offline, one VAD segment at a time.

    `hints` are phrases the user is expected to say (a scenario's lines): recognition is far
    more accurate on them, and written forms in them ("A1001", "DHL") come back written;
    `hint_weight` and `min_hint_coverage` as for `SphinxRecognizer`. The
    pipeline's input audio, at any rate, is resampled to 16 kHz. Each `TranscriptionFrame`'s
    `result` is the `Recognition` (text, confidence, decode time). Other keyword arguments go
    to `SegmentedSTTService`.
    """

    def __init__(
        self,
        *,
        hints: Iterable[str] = (),
        hint_weight: float = 0.05,
        min_hint_coverage: float = 0.5,
        ttfs_p99_latency: float = OFFLINE_STT_TTFS_P99,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            settings=STTSettings(model="pocketsphinx-en-us", language=Language.EN_US),
            ttfs_p99_latency=ttfs_p99_latency,
            **kwargs,
        )
        self._recognizer = SphinxRecognizer(
            hints=hints, hint_weight=hint_weight, min_hint_coverage=min_hint_coverage
        )
        self._file_resampler = create_file_resampler()

    @property
    def wants_wav_segments(self) -> bool:
        """Segments arrive as raw 16-bit PCM, which the recognizer reads directly."""
        return False

    @property
    def recognizer(self) -> SphinxRecognizer:
        """The underlying recognizer (its `set_hints` changes the hints mid-call)."""
        return self._recognizer

    def can_generate_metrics(self) -> bool:
        return True

    @traced_stt
    async def _handle_transcription(
        self, transcript: str, is_final: bool, language: Language | None = None
    ) -> None:
        """Records the transcript on the STT span."""

    async def run_stt(self, audio: bytes) -> AsyncGenerator[Frame, None]:
        """Transcribe one segment of 16-bit mono PCM at the pipeline's input rate."""
        await self.start_processing_metrics()
        pcm = await self._file_resampler.resample(audio, self.sample_rate, SAMPLE_RATE)
        try:
            result: Recognition = await self._recognizer.recognize(pcm)
        except Exception as exc:
            await self.stop_processing_metrics()
            yield ErrorFrame(error=f"{self} could not transcribe: {exc}")
            return
        await self.stop_processing_metrics()
        if result.text:
            await self._handle_transcription(result.text, True, Language.EN_US)
            yield TranscriptionFrame(
                result.text, self._user_id, time_now_iso8601(), Language.EN_US, result=result
            )
