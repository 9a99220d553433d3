"""The offline voices as LiveKit Agents plugins: real espeak-ng frames from `OfflineTTS`,
recognized back by `OfflineSTT` from 24 and 48 kHz buffers, with and without hints."""

from __future__ import annotations

from pathlib import Path

import pytest
from livekit import rtc
from livekit.agents import APIConnectionError, stt, tts
from livekit.agents.metrics import STTMetrics, TTSMetrics

from ringback.core.voices import EspeakNotFoundError, word_error_rate
from ringback.livekit.voices import OfflineSTT, OfflineTTS, resample_pcm, silero_vad

ORDER = "Hi, where is my order A1001?"
HINTS = [ORDER, "Great, thanks. Bye!", "Can you check order Z9999?", "Hello there!"]


async def speak(text: str, sample_rate: int) -> tuple[list[rtc.AudioFrame], list[TTSMetrics]]:
    voice = OfflineTTS(sample_rate=sample_rate)
    metrics: list[TTSMetrics] = []
    voice.on("metrics_collected", metrics.append)
    async with voice.synthesize(text) as stream:
        frames = [event.frame async for event in stream]
    await voice.aclose()
    return frames, metrics


@pytest.mark.parametrize("sample_rate", [22_050, 24_000, 48_000])
async def test_synthesize_gives_mono_frames_at_the_stated_rate(sample_rate: int) -> None:
    frames, metrics = await speak(ORDER, sample_rate)
    assert frames
    assert {(f.sample_rate, f.num_channels) for f in frames} == {(sample_rate, 1)}
    audio = rtc.combine_audio_frames(frames)
    assert 1.5 < audio.duration < 5.0  # about 2.8 s of speech at 175 words per minute
    assert max(abs(s) for s in audio.data) > 1_000  # not silence
    assert len(metrics) == 1
    assert metrics[0].audio_duration == pytest.approx(audio.duration, abs=0.01)
    assert metrics[0].characters_count == len(ORDER)


async def test_an_empty_text_gives_no_audio_and_no_error() -> None:
    frames, _ = await speak("   ", 24_000)
    assert sum(f.samples_per_channel for f in frames) == 0


@pytest.mark.parametrize("sample_rate", [24_000, 48_000])
async def test_recognize_a_buffer_the_tts_spoke(sample_rate: int) -> None:
    frames, _ = await speak(ORDER, sample_rate)
    hinted = OfflineSTT(hints=HINTS)
    metrics: list[STTMetrics] = []
    hinted.on("metrics_collected", metrics.append)

    event = await hinted.recognize(frames)

    assert event.type is stt.SpeechEventType.FINAL_TRANSCRIPT
    [alternative] = event.alternatives
    assert alternative.text == "hi where is my order A1001"  # the hint's written form
    assert alternative.language == "en-US"
    assert 0.0 < alternative.confidence <= 1.0
    duration = rtc.combine_audio_frames(frames).duration
    assert alternative.end_time == pytest.approx(duration)
    assert event.recognition_usage is not None
    assert event.recognition_usage.audio_duration == pytest.approx(duration)
    assert [m.audio_duration for m in metrics] == [pytest.approx(duration)]
    assert (hinted.model, hinted.provider) == ("en-us", "pocketsphinx")


async def test_without_hints_the_general_model_still_hears_most_words() -> None:
    frames, _ = await speak("Sorry, I could not find that order. Please check the number.", 48_000)
    event = await OfflineSTT().recognize(rtc.combine_audio_frames(frames))
    text = event.alternatives[0].text
    assert word_error_rate("sorry i could not find that order please check the number", text) < 0.5


async def test_stereo_audio_is_heard_on_its_first_channel() -> None:
    frames, _ = await speak(ORDER, 24_000)
    mono = rtc.combine_audio_frames(frames)
    samples = mono.data
    stereo = bytearray()
    for sample in samples:
        stereo += int(sample).to_bytes(2, "little", signed=True) * 2
    frame = rtc.AudioFrame(stereo, 24_000, 2, mono.samples_per_channel)
    event = await OfflineSTT(hints=HINTS).recognize(frame)
    assert event.alternatives[0].text == "hi where is my order A1001"


async def test_session_keyterms_become_hints() -> None:
    offline = OfflineSTT(hints=["Where is my order?"])
    offline._update_session_keyterms(["DHL"])
    assert offline.hints == ("Where is my order?", "DHL")
    offline.update_hints(["Hello there!"])
    assert offline.hints == ("Hello there!", "DHL")
    assert offline.capabilities.keyterms
    assert not offline.capabilities.streaming


def test_resample_keeps_duration() -> None:
    one_second = bytes(2 * 22_050)
    assert len(resample_pcm(one_second, 22_050, 16_000)) == pytest.approx(2 * 16_000, abs=64)
    assert resample_pcm(one_second, 16_000, 16_000) is one_second


async def test_a_missing_espeak_is_named_with_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(EspeakNotFoundError, match="apt-get install espeak-ng"):
        OfflineTTS(executable=tmp_path / "espeak-ng")


async def test_espeak_going_missing_fails_the_stream_without_retrying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    voice = OfflineTTS()
    monkeypatch.setenv("PATH", str(tmp_path))
    voice.voice.executable = "espeak-ng"
    errors: list[tts.TTSError] = []
    voice.on("error", errors.append)
    stream = voice.synthesize(ORDER)
    with pytest.raises(APIConnectionError, match="brew install espeak-ng"):
        await stream.collect()
    await stream.aclose()
    assert [e.recoverable for e in errors] == [False]


async def test_through_silero_vad_and_the_stream_adapter_as_an_agent_session_does() -> None:
    """AgentSession wraps a non-streaming STT in `stt.StreamAdapter` with its VAD: speech then
    silence, pushed as 10 ms room frames, gives start, end and the final transcript."""
    frames, _ = await speak(ORDER, 48_000)
    audio = rtc.combine_audio_frames(frames)
    silence = bytes(2 * 48_000)  # one second
    pcm = bytes(silence[: 2 * 24_000]) + bytes(audio.data.cast("B")) + silence
    adapter = stt.StreamAdapter(stt=OfflineSTT(hints=HINTS), vad=silero_vad())
    stream = adapter.stream()
    step = 2 * 480
    for start in range(0, len(pcm) - step + 1, step):
        stream.push_frame(rtc.AudioFrame(pcm[start : start + step], 48_000, 1, 480))
    stream.end_input()
    events = [event async for event in stream]
    await stream.aclose()
    kinds = [event.type for event in events]
    assert kinds == [
        stt.SpeechEventType.START_OF_SPEECH,
        stt.SpeechEventType.END_OF_SPEECH,
        stt.SpeechEventType.FINAL_TRANSCRIPT,
    ]
    assert events[-1].alternatives[0].text == "hi where is my order A1001"
