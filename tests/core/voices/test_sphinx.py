"""`SphinxRecognizer`: espeak-ng speech recognized back by pocketsphinx, with and without
hints; its hint model and written forms; concurrent use of the shared decoders."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import numpy as np
import pytest
import soxr

from ringback.core.voices import EspeakVoice, Recognition, SphinxRecognizer, word_error_rate
from ringback.core.voices.sphinx import SAMPLE_RATE, _restore_written

HINTS = [
    "Hi, where is my order A1001?",
    "Great, thanks. Bye!",
    "Can you check order Z9999?",
    "Your order has shipped with DHL.",
]


async def speech_16k(text: str) -> bytes:
    speech = await EspeakVoice().synthesize(text)
    samples = np.frombuffer(speech.pcm, dtype=np.int16)
    return soxr.resample(samples, speech.sample_rate, SAMPLE_RATE).astype(np.int16).tobytes()


async def test_round_trip_with_hints_recovers_the_phrase() -> None:
    result = await SphinxRecognizer(hints=["where is my order", *HINTS]).recognize(
        await speech_16k("where is my order")
    )
    assert isinstance(result, Recognition)
    assert result.text == "where is my order"
    assert result.hinted
    assert 0.0 < result.confidence <= 1.0
    assert 0.8 < result.audio_duration < 2.5
    assert 0.0 < result.decode_seconds < result.audio_duration


async def test_hints_restore_written_forms() -> None:
    recognizer = SphinxRecognizer(hints=HINTS)
    assert (await recognizer.recognize(await speech_16k(HINTS[0]))).text == (
        "hi where is my order A1001"
    )
    assert (await recognizer.recognize(await speech_16k(HINTS[3]))).text == (
        "your order has shipped with DHL"
    )


async def test_hints_for_one_call_only() -> None:
    recognizer = SphinxRecognizer()
    pcm = await speech_16k("Can you check order Z9999?")
    hinted = await recognizer.recognize(pcm, hints=HINTS)
    assert hinted.text == "can you check order Z9999"
    assert recognizer.hints == ()
    general = await recognizer.recognize(pcm)
    assert not general.hinted
    assert "Z9999" not in general.text


async def test_without_hints_the_general_model_hears_a_clear_sentence() -> None:
    text = "Sorry, I could not find that order. Please check the number."
    result = await SphinxRecognizer().recognize(await speech_16k(text))
    assert word_error_rate(text, result.text) < 0.5


async def test_silence_and_empty_audio_give_no_text() -> None:
    recognizer = SphinxRecognizer(hints=HINTS)
    assert (await recognizer.recognize(b"")).text == ""
    silent = await recognizer.recognize(bytes(2 * SAMPLE_RATE))
    assert silent.text == ""


async def test_other_rates_and_odd_lengths_are_refused() -> None:
    recognizer = SphinxRecognizer()
    with pytest.raises(ValueError, match="resample"):
        await recognizer.recognize(bytes(1600), sample_rate=8_000)
    with pytest.raises(ValueError, match="16-bit"):
        await recognizer.recognize(bytes(3))
    with pytest.raises(ValueError, match="hint_weight"):
        SphinxRecognizer(hint_weight=1.0)
    with pytest.raises(ValueError, match="min_hint_coverage"):
        SphinxRecognizer(min_hint_coverage=1.5)


def test_hint_words_outside_the_dictionary_are_named() -> None:
    recognizer = SphinxRecognizer(hints=["Ask Zorblaxian about order 42"])
    assert recognizer.unknown_hint_words() == ("Zorblaxian",)
    recognizer.set_hints([])
    assert recognizer.unknown_hint_words() == ()


async def test_concurrent_recognitions_match_sequential_ones() -> None:
    recognizer = SphinxRecognizer(hints=HINTS)
    audio = [await speech_16k(text) for text in HINTS]
    sequential = [(await recognizer.recognize(pcm)).text for pcm in audio]
    together = await asyncio.gather(*(recognizer.recognize(pcm) for pcm in audio * 3))
    assert [r.text for r in together] == sequential * 3


def test_importing_ringback_core_and_its_voices_loads_no_recognizer() -> None:
    code = (
        "import sys, ringback.core, ringback.core.voices, ringback.livekit, ringback.pipecat; "
        "print(sorted(m for m in ('pocketsphinx', 'livekit.plugins.silero') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


async def test_speech_outside_the_hints_is_heard_by_the_general_model() -> None:
    text = "I want to cancel my subscription."
    pcm = await speech_16k(text)
    general = await SphinxRecognizer().recognize(pcm)
    fallback = await SphinxRecognizer(hints=HINTS).recognize(pcm)
    assert not fallback.hinted
    assert fallback.text == general.text
    forced = await SphinxRecognizer(hints=HINTS, min_hint_coverage=0.0).recognize(pcm)
    assert forced.hinted
    assert word_error_rate(text, forced.text) > word_error_rate(text, general.text)


@pytest.mark.parametrize(
    ("heard", "restored"),
    [
        ("hi where is my order a one thousand one", "hi where is my order A1001"),
        # over a real phone line the recognizer slips a short word into a long number
        ("hi where is my order a one is thousand one", "hi where is my order A1001"),
        (
            "can you check order z nine south thousand nine hundred ninety nine",
            "can you check order Z9999",
        ),
        # one stray word only, never at the edges, and never in a short reading
        ("a one thousand is so one", "a one thousand is so one"),
        ("is a one thousand one", "is A1001"),
        ("a one south a one", "a one south a one"),
        ("d h l", "DHL"),
        ("d is h l", "d is h l"),
    ],
)
def test_written_forms_come_back_despite_one_stray_word(heard: str, restored: str) -> None:
    rewrites = [
        (("z", "nine", "thousand", "nine", "hundred", "ninety", "nine"), "Z9999"),
        (("a", "one", "thousand", "one"), "A1001"),
        (("d", "h", "l"), "DHL"),
    ]
    assert _restore_written(heard, rewrites) == restored
