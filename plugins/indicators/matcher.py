"""Finding lexicon phrases in listing text, tolerant of case, accents and inflection, at crawl speed.

Text and patterns are folded the same way (casefold, accents stripped, a few letters such as Polish ``ł``
mapped), so ``Flüge``, ``FLUGE`` and ``fluge`` are one word. Inflection is handled by optional endings
per language (``flight`` also finds ``flights``), chosen over a lemmatiser because lemmatising every token
of every listing costs milliseconds, while one compiled alternation per language scans a posting in
microseconds. Folding keeps one character per character for almost all text, so match positions are
positions in the original field; when it does not (``ß`` becomes ``ss``), an index map is built.

Pattern syntax (one phrase per pattern; words separated by spaces match any run of spaces or punctuation):

- ``word``: the word with the language's optional endings;
- ``word*``: the word followed by any ending; ``=word``: exactly the word;
- ``a|b``: either word; ``(a phrase|another)``: either phrase; ``[a phrase]``: an optional part;
- ``#``: a number;
- ``...``: up to five words (ten characters in Chinese);
- ``re:<regex>``: a regular expression over the folded text (lower case, no accents).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from plugins.indicators.lexicon import Indicator, LexiconError
from plugins.indicators.prefilter import anchors, trie_regex

# Letters that carry no combining accent in Unicode but that writers often type without one.
_EXTRA = {"ł": "l", "đ": "d", "ø": "o", "ı": "i", "’": "'", "ʼ": "'", "‘": "'", "ё": "е", "\u00a0": " "}
_FOLD: dict[str, str] = {}
_TABLE: dict[int, str] = {}


def _fold_char(ch: str) -> str:
    folded = _FOLD.get(ch)
    if folded is None:
        decomposed = unicodedata.normalize("NFD", ch.casefold())
        folded = "".join(_EXTRA.get(c, c) for c in decomposed if not unicodedata.combining(c))
        _FOLD[ch] = folded
        _TABLE[ord(ch)] = folded
    return folded


def fold(text: str) -> tuple[str, list[int] | None]:
    """The folded text, and a map from folded to original offsets (``None`` when they are the same)."""
    if text.isascii():
        return text.lower(), None
    chars = set(text)
    one_to_one = True
    for ch in chars:
        if len(_FOLD.get(ch) or _fold_char(ch)) != 1:
            one_to_one = False
    if one_to_one:
        return text.translate(_TABLE), None
    parts: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        folded = _FOLD[ch]
        parts.append(folded)
        index.extend([i] * len(folded))
    index.append(len(text))
    return "".join(parts), index


def fold_pattern(text: str) -> str:
    return fold(text)[0]


def _word(token: str, endings: str, bounded: bool) -> str:
    alternatives = []
    for alt in token.split("|"):
        if not alt:
            raise ValueError(f"empty alternative in {token!r}")
        if alt == "#":
            alternatives.append(r"\d+(?:[.,]\d+)?")
        elif alt.startswith("="):
            alternatives.append(re.escape(fold_pattern(alt[1:])))
        elif alt.endswith("*"):
            alternatives.append(re.escape(fold_pattern(alt[:-1])) + (r"\w*" if bounded else ""))
        else:
            alternatives.append(re.escape(fold_pattern(alt)) + endings)
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


def _split_alternatives(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += 1 if ch in "[(" else -1 if ch in "])" else 0
        if ch == "|" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    return [*parts, current]


def _phrase(text: str, endings: str, bounded: bool) -> str:
    """A phrase: words, ``(a b|c)`` groups, ``[optional]`` groups and ``...`` gaps, joined by separators."""
    sep = r"[\W_]+" if bounded else r"[\W_]*"
    gap = r"(?:[\W_]+\w+){0,5}" if bounded else r"[^\n]{0,10}?"
    out, i = "", 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in "[(":
            depth, j = 0, i
            while j < len(text):
                depth += 1 if text[j] in "[(" else -1 if text[j] in "])" else 0
                if depth == 0:
                    break
                j += 1
            if j == len(text) or text[j] != "])"["[(".index(ch)]:
                raise ValueError(f"unbalanced {ch!r}")
            inner = "|".join(_phrase(a, endings, bounded) for a in _split_alternatives(text[i + 1 : j]))
            if not out and ch == "[":
                raise ValueError("a pattern must start with a word, not an optional part")
            item = (sep if out else "") + f"(?:{inner})"
            out += f"(?:{item})?" if ch == "[" else item
            i = j + 1
        elif text.startswith("...", i):
            if not out:
                raise ValueError("a pattern must start with a word, not '...'")
            out += gap
            i += 3
        else:
            j = i
            while j < len(text) and not text[j].isspace() and text[j] not in "[]()":
                j += 1
            if text[i:j] in ("|", ""):
                raise ValueError(f"misplaced {text[i]!r}")
            out += (sep if out else "") + _word(text[i:j], endings, bounded)
            i = j
    if not out:
        raise ValueError("empty phrase")
    return out


def pattern_regex(pattern: str, indicator: Indicator) -> str:
    """The regular expression (over folded text) of one lexicon pattern."""
    if pattern.startswith("re:"):
        regex = pattern[3:].strip()
        re.compile(regex)
        return regex
    bounded = indicator.word_boundaries
    endings = sorted({fold_pattern(e) for e in indicator.endings if e}, key=len, reverse=True)
    ending_re = "(?:" + "|".join(re.escape(e) for e in endings) + ")?" if endings else ""
    return _phrase(pattern, ending_re, bounded) + (r"(?!\w)" if bounded else "")


@dataclass(frozen=True)
class Hit:
    indicator: Indicator
    field: str
    start: int
    end: int
    text: str


class _Group:
    """The patterns of one language (or of all): the anchor trie, which patterns each anchor admits, and those
    that are always run."""

    def __init__(self, pattern_ids: list[int], anchor_sets: list[set[str] | None], bounded: bool) -> None:
        self.always: list[int] = []
        self.by_anchor: dict[str, list[int]] = {}
        for n in pattern_ids:
            found = anchor_sets[n]
            if found is None:
                self.always.append(n)
            else:
                for anchor in found:
                    self.by_anchor.setdefault(anchor, []).append(n)
        self.lengths = sorted({len(a) for a in self.by_anchor})
        self.trie = trie_regex(self.by_anchor, word_start=bounded)

    def candidates(self, folded: str) -> set[int]:
        found = set(self.always)
        if self.trie is None:
            return found
        m = self.trie.search(folded)
        while m is not None:
            word = m.group()
            for length in self.lengths:
                if length > len(word):
                    break
                found.update(self.by_anchor.get(word[:length], ()))
            m = self.trie.search(folded, m.start() + 1)
        return found


class Matcher:
    """The compiled lexicon: an anchor pre-filter per language, and one regex per pattern to locate matches."""

    def __init__(self, indicators: list[Indicator]) -> None:
        self.indicators = indicators
        self.regexes: list[re.Pattern[str]] = []
        self.owner: list[Indicator] = []
        anchor_sets: list[set[str] | None] = []
        by_language: dict[str, list[int]] = {}
        for ind in indicators:
            for j, pattern in enumerate(ind.patterns):
                try:
                    regex = re.compile(pattern_regex(pattern, ind))
                except (ValueError, re.error) as exc:
                    raise LexiconError(f"{ind.source}: indicator '{ind.id}' patterns[{j}] {pattern!r}: {exc}") from exc
                by_language.setdefault(ind.language, []).append(len(self.regexes))
                self.regexes.append(regex)
                self.owner.append(ind)
                anchor_sets.append(None if pattern.startswith("re:") else anchors(pattern, fold_pattern))
        bounded = {ind.language: ind.word_boundaries for ind in indicators}
        self.by_language = {lang: _Group(ids, anchor_sets, bounded[lang]) for lang, ids in by_language.items()}
        # Without a language: every lexicon, through one trie (anchors at any position, for Chinese).
        self.any_language = _Group(list(range(len(self.regexes))), anchor_sets, bounded=all(bounded.values()))

    def find(self, fields: list[tuple[str, str]], language: str | None) -> list[Hit]:
        """All hits in ``fields`` ((name, text) pairs), in field order then position."""
        group = self.by_language.get(language) if language else None
        group = group or self.any_language
        hits: list[Hit] = []
        for name, text in fields:
            folded, index = fold(text)
            candidates = group.candidates(folded)
            if not candidates:
                continue
            field_hits: list[Hit] = []
            for n in sorted(candidates):
                ind, regex, pos = self.owner[n], self.regexes[n], 0
                while (m := regex.search(folded, pos)) is not None:
                    start, end = m.span()
                    pos = max(end, start + 1)
                    if ind.word_boundaries and start and folded[start - 1].isalnum():
                        pos = start + 1  # starts inside a longer word: look again from the next character
                        continue
                    if index is not None:
                        start, end = index[start], index[end]
                    if end > start:
                        field_hits.append(Hit(ind, name, start, end, text[start:end]))
            hits.extend(_without_overlaps(field_hits))
        return hits


def _without_overlaps(hits: list[Hit]) -> list[Hit]:
    """One hit per stretch of text and indicator (two patterns of one indicator may find the same words)."""
    hits.sort(key=lambda h: (h.start, -h.end))
    kept: list[Hit] = []
    last_end: dict[str, int] = {}
    for hit in hits:
        if hit.start >= last_end.get(hit.indicator.id, -1):
            kept.append(hit)
            last_end[hit.indicator.id] = hit.end
    return kept
