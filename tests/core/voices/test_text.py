"""Written text to spoken words, word error rate, and the hint language model's ARPA text."""

from __future__ import annotations

import math

import pytest

from ringback.core.voices import spoken_words, word_error_rate, word_errors
from ringback.core.voices.arpa import arpa_trigram
from ringback.core.voices.text import number_words, spoken_tokens


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (42, "forty two"),
        (305, "three hundred five"),
        (1001, "one thousand one"),
        (9999, "nine thousand nine hundred ninety nine"),
        (2_000_017, "two million seventeen"),
    ],
)
def test_number_words(number: int, words: str) -> None:
    assert " ".join(number_words(number)) == words


def test_spoken_words_read_out_numbers_codes_and_acronyms() -> None:
    assert spoken_words("Hi, where is my order A1001?") == (
        ["hi", "where", "is", "my", "order", "a", "one", "thousand", "one"]
    )
    assert " ".join(spoken_words("Shipped with DHL & UPS, 100% on time.")) == (
        "shipped with d h l and u p s one hundred percent on time"
    )
    assert spoken_words("That's all.") == ["that's", "all"]


def test_tokens_carry_every_reading_of_a_code() -> None:
    [token] = spoken_tokens("Z0908")
    assert token.written == "Z0908"
    assert token.readings == (
        ("z", "zero", "nine", "zero", "eight"),
        ("z", "oh", "nine", "oh", "eight"),
    )
    assert token.spelled == (True, False, False, False, False)
    assert not token.is_word
    [ok] = spoken_tokens("OK", known=frozenset({"ok"}))
    assert ok.spoken == ("ok",)
    assert ok.is_word


def test_word_error_rate() -> None:
    assert word_error_rate("Where is my order A1001?", "where is my order a one thousand one") == 0
    assert word_errors("great thanks bye", "a that bye") == (2, 3)
    assert word_error_rate("hello", "") == 1.0
    assert word_error_rate("", "") == 0.0
    assert word_error_rate("", "noise") == 1.0


def parse(arpa: str) -> dict[int, dict[tuple[str, ...], tuple[float, float | None]]]:
    grams: dict[int, dict[tuple[str, ...], tuple[float, float | None]]] = {}
    order = 0
    for line in arpa.splitlines():
        if line.endswith("-grams:"):
            order = int(line[1])
            grams[order] = {}
        elif order and line and not line.startswith("\\"):
            fields = line.split()
            words = tuple(fields[1 : 1 + order])
            backoff = float(fields[1 + order]) if len(fields) > 1 + order else None
            grams[order][words] = (float(fields[0]), backoff)
    return grams


def test_arpa_trigram_is_a_proper_back_off_model() -> None:
    arpa = arpa_trigram(
        [["where", "is", "my", "order"], ["where", "is", "it"]],
        background={"hello": 3.0, "order": 1.0, "yes": 1.0},
        background_mass=0.1,
    )
    assert arpa.startswith("\\data\\\nngram 1=9\nngram 2=7\nngram 3=6\n")
    grams = parse(arpa)
    unigrams = {w[0]: 10**p for w, (p, _) in grams[1].items() if w != ("<s>",)}
    assert sum(unigrams.values()) == pytest.approx(1.0, abs=1e-3)
    assert unigrams["hello"] == pytest.approx(0.1 * 3 / 4, abs=1e-3)  # "order" is in the text

    def prob(word: str, history: tuple[str, ...]) -> float:
        """P(word | history) by ARPA back-off."""
        gram = (*history, word)
        if gram in grams[len(gram)]:
            return 10 ** grams[len(gram)][gram][0]
        backoff = grams[len(history)].get(history, (0.0, 0.0))[1] or 0.0
        return 10**backoff * prob(word, history[1:])

    for history in [("where", "is"), ("<s>", "where"), ("is",), ("order",), ("hello",)]:
        total = sum(prob(w, history) for w in unigrams)
        assert total == pytest.approx(1.0, abs=2e-3), history
    assert math.isclose(prob("my", ("where", "is")), 0.25, abs_tol=1e-3)


def test_arpa_needs_a_word() -> None:
    with pytest.raises(ValueError, match="at least one word"):
        arpa_trigram([])
