"""Offline voices for LiveKit Agents: espeak-ng TTS, pocketsphinx STT and Silero VAD.

No account and no network (`pip install 'ringback-livekit[voices]'` plus the espeak-ng
program):

    session = AgentSession(
        stt=OfflineSTT(hints=["Where is my order A1001?"]),
        tts=OfflineTTS(),
        vad=silero_vad(),
        turn_handling=OFFLINE_TURN_HANDLING,
    )

`OfflineSTT` is non-streaming: AgentSession wraps it in `stt.StreamAdapter` with the
session's VAD, which cuts the user's speech into utterances. `OFFLINE_TURN_HANDLING` lets
that VAD find the ends of turns and interruptions too: AgentSession's own defaults are
LiveKit Inference models, which an offline session cannot reach (every turn would wait for
them). See docs/voices.md.

Importing this module imports `livekit.plugins.silero`: LiveKit plugins register on the main
thread, so import it at the top of your worker's module, never first inside a job.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from livekit import rtc
from livekit.agents import (
    DEFAULT_API_CONNECT_OPTIONS,
    APIConnectionError,
    APIConnectOptions,
    TurnHandlingOptions,
    stt,
    tts,
    utils,
)
from livekit.agents.language import LanguageCode
from livekit.agents.types import NOT_GIVEN, NotGivenOr
from livekit.plugins import silero
from ringback.core.voices.espeak import DEFAULT_VOICE, EspeakError, EspeakVoice
from ringback.core.voices.resample import resample_pcm
from ringback.core.voices.sphinx import SAMPLE_RATE, SphinxRecognizer

if TYPE_CHECKING:
    from livekit.agents.vad import VAD

__all__ = [
    "ESPEAK_SAMPLE_RATE",
    "OFFLINE_TURN_HANDLING",
    "OfflineSTT",
    "OfflineTTS",
    "resample_pcm",
    "silero_vad",
]

ESPEAK_SAMPLE_RATE = 22_050
"""The rate espeak-ng's own voices speak at; `OfflineTTS` resamples to any other."""

OFFLINE_TURN_HANDLING: TurnHandlingOptions = {
    "turn_detection": "vad",
    "interruption": {"mode": "vad"},
}
"""`AgentSession(turn_handling=...)` for a session with no network: the VAD ends turns and
detects interruptions (the defaults are LiveKit Inference models)."""


def _mono_pcm(frame: rtc.AudioFrame) -> bytes:
    """The frame's samples as 16-bit mono PCM (the first channel of a multi-channel one)."""
    if frame.num_channels == 1:
        return bytes(frame.data.cast("B"))
    return frame.data[:: frame.num_channels].tobytes()  # int16, interleaved


class OfflineTTS(tts.TTS[Any]):
    """Text to speech with espeak-ng, offline.

    `voice`, `words_per_minute` and `pitch` as espeak-ng's `-v`, `-s`, `-p` (see
    `espeak-ng --voices`); `sample_rate` is the rate of the frames it emits (espeak-ng
    speaks at 22,050 Hz and is resampled to any other). Raises `EspeakNotFoundError`, saying
    how to install espeak-ng, when the program is missing.
    """

    def __init__(
        self,
        *,
        voice: str = DEFAULT_VOICE,
        words_per_minute: int = 175,
        pitch: int = 50,
        sample_rate: int = ESPEAK_SAMPLE_RATE,
        executable: str | os.PathLike[str] = "espeak-ng",
    ) -> None:
        super().__init__(
            capabilities=tts.TTSCapabilities(streaming=False),
            sample_rate=sample_rate,
            num_channels=1,
        )
        self._voice = EspeakVoice(
            voice, words_per_minute=words_per_minute, pitch=pitch, executable=executable
        )
        self._voice.resolve()

    @property
    def model(self) -> str:
        return self._voice.voice

    @property
    def provider(self) -> str:
        return "espeak-ng"

    @property
    def voice(self) -> EspeakVoice:
        """The espeak-ng voice speaking."""
        return self._voice

    def synthesize(
        self, text: str, *, conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS
    ) -> tts.ChunkedStream:
        return _OfflineChunkedStream(tts=self, input_text=text, conn_options=conn_options)


class _OfflineChunkedStream(tts.ChunkedStream):
    def __init__(self, *, tts: OfflineTTS, input_text: str, conn_options: APIConnectOptions):
        super().__init__(tts=tts, input_text=input_text, conn_options=conn_options)
        self._offline = tts

    async def _run(self, output_emitter: tts.AudioEmitter) -> None:
        try:
            speech = await self._offline.voice.synthesize(self.input_text)
        except EspeakError as exc:
            raise APIConnectionError(str(exc), retryable=False) from exc
        rate = self._offline.sample_rate
        output_emitter.initialize(
            request_id=utils.shortuuid(),
            sample_rate=rate,
            num_channels=1,
            mime_type="audio/pcm",
        )
        if speech.pcm:
            output_emitter.push(resample_pcm(speech.pcm, speech.sample_rate, rate))
        output_emitter.flush()


class OfflineSTT(stt.STT[Any]):
    """Speech to text with pocketsphinx's US English model, offline and non-streaming.

    `hints` are phrases the user is expected to say (a scenario's lines): recognition is far
    more accurate on them, and written forms in them ("A1001", "DHL") come back written;
    `hint_weight` and `min_hint_coverage` as for `SphinxRecognizer`.
    Session keyterms (`AgentSession(stt_context_options={"keyterms": [...]})`) are added to
    the hints. Audio at any rate is resampled to 16 kHz. Each transcript's confidence is the
    decoder's posterior probability.
    """

    def __init__(
        self,
        *,
        hints: Iterable[str] = (),
        hint_weight: float = 0.05,
        min_hint_coverage: float = 0.5,
    ) -> None:
        super().__init__(
            capabilities=stt.STTCapabilities(
                streaming=False, interim_results=False, offline_recognize=True, keyterms=True
            )
        )
        self._own_hints = tuple(hints)
        self._keyterms: tuple[str, ...] = ()
        self._recognizer = SphinxRecognizer(
            hints=self._own_hints, hint_weight=hint_weight, min_hint_coverage=min_hint_coverage
        )

    @property
    def model(self) -> str:
        return "en-us"

    @property
    def provider(self) -> str:
        return "pocketsphinx"

    @property
    def recognizer(self) -> SphinxRecognizer:
        """The underlying recognizer."""
        return self._recognizer

    @property
    def hints(self) -> tuple[str, ...]:
        """The hint phrases in use (the STT's own, then the session's keyterms)."""
        return self._recognizer.hints

    def update_hints(self, hints: Iterable[str]) -> None:
        """Replace the STT's own hint phrases (session keyterms are kept)."""
        self._own_hints = tuple(hints)
        self._recognizer.set_hints([*self._own_hints, *self._keyterms])

    def _update_session_keyterms(self, keyterms: list[str]) -> None:
        self._keyterms = tuple(keyterms)
        self._recognizer.set_hints([*self._own_hints, *self._keyterms])

    def prewarm(self) -> None:
        self._recognizer.load()

    async def _recognize_impl(
        self,
        buffer: utils.AudioBuffer,
        *,
        language: NotGivenOr[str] = NOT_GIVEN,
        conn_options: APIConnectOptions,
    ) -> stt.SpeechEvent:
        frame = utils.merge_frames(buffer) if isinstance(buffer, list) else buffer
        pcm = resample_pcm(_mono_pcm(frame), frame.sample_rate, SAMPLE_RATE)
        result = await self._recognizer.recognize(pcm)
        return stt.SpeechEvent(
            type=stt.SpeechEventType.FINAL_TRANSCRIPT,
            request_id=utils.shortuuid(),
            alternatives=[
                stt.SpeechData(
                    language=LanguageCode("en-US"),
                    text=result.text,
                    start_time=0.0,
                    end_time=frame.duration,
                    confidence=result.confidence,
                )
            ],
            recognition_usage=stt.RecognitionUsage(audio_duration=frame.duration),
        )


def silero_vad(**options: Any) -> VAD:
    """Silero voice activity detection (its model ships in `livekit-plugins-silero`), for
    `AgentSession(vad=...)` with `OFFLINE_TURN_HANDLING`. Options go to `silero.VAD.load`,
    e.g. `min_silence_duration=0.4`. Load it once per process (in a prewarm function)."""
    return silero.VAD.load(**options)
