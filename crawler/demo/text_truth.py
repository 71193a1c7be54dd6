"""Ground truth for near-duplicate text: which of the generator's own phrases a demo text is made of.

The demo platforms write their texts from small pools of phrases (forum replies, ad openers, review sentences,
business descriptions, recruitment templates), so two ordinary listings may say the same thing word for word
without having been planted as reposts: two forum users picking the same reply, two hotels with the same
description template. Those texts are related by construction. :func:`phrases_in` names the phrases a text
contains, read from the generator modules' own phrase constants, so a test can tell texts the generator made
from the same phrases from texts it considers unrelated.

The planted near-duplicates (recruitment templates reused across platforms, reposted ads) are marked in the
ground truth itself: ``_truth.text_templates`` and ``_truth.repost_of``.
"""

from __future__ import annotations

import re
from functools import cache
from types import ModuleType
from typing import Any

from crawler.demo import forum, market, reviews, world

MIN_PHRASE_WORDS = 5  # shorter phrases ("Hi all,", "Cheers.") say nothing about where a text comes from
_FIELD = re.compile(r"\{[a-z0-9_]*\}")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


def _constants(module: ModuleType) -> list[str]:
    """Every string in the module's upper-case constants (``REPLIES``, ``_SENTENCES``...), nested ones included."""
    found = []
    for name, value in vars(module).items():
        if name.lstrip("_").isupper():
            found += _strings(value)
    return found


@cache
def generator_phrases() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """``(phrase, pattern)`` for each phrase of :data:`MIN_PHRASE_WORDS` words or more; ``{city}`` matches anything."""
    phrases = sorted({s for module in (world, forum, market, reviews) for s in _constants(module)})
    out = []
    for phrase in phrases:
        for line in phrase.split("\n"):
            if len(_FIELD.sub("x", line).split()) < MIN_PHRASE_WORDS:
                continue
            parts = [re.escape(" ".join(part.split())) for part in _FIELD.split(line)]
            out.append((line, re.compile(r".+?".join(parts))))
    return tuple(out)


def phrases_in(text: str | None) -> frozenset[str]:
    """The generator phrases (see :func:`generator_phrases`) that occur in ``text``, whitespace-insensitively."""
    if not text:
        return frozenset()
    flat = " ".join(text.split())
    return frozenset(phrase for phrase, pattern in generator_phrases() if pattern.search(flat))
