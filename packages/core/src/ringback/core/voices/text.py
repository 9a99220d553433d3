"""Written text to the words a voice speaks, and word error rate between two texts.

Pure Python: the offline recognizer uses these to build its hint language model, and the
benchmark and tests use them to score a transcript against what was said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "SpokenToken",
    "number_words",
    "spoken_tokens",
    "spoken_words",
    "word_error_rate",
    "word_errors",
]

_ONES = [
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
    *("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"))
_DIGIT_NAMES = dict(enumerate(_ONES[:10]))
_SYMBOLS = {"&": "and", "%": "percent", "+": "plus", "@": "at", "#": "number"}
# A chunk of written text: letters, digits and inner apostrophes, or one symbol we can say.
_CHUNK = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)*|[&%+@#]")
_RUNS = re.compile(r"[A-Za-z]+|[0-9]+")


@dataclass(frozen=True, slots=True)
class SpokenToken:
    """One written token and how it is said.

    `spoken` is the reading a text-to-speech voice gives it ("A1001" → a one thousand one);
    `readings` holds every reading a person might give it, `spoken` first ("a one zero zero
    one", "a one oh oh one"). `spelled` marks the positions of `spoken` that are letter names.
    """

    written: str
    spoken: tuple[str, ...]
    readings: tuple[tuple[str, ...], ...]
    spelled: tuple[bool, ...]

    @property
    def is_word(self) -> bool:
        """True when the token is a single ordinary word (not a number, code or acronym)."""
        return len(self.spoken) == 1 and not self.spelled[0] and not self.written.isdigit()


def number_words(number: int) -> list[str]:
    """The words of a cardinal number, the American way: 1001 → one thousand one."""
    if number < 0:
        return ["minus", *number_words(-number)]
    if number < 20:
        return [_ONES[number]]
    if number < 100:
        tens, ones = divmod(number, 10)
        return [_TENS[tens]] + ([_ONES[ones]] if ones else [])
    if number < 1000:
        hundreds, rest = divmod(number, 100)
        return [_ONES[hundreds], "hundred"] + (number_words(rest) if rest else [])
    for scale, name in _SCALES:
        if number >= scale:
            high, rest = divmod(number, scale)
            return [*number_words(high), name] + (number_words(rest) if rest else [])
    raise AssertionError("unreachable")  # pragma: no cover


def _digit_readings(digits: str) -> list[tuple[str, ...]]:
    """How a run of digits is said: as a number (unless it has leading zeros), digit by
    digit, and digit by digit with "oh" for zero."""
    by_digit = tuple(_DIGIT_NAMES[int(d)] for d in digits)
    readings: list[tuple[str, ...]] = []
    if len(digits) <= 12 and (digits == "0" or not digits.startswith("0")):
        readings.append(tuple(number_words(int(digits))))
    if len(digits) > 1 or not readings:
        readings.append(by_digit)
    if "0" in digits and len(digits) > 1:
        readings.append(tuple("oh" if w == "zero" else w for w in by_digit))
    return list(dict.fromkeys(readings))


def spoken_tokens(text: str, *, known: frozenset[str] | None = None) -> list[SpokenToken]:
    """Split written text into tokens and say each one.

    Words come out lower case; numbers as words ("one thousand one"); all-capital acronyms
    not in `known` (a lower-case vocabulary, e.g. the recognizer's dictionary) and letters
    mixed with digits as letter names ("DHL" → d h l, "A1001" → a one thousand one).
    """
    tokens: list[SpokenToken] = []
    for match in _CHUNK.finditer(text):
        chunk = match.group(0)
        if chunk in _SYMBOLS:
            word = _SYMBOLS[chunk]
            tokens.append(SpokenToken(chunk, (word,), ((word,),), (False,)))
            continue
        runs = _RUNS.findall(chunk) if "'" not in chunk else [chunk]
        if len(runs) == 1 and not runs[0].isdigit():
            word = chunk.lower()
            spell = chunk.isupper() and len(chunk) > 1 and (known is None or word not in known)
            if not spell:
                tokens.append(SpokenToken(chunk, (word,), ((word,),), (False,)))
                continue
        # Numbers, acronyms and codes like A1001: every combination of each run's readings.
        readings: list[tuple[tuple[str, ...], tuple[bool, ...]]] = [((), ())]
        for run in runs:
            if run.isdigit():
                options = [(r, (False,) * len(r)) for r in _digit_readings(run)]
            else:
                letters = tuple(run.lower())
                options = [(letters, (True,) * len(letters))]
            readings = [(w + ow, s + os) for w, s in readings for ow, os in options]
        readings = readings[:8]
        spoken, spelled = readings[0]
        tokens.append(SpokenToken(chunk, spoken, tuple(r for r, _ in readings), spelled))
    return tokens


def spoken_words(text: str) -> list[str]:
    """The words a voice says for `text`: lower case, numbers and codes read out."""
    return [word for token in spoken_tokens(text) for word in token.spoken]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """Substitutions + deletions + insertions turning `reference` into `hypothesis`, both
    compared as spoken words, and the number of reference words."""
    ref, hyp = spoken_words(reference), spoken_words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        diagonal, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (r != h))
    return row[len(hyp)], len(ref)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word error rate of `hypothesis` against `reference` (0.0 is perfect; may exceed 1)."""
    errors, words = word_errors(reference, hypothesis)
    return errors / words if words else float(errors > 0)
