"""A small back-off trigram language model in ARPA text, built from a few sentences.

The offline recognizer builds one from its hint phrases, in process, in milliseconds.
Absolute discounting with back-off to lower orders; the unigram level keeps a share of its
mass for `background` words, so speech outside the hints can still come through.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["arpa_trigram"]

_BOS, _EOS = "<s>", "</s>"
_FLOOR = -99.0


def _log10(p: float) -> float:
    return math.log10(p) if p > 0 else _FLOOR


def arpa_trigram(
    sentences: Iterable[Sequence[str]],
    *,
    background: Mapping[str, float] | Iterable[str] = (),
    background_mass: float = 0.0,
    discount: float = 0.5,
) -> str:
    """An ARPA trigram model of `sentences` (lists of tokens).

    `background` words (with relative weights, or equal ones) share `background_mass` of the
    unigram probability; the words of `sentences` share the rest by count.
    """
    grams: list[Counter[tuple[str, ...]]] = [Counter(), Counter(), Counter()]
    for sentence in sentences:
        words = [_BOS, *sentence, _EOS]
        for n in range(3):
            for i in range(len(words) - n):
                grams[n][tuple(words[i : i + n + 1])] += 1
    weights = background if isinstance(background, Mapping) else dict.fromkeys(background, 1.0)
    extra = {w: x for w, x in weights.items() if (w,) not in grams[0] and x > 0}
    if not grams[0] and not extra:
        raise ValueError("a language model needs at least one word")

    # Unigrams (never <s> as a predicted word; it keeps a probability slot ARPA requires).
    predicted = {g: c for g, c in grams[0].items() if g != (_BOS,)}
    total = sum(predicted.values())
    mass = background_mass if extra else 0.0
    prob: list[dict[tuple[str, ...], float]] = [{}, {}, {}]
    for gram, count in predicted.items():
        prob[0][gram] = (1.0 - mass) * count / total
    extra_total = sum(extra.values())
    for word, weight in extra.items():
        prob[0][(word,)] = mass * weight / extra_total
    prob[0][(_BOS,)] = 0.0

    # Higher orders: absolute discounting; what is taken is the back-off mass of the history.
    history_counts: list[Counter[tuple[str, ...]]] = [Counter(), Counter()]
    followers: list[defaultdict[tuple[str, ...], int]] = [defaultdict(int), defaultdict(int)]
    for n in (1, 2):
        for gram, count in grams[n].items():
            history_counts[n - 1][gram[:-1]] += count
            followers[n - 1][gram[:-1]] += 1
        for gram, count in grams[n].items():
            history = gram[:-1]
            prob[n][gram] = max(count - discount, 0.0) / history_counts[n - 1][history]

    def lower(gram: tuple[str, ...]) -> float:
        """P(word | shorter history), backing off as far as needed."""
        if len(gram) == 1:
            return prob[0].get(gram, 0.0)
        if gram in prob[len(gram) - 1]:
            return prob[len(gram) - 1][gram]
        return backoff.get(gram[:-1], 1.0) * lower(gram[1:])

    backoff: dict[tuple[str, ...], float] = {}
    for n in (1, 2):
        seen: defaultdict[tuple[str, ...], list[str]] = defaultdict(list)
        for gram in grams[n]:
            seen[gram[:-1]].append(gram[-1])
        for history, words in seen.items():
            left = 1.0 - sum(prob[n][(*history, w)] for w in words)
            below = 1.0 - sum(lower((*history[1:], w)) for w in words)
            backoff[history] = left / below if below > 1e-9 and left > 0 else 1e-9

    lines = ["\\data\\"]
    orders = [sorted(prob[n]) for n in range(3)]
    lines += [f"ngram {n + 1}={len(orders[n])}" for n in range(3) if orders[n]]
    for n in range(3):
        if not orders[n]:
            continue
        lines += ["", f"\\{n + 1}-grams:"]
        for gram in orders[n]:
            entry = f"{_log10(prob[n][gram]):.4f} {' '.join(gram)}"
            if n < 2 and gram in backoff:
                entry += f" {_log10(backoff[gram]):.4f}"
            elif n < 2:
                entry += " 0.0000"
            lines.append(entry)
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)
