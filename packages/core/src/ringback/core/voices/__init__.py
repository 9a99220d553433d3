"""Offline voices: espeak-ng speech synthesis and pocketsphinx speech recognition.

No account and no network: `EspeakVoice` runs the espeak-ng program, `SphinxRecognizer` the
pocketsphinx US English model shipped in its wheel (`pip install 'ringback-core[voices]'`).
The LiveKit and Pipecat adapters live in `ringback.livekit.voices` and
`ringback.pipecat.voices`. Names are imported lazily: importing this package loads neither.
See docs/voices.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "DEFAULT_VOICE": "ringback.core.voices.espeak",
    "EspeakError": "ringback.core.voices.espeak",
    "EspeakNotFoundError": "ringback.core.voices.espeak",
    "EspeakVoice": "ringback.core.voices.espeak",
    "Speech": "ringback.core.voices.espeak",
    "SAMPLE_RATE": "ringback.core.voices.sphinx",
    "Recognition": "ringback.core.voices.sphinx",
    "SphinxRecognizer": "ringback.core.voices.sphinx",
    "VoicesNotInstalledError": "ringback.core.voices.sphinx",
    "resample_pcm": "ringback.core.voices.resample",
    "spoken_words": "ringback.core.voices.text",
    "word_error_rate": "ringback.core.voices.text",
    "word_errors": "ringback.core.voices.text",
}

__all__ = [
    "DEFAULT_VOICE",
    "SAMPLE_RATE",
    "EspeakError",
    "EspeakNotFoundError",
    "EspeakVoice",
    "Recognition",
    "Speech",
    "SphinxRecognizer",
    "VoicesNotInstalledError",
    "resample_pcm",
    "spoken_words",
    "word_error_rate",
    "word_errors",
]

if TYPE_CHECKING:
    from ringback.core.voices.espeak import (
        DEFAULT_VOICE,
        EspeakError,
        EspeakNotFoundError,
        EspeakVoice,
        Speech,
    )
    from ringback.core.voices.resample import resample_pcm
    from ringback.core.voices.sphinx import (
        SAMPLE_RATE,
        Recognition,
        SphinxRecognizer,
        VoicesNotInstalledError,
    )
    from ringback.core.voices.text import spoken_words, word_error_rate, word_errors


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ringback.core.voices' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
