"""Offline speech recognition with pocketsphinx and its bundled US English model.

`SphinxRecognizer` turns 16 kHz, 16-bit mono PCM into text. Given hint phrases (what the
speaker is expected to say), it decodes with a small trigram model of those phrases, built in
process, that keeps a share of its probability for the general model's most common words;
when the transcript it gets is not made of the hints' word pairs (the speaker said something
else), it falls back to the general US English model, which it also uses without hints.
Written forms in the hints come back written: a hint "order A1001" turns the spoken "a one
thousand one" back into "A1001".

Decoders are loaded once per process and shared: a small pool, each decoder used by one
thread at a time, so recognitions run off the event loop (`asyncio.to_thread`) in parallel up
to the pool's size and queue beyond it.
"""

from __future__ import annotations

import array
import asyncio
import hashlib
import itertools
import math
import os
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ringback.core.errors import RingbackError

from .arpa import arpa_trigram
from .text import spoken_tokens

if TYPE_CHECKING:
    from pocketsphinx import Decoder

__all__ = [
    "SAMPLE_RATE",
    "HintModel",
    "Recognition",
    "SphinxRecognizer",
    "VoicesNotInstalledError",
]

SAMPLE_RATE = 16_000
"""The sample rate of the bundled acoustic model: recognizers take PCM at this rate."""

_BACKGROUND_WORDS = 2_000
_BACKGROUND_MASS = 0.05
_MIN_COVERAGE = 0.5
_SEARCHES_PER_DECODER = 16
_LOG_BASE = math.log(1.0001)  # pocketsphinx's log-math base for language model scores
_SILENCE_PEAK = 100  # below -50 dBFS throughout: nothing to hear (pure zeros make it guess)


class VoicesNotInstalledError(RingbackError, ImportError):
    """pocketsphinx is not installed: the offline recognizer needs the `voices` extra."""


@dataclass(frozen=True, slots=True)
class Recognition:
    """What the recognizer heard in one utterance.

    `text` is lower case except written forms taken from the hints ("A1001", "DHL");
    `confidence` is the posterior probability of that transcript among the alternatives the
    decoder considered (0 to 1); `hinted` says whether it is the hint model's transcript
    (False without hints, or when the speech was not one of them and the general model's
    transcript was used).
    """

    text: str
    confidence: float
    audio_duration: float
    decode_seconds: float
    hinted: bool


@dataclass(frozen=True, slots=True)
class HintModel:
    """A hint language model: its ARPA text and the written forms it restores."""

    key: str
    arpa: str
    rewrites: tuple[tuple[tuple[str, ...], str], ...]
    unknown_words: tuple[str, ...]
    bigrams: frozenset[tuple[str, str]]

    def coverage(self, text: str) -> float:
        """The share of a transcript's word pairs (with its start and end) that the hints
        contain: near 1 when the speaker said a hint, low when the model filled in words."""
        words = ["<s>", *text.split(), "</s>"]
        pairs = list(itertools.pairwise(words))
        return sum(pair in self.bigrams for pair in pairs) / len(pairs)


def _import_pocketsphinx() -> Any:
    try:
        import pocketsphinx
    except ImportError as exc:  # pragma: no cover - the workspace installs it
        raise VoicesNotInstalledError(
            "The offline recognizer needs pocketsphinx: pip install 'ringback-core[voices]' "
            "(or ringback-livekit[voices], ringback-pipecat[voices])."
        ) from exc
    return pocketsphinx


class _Vocabulary:
    """The bundled dictionary's words and the general model's most common ones."""

    def __init__(self, words: frozenset[str], common: dict[str, float]) -> None:
        self.words = words
        self.common = common

    @classmethod
    def read(cls, decoder: Decoder, dictionary: str) -> _Vocabulary:
        with open(dictionary, encoding="utf-8") as lines:
            words = frozenset(
                word for line in lines if (word := line.split(" ", 1)[0]) and "(" not in word
            )
        lm = decoder.get_lm()
        scored = sorted(((lm.prob([w]), w) for w in words), reverse=True)[:_BACKGROUND_WORDS]
        common = {word: math.exp(score * _LOG_BASE) for score, word in scored}
        return cls(words, common)


class _Pool:
    """Decoders for the bundled model, each used by one thread at a time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: list[_Slot] = []
        self._count = 0
        self._ready = threading.Condition()
        self._vocabulary: _Vocabulary | None = None

    def vocabulary(self) -> _Vocabulary:
        if self._vocabulary is None:
            slot = self.acquire()
            self.release(slot)
        assert self._vocabulary is not None
        return self._vocabulary

    def acquire(self) -> _Slot:
        with self._ready:
            while not self._idle and self._count >= self.size:
                self._ready.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            slot = _Slot.load()
        except BaseException:
            with self._ready:
                self._count -= 1
                self._ready.notify()
            raise
        with self._ready:
            if self._vocabulary is None:
                self._vocabulary = _Vocabulary.read(slot.decoder, slot.dictionary)
        return slot

    def release(self, slot: _Slot) -> None:
        with self._ready:
            self._idle.append(slot)
            self._ready.notify()


class _Slot:
    """One decoder and the hint searches loaded into it."""

    def __init__(self, decoder: Decoder, dictionary: str) -> None:
        self.decoder = decoder
        self.dictionary = dictionary
        self.searches: OrderedDict[str, None] = OrderedDict()

    @classmethod
    def load(cls) -> _Slot:
        pocketsphinx = _import_pocketsphinx()
        decoder = pocketsphinx.Decoder(loglevel="ERROR")
        return cls(decoder, decoder.config["dict"])

    def activate(self, model: HintModel | None) -> None:
        if model is None:
            self.decoder.activate_search(None)
            return
        if model.key in self.searches:
            self.searches.move_to_end(model.key)
        else:
            with tempfile.TemporaryDirectory(prefix="ringback-lm-") as folder:
                path = os.path.join(folder, "hints.arpa")
                with open(path, "w", encoding="utf-8") as out:
                    out.write(model.arpa)
                self.decoder.add_lm_file(model.key, path)
            self.searches[model.key] = None
            while len(self.searches) > _SEARCHES_PER_DECODER:
                old, _ = self.searches.popitem(last=False)
                self.decoder.activate_search(None)
                self.decoder.remove_search(old)
        self.decoder.activate_search(model.key)

    def decode(self, pcm: bytes, model: HintModel | None) -> tuple[str, float]:
        self.activate(model)
        decoder = self.decoder
        decoder.start_utt()
        decoder.process_raw(pcm, full_utt=True)
        decoder.end_utt()
        hypothesis = decoder.hyp()
        if hypothesis is None:
            return "", 0.0
        words = [w for w in hypothesis.hypstr.split() if not w.startswith(("<", "["))]
        return " ".join(words), min(max(float(hypothesis.prob), 0.0), 1.0)


_POOL = _Pool(size=max(1, min(4, os.cpu_count() or 1)))


def build_hint_model(
    hints: Sequence[str],
    vocabulary: frozenset[str],
    background: dict[str, float],
    *,
    background_mass: float = _BACKGROUND_MASS,
) -> HintModel | None:
    """The hint language model for `hints`, or None when no hint has a word the model knows."""
    sentences: list[list[str]] = []
    rewrites: dict[tuple[str, ...], str] = {}
    unknown: dict[str, None] = {}
    for hint in hints:
        words: list[str] = []
        for token in spoken_tokens(hint, known=vocabulary):
            readable = [r for r in token.readings if all(w in vocabulary for w in r)]
            if not readable:
                unknown[token.written] = None
                continue
            words.extend(readable[0])
            if not token.is_word:
                for reading in readable:
                    if len(reading) < 2:
                        continue
                    rewrites.setdefault(reading, token.written)
                    if reading != readable[0]:
                        sentences.append(list(reading))
        if words:
            sentences.append(words)
    if not sentences:
        return None
    arpa = arpa_trigram(sentences, background=background, background_mass=background_mass)
    key = "hints-" + hashlib.sha256(arpa.encode()).hexdigest()[:16]
    ordered = tuple(sorted(rewrites.items(), key=lambda item: -len(item[0])))
    bigrams = frozenset(
        pair
        for sentence in sentences
        for pair in zip(["<s>", *sentence], [*sentence, "</s>"], strict=True)
    )
    return HintModel(key, arpa, ordered, tuple(unknown), bigrams)


MIN_LOOSE_READING = 4
"""Readings this long may match with one stray word inside them (the recognizer often adds a
short word to a long number: "a one is thousand one")."""


def _reading_at(words: Sequence[str], i: int, reading: tuple[str, ...]) -> int:
    """How many of `words`, from `i`, spell `reading` (0: they do not). A reading of at least
    `MIN_LOOSE_READING` words may have one extra word inside it, never first or last."""
    n = len(reading)
    if tuple(words[i : i + n]) == reading:
        return n
    if n >= MIN_LOOSE_READING:
        span = tuple(words[i : i + n + 1])
        if len(span) == n + 1 and span[0] == reading[0] and span[-1] == reading[-1]:
            for extra in range(1, n):
                if span[:extra] + span[extra + 1 :] == reading:
                    return n + 1
    return 0


def _restore_written(text: str, rewrites: Sequence[tuple[tuple[str, ...], str]]) -> str:
    """Put the hints' written forms back: "a one thousand one" → "A1001" (longest first)."""
    words = text.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        for reading, written in rewrites:
            if taken := _reading_at(words, i, reading):
                out.append(written)
                i += taken
                break
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


def _is_silent(pcm: bytes) -> bool:
    samples = array.array("h", pcm)
    if sys.byteorder == "big":  # pragma: no cover
        samples.byteswap()
    return not samples or max(max(samples), -min(samples)) < _SILENCE_PEAK


def _hint_list(hints: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(hints, str):
        hints = [hints]
    return tuple(dict.fromkeys(h.strip() for h in hints if h and h.strip()))


class SphinxRecognizer:
    """Offline speech to text over 16 kHz, 16-bit mono PCM.

    `hints` are phrases the speaker is expected to say (a scenario's lines, an agent's
    replies); with them recognition is far more accurate on those phrases and on their words.
    `hint_weight` is the share of the hint model left to the general model's common words
    (0 to 1; higher trusts the hints less). A hinted transcript whose word pairs are less than
    `min_hint_coverage` hint pairs was not one of the hints: the general model decodes that
    utterance again and its transcript is used (0 keeps every hinted transcript).
    """

    def __init__(
        self,
        *,
        hints: Iterable[str] = (),
        hint_weight: float = _BACKGROUND_MASS,
        min_hint_coverage: float = _MIN_COVERAGE,
    ) -> None:
        if not 0.0 <= hint_weight < 1.0:
            raise ValueError("hint_weight must be at least 0 and below 1")
        if not 0.0 <= min_hint_coverage <= 1.0:
            raise ValueError("min_hint_coverage must be between 0 and 1")
        self._background_mass = hint_weight
        self._min_coverage = min_hint_coverage
        self._hints: tuple[str, ...] = ()
        self._model: HintModel | None = None
        self._models: OrderedDict[tuple[str, ...], HintModel | None] = OrderedDict()
        self._lock = threading.Lock()
        self.set_hints(hints)

    @property
    def hints(self) -> tuple[str, ...]:
        """The hint phrases in use."""
        return self._hints

    def set_hints(self, hints: Iterable[str] | str) -> None:
        """Replace the hint phrases (an empty list recognizes with the general model)."""
        self._hints = _hint_list(hints)
        self._model = None

    def load(self) -> None:
        """Load a decoder and build the hint model now (blocking, ~0.3 s the first time)."""
        self._hint_model(self._hints)

    def unknown_hint_words(self) -> tuple[str, ...]:
        """Hint words the dictionary cannot say, so the recognizer can never output them."""
        model = self._hint_model(self._hints)
        return model.unknown_words if model else ()

    async def recognize(
        self, pcm: bytes, *, sample_rate: int = SAMPLE_RATE, hints: Iterable[str] | None = None
    ) -> Recognition:
        """Transcribe one utterance, off the event loop. `hints` replaces the recognizer's own
        for this call only."""
        return await asyncio.to_thread(
            self.recognize_blocking, pcm, sample_rate=sample_rate, hints=hints
        )

    def recognize_blocking(
        self, pcm: bytes, *, sample_rate: int = SAMPLE_RATE, hints: Iterable[str] | None = None
    ) -> Recognition:
        """`recognize`, in the calling thread."""
        if sample_rate != SAMPLE_RATE:
            raise ValueError(
                f"the recognizer takes {SAMPLE_RATE} Hz audio, not {sample_rate} Hz: resample "
                "it first (the LiveKit and Pipecat adapters do)"
            )
        if len(pcm) % 2:
            raise ValueError("PCM must be 16-bit samples (an even number of bytes)")
        duration = len(pcm) / 2 / SAMPLE_RATE
        model = self._hint_model(self._hints if hints is None else _hint_list(hints))
        if _is_silent(pcm):
            return Recognition("", 0.0, duration, 0.0, model is not None)
        start = time.perf_counter()
        slot = _POOL.acquire()
        try:
            text, confidence = slot.decode(pcm, model)
            hinted = model is not None
            if model is not None and model.coverage(text) < self._min_coverage:
                text, confidence = slot.decode(pcm, None)
                hinted = False
        finally:
            _POOL.release(slot)
        if model is not None and text:
            text = _restore_written(text, model.rewrites)
        return Recognition(text, confidence, duration, time.perf_counter() - start, hinted)

    def _hint_model(self, hints: tuple[str, ...]) -> HintModel | None:
        if not hints:
            return None
        if hints == self._hints and self._model is not None:
            return self._model
        with self._lock:
            if hints in self._models:
                self._models.move_to_end(hints)
                model = self._models[hints]
            else:
                vocabulary = _POOL.vocabulary()
                model = build_hint_model(
                    hints,
                    vocabulary.words,
                    vocabulary.common,
                    background_mass=self._background_mass,
                )
                self._models[hints] = model
                while len(self._models) > 8:
                    self._models.popitem(last=False)
            if hints == self._hints:
                self._model = model
            return model
