"""A cheap first pass: which patterns can possibly match a text, found with one trie-shaped regex.

Python's ``re`` tries every branch of a long alternation at every position, which made one big
alternation per language cost milliseconds when no language was known. Instead each pattern contributes
its most selective required word stems (its *anchors*); the anchors of a lexicon are compiled into one
trie regex, whose branches share prefixes, and only patterns whose anchors occur are run in full.
Patterns without a usable anchor (``re:`` regexes, phrases made only of numbers) are always run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

Fold = Callable[[str], str]


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += 1 if ch in "[(" else -1 if ch in "])" else 0
        if depth == 0 and (ch == sep or (sep == " " and ch.isspace())):
            parts.append(current)
            current = ""
        else:
            current += ch
    return [p for p in [*parts, current] if p.strip()] if sep == " " else [*parts, current]


def _items(text: str) -> list[str]:
    """Top-level items of a phrase: words, ``(...)`` and ``[...]`` groups, ``...``."""
    items, i = [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text[i] in "[(":
            depth, j = 0, i
            while j < len(text):
                depth += 1 if text[j] in "[(" else -1 if text[j] in "])" else 0
                if depth == 0:
                    break
                j += 1
            items.append(text[i : j + 1])
            i = j + 1
        else:
            j = i
            while j < len(text) and not text[j].isspace() and text[j] not in "[]()":
                j += 1
            items.append(text[i:j])
            i = j
    return items


def anchors(pattern: str, fold: Fold) -> set[str] | None:
    """Stems of which at least one occurs in any text the pattern matches, or ``None`` when there are none."""
    best: set[str] | None = None
    for item in _items(pattern):
        if item == "..." or item.startswith("["):
            continue
        if item.startswith("("):
            found: set[str] | None = set()
            for alternative in _split_top(item[1:-1], "|"):
                sub = anchors(alternative, fold)
                if sub is None:
                    found = None
                    break
                found |= sub
        else:
            stems = [fold(a.lstrip("=").rstrip("*")) for a in item.split("|")]
            found = None if any(not s or s == "#" for s in stems) else set(stems)
        if found and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found
    return best


def trie_regex(words: Iterable[str], word_start: bool) -> re.Pattern[str] | None:
    """One regex matching any of ``words``, built as a trie so that shared prefixes are tried once."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?"
        return body

    if not trie:
        return None
    return re.compile((r"\b" if word_start else "") + build(trie))
