"""How well and how fast the offline voices hear each other: espeak-ng → pocketsphinx.

Every line of the bundled demo suite (its scenarios' `turns`) and every reply of the demo agent
is spoken by `EspeakVoice`, resampled to 16 kHz (`resample_pcm`: soxr, no dither, so the
figures repeat exactly), and recognized by
`SphinxRecognizer` four ways: with the general model (no hints); with all the lines as hints;
with hints that leave the line itself out (speech the hints did not expect); and with hints
after a telephone line (8 kHz G.711 μ-law, as PCMU carries it, then back to 16 kHz). A few
sentences unrelated to the demo are recognized with and without the demo's hints too.

Run: uv run python benchmarks/offline_voices.py [--voice en-us+f5] [--lines]
Targets: word error rate with hints ≤ 10 %; real-time factor (processing time / audio time)
≤ 0.5 for the recognizer and ≤ 0.1 for espeak-ng, on a 2-core machine.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import statistics
import time
from pathlib import Path

import numpy as np
import yaml

from ringback.core.voices import (
    DEFAULT_VOICE,
    EspeakVoice,
    SphinxRecognizer,
    resample_pcm,
    word_errors,
)

DEMO = Path(__file__).parents[1] / "packages/sip_simulator/src/ringback/simulator/demo"
UNRELATED = [
    "I would like a refund for my shoes.",
    "Can I speak to a manager please?",
    "I bought them last week.",
    "Yes, that is correct.",
    "The package never arrived at my house.",
    "I want to cancel my subscription.",
    "Thanks, that helps a lot.",
    "Where is the nearest store?",
]
"""Speech none of the demo's lines contains: what hints cost when the speaker goes off script."""
TARGET_WER = 0.10
TARGET_STT_RTF = 0.5
TARGET_TTS_RTF = 0.1


def demo_lines() -> tuple[list[str], list[str]]:
    """The demo suite's caller turns, and the demo agent's replies (read from its source)."""
    suite = yaml.safe_load((DEMO / "suite.yaml").read_text())
    turns = [turn for scenario in suite["scenarios"] for turn in scenario.get("turns", [])]
    tree = ast.parse((DEMO / "agent.py").read_text())
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }
    replies = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Answer":
            for keyword in node.keywords:
                if keyword.arg != "text":
                    continue
                for value in ast.walk(keyword.value):  # a literal, a constant, or a choice of them
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        replies.append(value.value)
                    elif isinstance(value, ast.Name) and value.id in constants:
                        replies.append(constants[value.id])
    return list(dict.fromkeys(turns)), list(dict.fromkeys(replies))


def telephone(pcm16k: bytes) -> bytes:
    """16 kHz PCM through an 8 kHz μ-law telephone line and back to 16 kHz."""
    narrow = np.frombuffer(resample_pcm(pcm16k, 16_000, 8_000), dtype=np.int16) / 32768.0
    mu = 255.0
    encoded = np.round(np.sign(narrow) * np.log1p(mu * np.abs(narrow)) / np.log1p(mu) * 127)
    decoded = np.sign(encoded) * np.expm1(np.abs(encoded) / 127 * np.log1p(mu)) / mu
    pcm8k = np.clip(decoded * 32768.0, -32768, 32767).astype(np.int16).tobytes()
    return resample_pcm(pcm8k, 8_000, 16_000)


class Score:
    def __init__(self) -> None:
        self.errors = self.words = 0
        self.decode: list[float] = []
        self.audio = 0.0

    def add(self, reference: str, hypothesis: str, decode: float, audio: float) -> None:
        errors, words = word_errors(reference, hypothesis)
        self.errors += errors
        self.words += words
        self.decode.append(decode)
        self.audio += audio

    @property
    def wer(self) -> float:
        return self.errors / self.words if self.words else 0.0

    @property
    def rtf(self) -> float:
        return sum(self.decode) / self.audio if self.audio else 0.0


async def main(voice_name: str, show_lines: bool) -> None:
    turns, replies = demo_lines()
    lines = turns + replies
    voice = EspeakVoice(voice_name)
    await voice.synthesize("warm up")
    general = SphinxRecognizer()
    hinted = SphinxRecognizer(hints=lines)
    started = time.perf_counter()
    hinted.load()
    load_seconds = time.perf_counter() - started

    synth_seconds = audio_seconds = 0.0
    scores = {name: Score() for name in ("general", "hints", "held out", "telephone")}
    rows = []
    for line in lines:
        started = time.perf_counter()
        speech = await voice.synthesize(line)
        synth_seconds += time.perf_counter() - started
        audio_seconds += speech.duration
        pcm = resample_pcm(speech.pcm, speech.sample_rate, 16_000)
        others = [other for other in lines if other != line]
        results = {
            "general": await general.recognize(pcm),
            "hints": await hinted.recognize(pcm),
            "held out": await hinted.recognize(pcm, hints=others),
            "telephone": await hinted.recognize(telephone(pcm)),
        }
        for name, result in results.items():
            scores[name].add(line, result.text, result.decode_seconds, speech.duration)
        rows.append((line, results["general"].text, results["hints"].text))

    unrelated = {name: Score() for name in ("general", "hints")}
    for line in UNRELATED:
        speech = await voice.synthesize(line)
        pcm = resample_pcm(speech.pcm, speech.sample_rate, 16_000)
        for name, recognizer in (("general", general), ("hints", hinted)):
            result = await recognizer.recognize(pcm)
            unrelated[name].add(line, result.text, result.decode_seconds, speech.duration)

    words = scores["general"].words
    print(
        f"{len(turns)} caller turns and {len(replies)} agent replies from the demo suite: "
        f"{words} words, {audio_seconds:.1f} s of speech, voice {voice_name}"
    )
    print(f"recognizer load (model and hint model): {load_seconds * 1000:.0f} ms")
    for name, score in scores.items():
        print(
            f"word error rate, {name:9s}: {score.wer:6.1%} "
            f"({score.errors}/{score.words} words wrong)"
        )
    print(
        f"word error rate on {len(UNRELATED)} unrelated sentences: general "
        f"{unrelated['general'].wer:.1%}, with the demo's hints {unrelated['hints'].wer:.1%}"
    )
    decode = scores["hints"].decode
    print(
        f"recognizer: real-time factor {scores['hints'].rtf:.3f} "
        f"(general model {scores['general'].rtf:.3f}), per utterance median "
        f"{statistics.median(decode) * 1000:.0f} ms, max {max(decode) * 1000:.0f} ms"
    )
    tts_rtf = synth_seconds / audio_seconds
    print(
        f"espeak-ng: real-time factor {tts_rtf:.3f}, "
        f"{synth_seconds / len(lines) * 1000:.0f} ms per line on average"
    )
    if show_lines:
        for line, plain, with_hints in rows:
            print(f"  {line!r}\n    general: {plain!r}\n    hints:   {with_hints!r}")
    passed = (
        scores["hints"].wer <= TARGET_WER
        and scores["hints"].rtf <= TARGET_STT_RTF
        and tts_rtf <= TARGET_TTS_RTF
    )
    print(
        f"targets: WER with hints ≤ {TARGET_WER:.0%}, recognizer RTF ≤ {TARGET_STT_RTF}, "
        f"espeak-ng RTF ≤ {TARGET_TTS_RTF}"
    )
    print("PASS" if passed else "ABOVE TARGET")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", default=DEFAULT_VOICE, help="an espeak-ng voice")
    parser.add_argument("--lines", action="store_true", help="print every transcript")
    args = parser.parse_args()
    asyncio.run(main(args.voice, args.lines))
