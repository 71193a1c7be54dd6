"""Loading the indicator lexicons: YAML data files that analysts can read, extend and switch off without code.

Every file holds one language's phrases; an indicator id (``travel_paid``) is shared across languages so
that scores and queries do not depend on the language a posting was written in. Mistakes in a file are
reported with the file, the entry and the pattern, because the person fixing them is an analyst editing
YAML, not a developer reading a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

BUILTIN_DIR = Path(__file__).parent / "lexicon"
ENV_DIR = "TRAWLER_INDICATORS_DIR"
ENV_OFF = "TRAWLER_INDICATORS_OFF"
SUFFIXES = (".yaml", ".yml")
ENTRY_KEYS = {"id", "category", "weight", "patterns", "description"}
FILE_KEYS = {"language", "endings", "word_boundaries", "indicators"}


class LexiconError(ValueError):
    """A lexicon file cannot be used; the message names the file, the entry and what is wrong."""


@dataclass(frozen=True)
class Indicator:
    """One indicator in one language: its phrases, and where they were defined."""

    id: str
    category: str
    weight: float
    language: str
    patterns: tuple[str, ...]
    endings: tuple[str, ...]
    word_boundaries: bool
    source: str


def env_dirs() -> tuple[str, ...]:
    """Extra lexicon folders from ``TRAWLER_INDICATORS_DIR`` (several separated by ``:``)."""
    return tuple(p for p in os.environ.get(ENV_DIR, "").split(os.pathsep) if p.strip())


def env_off() -> frozenset[str]:
    """Indicator ids switched off by ``TRAWLER_INDICATORS_OFF=id1,id2``."""
    return frozenset(p.strip() for p in os.environ.get(ENV_OFF, "").split(",") if p.strip())


def lexicon_files(extra_dirs: tuple[str, ...] = ()) -> list[Path]:
    """The built-in files first, then each extra folder's (or file's) in name order."""
    files = sorted(p for p in BUILTIN_DIR.iterdir() if p.suffix in SUFFIXES)
    for entry in extra_dirs:
        path = Path(entry).expanduser()
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES and p.is_file()))
        else:
            raise LexiconError(f"{path}: indicator folder does not exist (from {ENV_DIR})")
    return files


def _fail(path: Path, where: str, message: str) -> LexiconError:
    return LexiconError(f"{path}: {where}: {message}" if where else f"{path}: {message}")


def load_file(path: Path, known: dict[str, tuple[str, float, str]]) -> list[Indicator]:
    """Read one file. ``known`` maps ids defined so far to (category, weight, file) and is updated.

    An entry may leave out category and weight: it then adds phrases to an id that some file defines
    (``load_lexicon`` fills them in). Where several files give them, they must agree, so an id means the
    same thing in every language.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _fail(path, "", f"cannot be read: {exc}".replace("\n", " ")) from exc
    if not isinstance(raw, dict):
        raise _fail(path, "", "must be a mapping with 'language' and 'indicators'")
    unknown = set(raw) - FILE_KEYS
    if unknown:
        raise _fail(path, "", f"unknown key(s) {sorted(unknown)}; allowed: {sorted(FILE_KEYS)}")
    language = raw.get("language")
    if not isinstance(language, str) or not language.strip():
        raise _fail(path, "language", "must be a language code such as 'en' or 'zh'")
    endings = raw.get("endings") or []
    if not isinstance(endings, list) or not all(isinstance(e, str) for e in endings):
        raise _fail(path, "endings", "must be a list of word endings")
    boundaries = raw.get("word_boundaries", True)
    if not isinstance(boundaries, bool):
        raise _fail(path, "word_boundaries", "must be true or false")
    entries = raw.get("indicators")
    if not isinstance(entries, list):
        raise _fail(path, "indicators", "must be a list of entries with id, category, weight and patterns")
    result = []
    for i, entry in enumerate(entries):
        where = f"indicators[{i}]"
        if not isinstance(entry, dict):
            raise _fail(path, where, "must be a mapping with id, category, weight and patterns")
        ident = entry.get("id")
        if not isinstance(ident, str) or not ident.replace("_", "").isalnum():
            raise _fail(path, where, f"id {ident!r} must be a word such as 'travel_paid'")
        where = f"{where} (id '{ident}')"
        unknown = set(entry) - ENTRY_KEYS
        if unknown:
            raise _fail(path, where, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(ENTRY_KEYS)}")
        category, weight = entry.get("category"), entry.get("weight")
        if category is not None and (not isinstance(category, str) or not category):
            raise _fail(path, where, f"category {category!r} must be a word such as 'labour_exploitation'")
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0):
            raise _fail(path, where, f"weight {weight!r} must be a number >= 0")
        if (category is None) != (weight is None):
            raise _fail(
                path, where, "give both category and weight, or neither (to add phrases to an id defined elsewhere)"
            )
        if category is not None:
            first = known.get(ident)
            if first and (category, float(weight)) != first[:2]:
                raise _fail(
                    path,
                    where,
                    f"category/weight ({category}, {weight}) differ from ({first[0]}, {first[1]}) in {first[2]}",
                )
            known.setdefault(ident, (category, float(weight), str(path)))
        patterns = entry.get("patterns")
        if not isinstance(patterns, list) or not patterns:
            raise _fail(path, where, "needs a non-empty list of patterns")
        for j, pattern in enumerate(patterns):
            if not isinstance(pattern, str) or not pattern.strip():
                raise _fail(path, f"{where} patterns[{j}]", "must be a non-empty phrase")
        result.append(
            Indicator(
                ident,
                category or "",
                float(weight or 0.0),
                language.strip().lower(),
                tuple(patterns),
                tuple(endings),
                boundaries,
                str(path),
            )
        )
    return result


def load_lexicon(extra_dirs: tuple[str, ...] = (), off: frozenset[str] = frozenset()) -> list[Indicator]:
    """All indicators of the built-in lexicon and the extra folders, less those switched off."""
    known: dict[str, tuple[str, float, str]] = {}
    indicators: list[Indicator] = []
    for path in lexicon_files(extra_dirs):
        indicators.extend(load_file(path, known))
    resolved = []
    for ind in indicators:
        if ind.id in off:
            continue
        if not ind.category:
            if ind.id not in known:
                raise LexiconError(
                    f"{ind.source}: id '{ind.id}' has no category and weight, and no other lexicon file defines them"
                )
            category, weight, _ = known[ind.id]
            ind = replace(ind, category=category, weight=weight)
        resolved.append(ind)
    return resolved
