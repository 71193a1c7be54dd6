"""What the search, listing and pivot pages show, built from the query layer's answers.

The templates only print these objects: every URL is built here (query strings with ``urlencode``, path
segments with ``quote``), scraped text stays plain ``str`` for Jinja's autoescape, and the only markup
made in Python is :func:`crawler.web.highlight.highlight`'s.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from crawler.query import FacetCounts, ListingSummary, ListingView
from crawler.query.counters import NONE, RISK_BANDS
from crawler.query.models import VersionSummary, utc
from crawler.web.highlight import highlight
from crawler.web.links import entity_href, listing_href
from crawler.web.search_form import Items, changed

FACET_LABELS = {
    "site": "Site",
    "platform_type": "Platform type",
    "kind": "Kind",
    "language": "Language",
    "country": "Country",
    "category": "Category",
    "indicator": "Indicator",
    "indicator_category": "Indicator category",
    "risk_band": "Risk",
    "has_contacts": "Contacts",
    "status": "Status",
}
FACET_SHOWN = 15  # values per facet; the rest are summed up in one line
WORD_DIFF_LIMIT = 20_000  # characters: longer texts are shown old/new without a word-level diff


# -- links -----------------------------------------------------------------------------------------------


def when(value: Any) -> str:
    """A stored time for people: ``2026-11-01 12:00 UTC``."""
    moment = utc(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


# -- facets ----------------------------------------------------------------------------------------------


def _risk_bounds() -> dict[str, list[tuple[str, str]]]:
    """Each risk band as the min_risk/max_risk it stands for (scores are kept to two decimals)."""
    bands = sorted(RISK_BANDS, key=lambda band: band[1])
    bounds: dict[str, list[tuple[str, str]]] = {}
    for index, (name, low) in enumerate(bands):
        pairs = [("min_risk", f"{low:g}")] if low > 0 else []
        if index + 1 < len(bands):
            pairs.append(("max_risk", f"{max(bands[index + 1][1] - 0.01, 0):g}"))
        bounds[name] = pairs
    return bounds


RISK_BOUNDS = _risk_bounds()


def facet_pairs(dimension: str, value: str) -> list[tuple[str, str]]:
    """The URL parameters that select one facet value (empty: it cannot be selected, e.g. "(none)")."""
    if value == NONE:
        return []
    if dimension == "risk_band":
        return RISK_BOUNDS.get(value, [])
    if dimension == "has_contacts":
        return [("has_contacts", "true" if value == "yes" else "false")]
    return [(dimension, value)]


@dataclass
class FacetEntry:
    label: str
    count: int
    href: str | None
    selected: bool


@dataclass
class FacetGroup:
    name: str
    label: str
    entries: list[FacetEntry]
    hidden: int = 0  # values not shown


def facet_groups(facets: FacetCounts | None, items: Items) -> list[FacetGroup]:
    """Facet counts as links: a value not selected adds its filter, a selected one removes it."""
    if facets is None:
        return []
    groups = []
    for dimension, label in FACET_LABELS.items():
        counts = facets.values.get(dimension) or {}
        if not counts:
            continue
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        entries = []
        for value, count in ordered:
            pairs = facet_pairs(dimension, value)
            selected = bool(pairs) and all(pair in items for pair in pairs)
            if not pairs:
                link = None
            elif selected:
                link = changed(items, remove=pairs)
            else:
                replace = ("min_risk", "max_risk") if dimension == "risk_band" else ()
                link = changed(items, add=pairs, replace=replace)
            entries.append(FacetEntry(value, count, link, selected))
        shown = [e for e in entries[:FACET_SHOWN]] + [e for e in entries[FACET_SHOWN:] if e.selected]
        groups.append(FacetGroup(dimension, label, shown, len(entries) - len(shown)))
    return groups


# -- indicators ------------------------------------------------------------------------------------------


@dataclass
class Chip:
    """One indicator on a listing: what it is, how much it weighs, and the words that triggered it."""

    id: str
    category: str
    weight: float | None
    matches: list[tuple[str, str]] = field(default_factory=list)  # (text as written, field)

    @property
    def label(self) -> str:
        return self.id.replace("_", " ")

    @property
    def explanation(self) -> str:
        parts = [f"category {self.category or 'unknown'}"]
        if self.weight is not None:
            parts.append(f"weight {self.weight:g}")
        if self.matches:
            parts.append("matched " + "; ".join(f"“{text}” in {where}" for text, where in self.matches))
        return ", ".join(parts)


def chips(indicators: Iterable[Any]) -> list[Chip]:
    """Stored indicator matches grouped per indicator, heaviest first."""
    found: dict[str, Chip] = {}
    for match in indicators or []:
        if not isinstance(match, Mapping) or not isinstance(match.get("id"), str):
            continue
        chip = found.setdefault(match["id"], Chip(match["id"], str(match.get("category") or ""), None))
        weight = match.get("weight")
        if isinstance(weight, int | float) and chip.weight is None:
            chip.weight = float(weight)
        text = match.get("text")
        if isinstance(text, str) and text:
            pair = (text, str(match.get("field") or "?"))
            if pair not in chip.matches:
                chip.matches.append(pair)
    return sorted(found.values(), key=lambda c: (-(c.weight or 0.0), c.id))


# -- result rows -----------------------------------------------------------------------------------------


@dataclass
class ContactLink:
    kind: str
    value: str
    href: str


def contact_links(phones: list[str], emails: list[str], handles: list[str]) -> list[ContactLink]:
    links = []
    for kind, values in (("phone", phones), ("email", emails), ("handle", handles)):
        links += [ContactLink(kind, v, entity_href(f"{kind}:{v}")) for v in values if isinstance(v, str)]
    return links


@dataclass
class Row:
    summary: ListingSummary
    href: str
    title: Markup
    snippet: Markup
    chips: list[Chip]
    contacts: list[ContactLink]


def rows(items: list[ListingSummary], indicators: Mapping[str, list[Any]], tokens: set[str]) -> list[Row]:
    return [
        Row(
            summary=item,
            href=listing_href(item.id),
            title=highlight(item.title or "(no title)", tokens),
            snippet=highlight(item.snippet, tokens),
            chips=chips(indicators.get(item.id) or []),
            contacts=contact_links(item.contacts.phones, item.contacts.emails, item.contacts.handles),
        )
        for item in items
    ]


# -- versions --------------------------------------------------------------------------------------------


def shown_value(value: Any) -> str:
    """A stored value as text: times in ISO 8601, lists and mappings as JSON."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return str(value)


_WORDS = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """``(op, text)`` pieces with op ``same``, ``del`` or ``ins``: the new text against the old, word by word."""
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("del", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("ins", "".join(b[j1:j2])))
    return pieces


@dataclass
class FieldChange:
    name: str
    old: str
    new: str
    words: list[tuple[str, str]] | None  # a word-level diff, for texts


@dataclass
class VersionRow:
    version: int
    next_version: int
    first_seen: str
    last_seen: str
    replaced_at: str
    run_id: str
    snapshot_id: str | None
    changes: list[FieldChange]


def _change(name: str, values: Mapping[str, Any]) -> FieldChange:
    old, new = values.get("old"), values.get("new")
    words = None
    if isinstance(old, str) and isinstance(new, str) and len(old) + len(new) <= WORD_DIFF_LIMIT:
        words = word_diff(old, new)
    return FieldChange(name, shown_value(old), shown_value(new), words)


def version_rows(versions: list[VersionSummary], current: int) -> list[VersionRow]:
    """Earlier versions, newest first, each with what changed when the next version replaced it."""
    out = []
    by_number = sorted(versions, key=lambda v: v.version)
    for index, version in enumerate(by_number):
        following = by_number[index + 1].version if index + 1 < len(by_number) else current
        changes = [_change(name, values) for name, values in sorted(version.diff.items())]
        out.append(
            VersionRow(
                version=version.version,
                next_version=following,
                first_seen=when(version.first_seen),
                last_seen=when(version.last_seen),
                replaced_at=when(version.replaced_at),
                run_id=version.run_id or "",
                snapshot_id=version.snapshot_id,
                changes=changes,
            )
        )
    return list(reversed(out))


# -- the listing page ------------------------------------------------------------------------------------

# Fields the listing page shows in their own place; anything else is listed under "Other fields".
SHOWN_FIELDS = {
    "_id", "site", "platform_type", "kind", "url", "native_id", "title", "body", "author", "posted_at",
    "posted_at_raw", "location", "price", "rating", "contacts", "language", "images", "parent_id",
    "category", "indicators", "risk", "crawl", "extra", "text_sig", "image_hashes",
}  # fmt: skip


@dataclass
class Snapshot:
    sha256: str
    label: str
    fetched_at: str = ""


def snapshots(view: ListingView, versions: list[VersionRow]) -> list[Snapshot]:
    """The current snapshot, then those of earlier versions (each page once)."""
    found: list[Snapshot] = []
    if view.snapshot_id:
        found.append(Snapshot(view.snapshot_id, f"version {view.version} (current)", when(view.snapshot_fetched_at)))
    for row in versions:
        if row.snapshot_id and all(s.sha256 != row.snapshot_id for s in found):
            found.append(Snapshot(row.snapshot_id, f"version {row.version}"))
    return found


def other_fields(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Stored fields the page has no place of its own for (a plugin's own), as text."""
    return [(name, shown_value(value)) for name, value in sorted(doc.items()) if name not in SHOWN_FIELDS]


def extra_fields(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    extra = doc.get("extra")
    if not isinstance(extra, Mapping):
        return []
    return [(str(name), shown_value(value)) for name, value in sorted(extra.items(), key=lambda kv: str(kv[0]))]


def stored_json(doc: Mapping[str, Any]) -> str:
    """The stored document as indented JSON (printed escaped, for analysts who need every byte)."""
    return json.dumps(doc, ensure_ascii=False, default=str, indent=1, sort_keys=True)
