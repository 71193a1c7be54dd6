"""Phone numbers spelt out in words ("zero seven seven...", "null eins fünf...") to dodge naive scrapers.

Recruiters who expect to be searched for write their numbers as number words, in
their own language or in English, often mixed with digit groups ("zero 7700 nine
zero zero..."). This module finds runs of such tokens and turns them into a digit
string; :mod:`plugins.contacts.phones` validates it like any other candidate.
A run needs at least four tokens, two of them words, and seven digits, so a
sentence with a stray "one" or "dos" never becomes a number.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# word -> digits, per language; accents and apostrophes written both ways.
_WORDS: dict[str, tuple[str, ...]] = {
    "0": ("zero", "oh", "o", "nought", "null", "zéro", "cero", "нуль", "ноль", "nul"),
    "1": ("one", "eins", "un", "uno", "unu", "jeden", "один", "jedna"),
    "2": ("two", "zwei", "zwo", "deux", "dos", "doi", "două", "doua", "dwa", "два", "dwie"),
    "3": ("three", "drei", "trois", "tres", "trei", "trzy", "три"),
    "4": ("four", "vier", "quatre", "cuatro", "patru", "cztery", "чотири", "четыре"),
    "5": ("five", "fünf", "fuenf", "funf", "cinq", "cinco", "cinci", "pięć", "piec", "пять", "п'ять", "п’ять", "пʼять"),
    "6": ("six", "sechs", "seis", "șase", "şase", "sase", "sześć", "szesc", "шість", "шесть"),
    "7": ("seven", "sieben", "sept", "siete", "șapte", "şapte", "sapte", "siedem", "сім", "семь"),
    "8": ("eight", "acht", "huit", "ocho", "opt", "osiem", "вісім", "восемь"),
    "9": ("nine", "neun", "neuf", "nueve", "nouă", "noua", "dziewięć", "dziewiec",
          "дев'ять", "дев’ять", "девʼять", "девять"),
}  # fmt: skip
# "double seven", "triple zero": how numbers are read aloud in English.
_REPEAT = {"double": 2, "triple": 3}
_PLUS = ("plus", "плюс")

WORD_DIGITS: dict[str, str] = {w: d for d, words in _WORDS.items() for w in words}
# For the cheap pre-filter: number words as they come out of str.split() on lower-cased text.
WORD_SET = frozenset(WORD_DIGITS) | frozenset(_REPEAT)

_word_alt = "|".join(sorted((re.escape(w) for w in [*WORD_DIGITS, *_REPEAT, *_PLUS]), key=len, reverse=True))
_TOKEN = rf"(?:\+|{_word_alt}|\d{{1,4}})"
WORD_RUN = re.compile(
    rf"(?<![\w@]){_TOKEN}(?:(?:[ \t\u00a0,.\-/]{{1,3}}|(?<=\+)){_TOKEN}){{3,}}(?!\w)",
    re.IGNORECASE,
)
_SPLIT = re.compile(rf"\+|{_word_alt}|\d{{1,4}}", re.IGNORECASE)


class WordRun(NamedTuple):
    start: int
    end: int
    raw: str
    digits: str  # '+' and digits, e.g. "+447700900123" or "07700900123"


def has_number_words(lowered_tokens: list[str]) -> bool:
    """Pre-filter: at least two tokens of the text are number words (cheap, C-level set look-ups)."""
    hits = 0
    for token in lowered_tokens:
        if token in WORD_SET:
            hits += 1
            if hits >= 2:
                return True
    return False


def find_word_runs(text: str) -> list[WordRun]:
    """Runs of number words (and digit groups) that spell at least seven digits."""
    runs = []
    for match in WORD_RUN.finditer(text):
        digits, words, repeat = [], 0, 1
        for token in _SPLIT.findall(match.group()):
            low = token.lower()
            if token == "+" or low in _PLUS:
                digits.append("+")
            elif low in _REPEAT:
                repeat = _REPEAT[low]
                words += 1
            elif token.isdigit():
                digits.append(token * repeat if len(token) == 1 else token)
                repeat = 1
            else:
                digits.append(WORD_DIGITS[low] * repeat)
                repeat, words = 1, words + 1
        joined = "".join(digits)
        if "+" in joined[1:]:
            continue
        if words >= 2 and sum(c.isdigit() for c in joined) >= 7:
            runs.append(WordRun(match.start(), match.end(), match.group(), joined))
    return runs
