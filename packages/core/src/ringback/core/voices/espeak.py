"""Offline speech synthesis with the espeak-ng command-line program.

`EspeakVoice.synthesize(text)` runs `espeak-ng --stdout` in a subprocess (the text goes in
on standard input, never as an argument) and returns 16-bit mono PCM with its sample rate
(22,050 Hz for espeak-ng's own voices).
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import wave
from dataclasses import dataclass

from ringback.core.errors import RingbackError

__all__ = [
    "DEFAULT_VOICE",
    "INSTALL_HINT",
    "EspeakError",
    "EspeakNotFoundError",
    "EspeakVoice",
    "Speech",
]

DEFAULT_VOICE = "en-us+klatt"
"""US English with the Klatt formant variant: of espeak-ng's English voices, the one the
offline recognizer understands best (see docs/voices.md)."""

INSTALL_HINT = (
    "install espeak-ng: `apt-get install espeak-ng` (Debian, Ubuntu), "
    "`brew install espeak-ng` (macOS), or set its path with executable=..."
)


class EspeakError(RingbackError, RuntimeError):
    """espeak-ng failed to synthesize."""


class EspeakNotFoundError(EspeakError, FileNotFoundError):
    """The espeak-ng program is not installed (or not where it was said to be)."""


@dataclass(frozen=True, slots=True)
class Speech:
    """Synthesized speech: 16-bit signed little-endian mono PCM at `sample_rate`."""

    pcm: bytes
    sample_rate: int

    @property
    def samples(self) -> int:
        """Number of samples."""
        return len(self.pcm) // 2

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples / self.sample_rate if self.sample_rate else 0.0


def _read_wav(data: bytes) -> Speech:
    try:
        with wave.open(io.BytesIO(data)) as wav:
            if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
                raise EspeakError(
                    f"espeak-ng wrote {wav.getnchannels()} channel(s) of "
                    f"{8 * wav.getsampwidth()}-bit audio, not 16-bit mono"
                )
            rate = wav.getframerate()
            # espeak-ng streams to stdout with a placeholder length: read to the end.
            pcm = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise EspeakError(f"espeak-ng wrote no readable WAV: {exc}") from exc
    return Speech(pcm[: len(pcm) - len(pcm) % 2], rate)


class EspeakVoice:
    """An espeak-ng voice.

    `voice` is an espeak-ng voice name with an optional variant (`espeak-ng --voices`,
    e.g. "en-us", "en-us+f5", "en-gb"); `words_per_minute` (80-450) and `pitch` (0-99) as
    espeak-ng's `-s` and `-p`. `executable` is the program's name on PATH or its path.
    """

    def __init__(
        self,
        voice: str = DEFAULT_VOICE,
        *,
        words_per_minute: int = 175,
        pitch: int = 50,
        executable: str | os.PathLike[str] = "espeak-ng",
    ) -> None:
        if not voice or voice.startswith("-") or any(c.isspace() for c in voice):
            raise ValueError(f"not an espeak-ng voice name: {voice!r}")
        if not 80 <= words_per_minute <= 450:
            raise ValueError("words_per_minute must be between 80 and 450")
        if not 0 <= pitch <= 99:
            raise ValueError("pitch must be between 0 and 99")
        self.voice = voice
        self.words_per_minute = words_per_minute
        self.pitch = pitch
        self.executable = os.fspath(executable)

    def resolve(self) -> str:
        """The path of the espeak-ng program; raises `EspeakNotFoundError` saying how to
        install it."""
        found = shutil.which(self.executable)
        if found is None:
            raise EspeakNotFoundError(f"espeak-ng not found ({self.executable!r}): {INSTALL_HINT}")
        return found

    def _command(self) -> list[str]:
        return [
            self.resolve(),
            "--stdout",
            "-v",
            self.voice,
            "-s",
            str(self.words_per_minute),
            "-p",
            str(self.pitch),
        ]

    async def synthesize(self, text: str) -> Speech:
        """Speak `text`: 16-bit mono PCM and its sample rate. Empty text gives no audio."""
        if not text.strip():
            return Speech(b"", 0)
        command = self._command()
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except FileNotFoundError as exc:
            raise EspeakNotFoundError(
                f"espeak-ng not found ({command[0]!r}): {INSTALL_HINT}"
            ) from exc
        try:
            out, err = await process.communicate(text.encode("utf-8"))
        except BaseException:
            if process.returncode is None:
                process.kill()
                await process.wait()
            raise
        if process.returncode != 0:
            detail = err.decode("utf-8", "replace").strip() or f"exit status {process.returncode}"
            raise EspeakError(f"espeak-ng failed (voice {self.voice!r}): {detail}")
        return _read_wav(out)
