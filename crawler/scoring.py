"""Field-level precision and recall of the extractors over the fixture corpus.

Each fixture's ``expected.json`` is hand-checked truth. The extraction under
test runs on the saved page, optionally with one layer forced through the
profile's ``engine`` (``generic`` or ``structured``), and its listings are
matched to the expected ones: by ``_id`` first, then by kind and body text
(a layer that cannot find a native id still gets credit for the fields it
read right). Per field, a value is a true positive when it equals the expected
value (white space folded; dates to the minute; numbers to 0.01), a false
positive when a wrong value was produced, a false negative when the expected
value was missed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from crawler.fixtures import Fixture, run
from crawler.plugins import TrawlerPluginManager

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = _SPACE.sub(" ", str(value)).strip()
    return text or None


def _minute(value: Any) -> str | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return _text(value)
    return moment.strftime("%Y-%m-%dT%H:%M%z")


def _number(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "title": lambda d: _text(d.get("title")),
    "body": lambda d: _text(d.get("body")),
    "author": lambda d: _text((d.get("author") or {}).get("name")),
    "date": lambda d: _minute(d.get("posted_at")),
    "price": lambda d: (
        None
        if (d.get("price") or {}).get("amount") is None
        else (_number(d["price"]["amount"]), (d["price"] or {}).get("currency"))
    ),
    "rating": lambda d: _number((d.get("rating") or {}).get("value")),
    "location": lambda d: _text((d.get("location") or {}).get("raw")),
    "category": lambda d: _text(d.get("category")),
}


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def add(self, other: Counts) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn


@dataclass
class Score:
    """Counts per platform type and field."""

    counts: dict[str, dict[str, Counts]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Counts)))
    fixtures: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _tokens(item: dict[str, Any]) -> set[str]:
    return set(_WORD.findall(((item.get("title") or "") + " " + (item.get("body") or "")).lower()))


def match(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> list[tuple[dict | None, dict | None]]:
    """Pairs (expected, actual); ``None`` on one side for a listing the other side lacks."""
    pairs: list[tuple[dict | None, dict | None]] = []
    left = list(actual)
    by_id = {a.get("_id"): a for a in left if a.get("_id")}
    unmatched: list[dict[str, Any]] = []
    for want in expected:
        got = by_id.pop(want.get("_id"), None)
        if got is not None:
            left.remove(got)
            pairs.append((want, got))
        else:
            unmatched.append(want)
    for want in unmatched:
        wanted = _tokens(want)
        best, best_score = None, 0.5
        for got in left:
            if got.get("kind") != want.get("kind"):
                continue
            tokens = _tokens(got)
            overlap = len(wanted & tokens) / max(1, len(wanted | tokens))
            if overlap >= best_score:
                best, best_score = got, overlap
        if best is not None:
            left.remove(best)
        pairs.append((want, best))
    pairs.extend((None, got) for got in left)
    return pairs


def score_pairs(pairs: list[tuple[dict | None, dict | None]]) -> dict[str, Counts]:
    out: dict[str, Counts] = defaultdict(Counts)
    for want, got in pairs:
        for name, read in FIELDS.items():
            expected = read(want) if want else None
            actual = read(got) if got else None
            counts = out[name]
            if expected is not None and actual == expected:
                counts.tp += 1
                continue
            if actual is not None:
                counts.fp += 1
            if expected is not None:
                counts.fn += 1
    return out


def with_engine(fixture: Fixture, engine: str | None) -> Fixture:
    if engine is None:
        return fixture
    return replace(fixture, profile={**fixture.profile, "engine": engine})


def score(pm: TrawlerPluginManager, fixtures: list[Fixture], engine: str | None = None) -> Score:
    result = Score()
    for fixture in fixtures:
        expected = [{k: v for k, v in e.items() if not k.startswith("_truth")} for e in fixture.expected()]
        actual = run(pm, with_engine(fixture, engine))
        result.fixtures[fixture.platform_type] += 1
        for name, counts in score_pairs(match(expected, actual)).items():
            result.counts[fixture.platform_type][name].add(counts)
    return result


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown_table(result: Score) -> str:
    lines = [
        "| platform type | fixtures | field | precision | recall | expected values |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for platform_type in sorted(result.counts):
        for name in FIELDS:
            counts = result.counts[platform_type].get(name)
            if counts is None or counts.tp + counts.fn + counts.fp == 0:
                continue
            lines.append(
                f"| {platform_type} | {result.fixtures[platform_type]} | {name} | {_cell(counts.precision)} | "
                f"{_cell(counts.recall)} | {counts.tp + counts.fn} |"
            )
    return "\n".join(lines)
