"""The offline voices as Pipecat services in real pipelines: `OfflineTTSService` speaks
`TTSAudioRawFrame`s at the pipeline's rate, `OfflineSTTService` transcribes the audio between
VAD frames, at 16 and 24 kHz, with the hints' written forms."""

from __future__ import annotations

from pathlib import Path

import pytest
from pipecat.audio.utils import create_file_resampler
from pipecat.frames.frames import (
    ErrorFrame,
    InputAudioRawFrame,
    MetricsFrame,
    TranscriptionFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
    VADUserStartedSpeakingFrame,
    VADUserStoppedSpeakingFrame,
)
from pipecat.metrics.metrics import STTUsageMetricsData, TTSUsageMetricsData
from pipecat.pipeline.worker import PipelineParams
from pipecat.tests.utils import run_test

from ringback.core.voices import EspeakNotFoundError, EspeakVoice, Recognition
from ringback.pipecat.voices import OfflineSTTService, OfflineTTSService

ORDER = "Hi, where is my order A1001?"
HINTS = [ORDER, "Great, thanks. Bye!", "Can you check order Z9999?", "Hello there!"]


def params(sample_rate: int) -> PipelineParams:
    return PipelineParams(
        audio_in_sample_rate=sample_rate,
        audio_out_sample_rate=sample_rate,
        enable_metrics=True,
        enable_usage_metrics=True,
    )


@pytest.mark.parametrize("sample_rate", [16_000, 24_000])
async def test_tts_speaks_audio_frames_at_the_pipeline_rate(sample_rate: int) -> None:
    down, _ = await run_test(
        OfflineTTSService(),
        frames_to_send=[TTSSpeakFrame(ORDER)],
        pipeline_params=params(sample_rate),
    )
    audio = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert audio
    assert {(f.sample_rate, f.num_channels) for f in audio} == {(sample_rate, 1)}
    seconds = sum(len(f.audio) for f in audio) / 2 / sample_rate
    assert 1.5 < seconds < 5.0
    kinds = [type(f) for f in down]
    assert kinds.index(TTSStartedFrame) < kinds.index(TTSAudioRawFrame)
    assert max(i for i, k in enumerate(kinds) if k is TTSAudioRawFrame) < kinds.index(
        TTSStoppedFrame
    )
    usage = [
        d
        for f in down
        if isinstance(f, MetricsFrame)
        for d in f.data
        if isinstance(d, TTSUsageMetricsData)
    ]
    assert [u.value for u in usage] == [len(ORDER)]


def test_tts_without_espeak_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(EspeakNotFoundError, match="apt-get install espeak-ng"):
        OfflineTTSService(executable=tmp_path / "espeak-ng")


async def spoken(text: str, sample_rate: int) -> bytes:
    speech = await EspeakVoice().synthesize(text)
    return await create_file_resampler().resample(speech.pcm, speech.sample_rate, sample_rate)


def utterance(pcm: bytes, sample_rate: int) -> list:
    """The frames a transport and VAD would send for one utterance: 20 ms audio frames,
    the user starting to speak, speaking, stopping, then some silence."""
    step = sample_rate // 50 * 2
    silence = bytes(sample_rate // 5 * 2)
    chunks = [pcm[i : i + step] for i in range(0, len(pcm), step)]
    frame = lambda chunk: InputAudioRawFrame(chunk, sample_rate, 1)  # noqa: E731
    return [
        *[frame(silence[i : i + step]) for i in range(0, len(silence), step)],
        VADUserStartedSpeakingFrame(),
        *[frame(c) for c in chunks],
        VADUserStoppedSpeakingFrame(stop_secs=0.2),
        *[frame(silence[i : i + step]) for i in range(0, len(silence), step)],
    ]


@pytest.mark.parametrize("sample_rate", [16_000, 24_000])
async def test_stt_transcribes_the_audio_between_vad_frames(sample_rate: int) -> None:
    pcm = await spoken(ORDER, sample_rate)
    down, _ = await run_test(
        OfflineSTTService(hints=HINTS),
        frames_to_send=utterance(pcm, sample_rate),
        pipeline_params=params(sample_rate),
    )
    assert not [f for f in down if isinstance(f, ErrorFrame)]
    [transcript] = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert transcript.text == "hi where is my order A1001"
    assert transcript.finalized
    assert isinstance(transcript.result, Recognition)
    assert 0.0 < transcript.result.confidence <= 1.0
    assert transcript.result.hinted
    usage = [
        d
        for f in down
        if isinstance(f, MetricsFrame)
        for d in f.data
        if isinstance(d, STTUsageMetricsData)
    ]
    seconds = len(pcm) / 2 / sample_rate
    assert sum(u.value.audio_seconds for u in usage) > seconds  # plus padding and pre-roll


async def test_stt_without_hints_uses_the_general_model() -> None:
    pcm = await spoken("Hello there!", 16_000)
    down, _ = await run_test(
        OfflineSTTService(), frames_to_send=utterance(pcm, 16_000), pipeline_params=params(16_000)
    )
    [transcript] = [f for f in down if isinstance(f, TranscriptionFrame)]
    assert transcript.text == "hello there"
    assert not transcript.result.hinted
