"""`EspeakVoice`: the real espeak-ng program, and what happens when it is missing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ringback.core.voices import EspeakError, EspeakNotFoundError, EspeakVoice, Speech


async def test_synthesize_gives_16_bit_mono_pcm_at_its_rate() -> None:
    speech = await EspeakVoice().synthesize("Where is my order?")
    assert isinstance(speech, Speech)
    assert speech.sample_rate == 22_050
    assert len(speech.pcm) == 2 * speech.samples > 0
    assert 0.8 < speech.duration < 2.5  # four words at 175 words per minute
    samples = memoryview(speech.pcm).cast("h")
    assert max(abs(s) for s in samples) > 1_000


async def test_speaking_rate_changes_the_duration() -> None:
    text = "Your order has shipped with DHL."
    slow = await EspeakVoice(words_per_minute=120).synthesize(text)
    fast = await EspeakVoice(words_per_minute=260).synthesize(text)
    assert slow.duration > 1.6 * fast.duration


async def test_text_is_read_as_text_never_as_options() -> None:
    speech = await EspeakVoice().synthesize("-v xx --help")
    assert speech.duration > 0.5


async def test_empty_text_gives_no_audio() -> None:
    assert await EspeakVoice().synthesize(" \n ") == Speech(b"", 0)


async def test_a_missing_program_says_how_to_install_it(tmp_path: Path) -> None:
    voice = EspeakVoice(executable=tmp_path / "espeak-ng")
    with pytest.raises(EspeakNotFoundError) as caught:
        await voice.synthesize("Hello")
    message = str(caught.value)
    assert "apt-get install espeak-ng" in message
    assert "brew install espeak-ng" in message


async def test_a_path_without_espeak_is_the_same_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EspeakNotFoundError, match="apt-get install espeak-ng"):
        EspeakVoice().resolve()
    assert isinstance(EspeakNotFoundError("x"), FileNotFoundError)


async def test_a_program_that_fails_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "espeak-ng"
    broken.write_text("#!/bin/sh\necho 'cannot open audio' >&2\nexit 3\n")
    os.chmod(broken, 0o755)
    with pytest.raises(EspeakError, match="cannot open audio"):
        await EspeakVoice(executable=broken).synthesize("Hello")


@pytest.mark.parametrize(
    "options",
    [{"voice": "-w /tmp/x"}, {"voice": ""}, {"words_per_minute": 10}, {"pitch": 120}],
)
def test_bad_options_are_refused(options: dict) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        EspeakVoice(**options)
