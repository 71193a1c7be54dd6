"""Built-in enrichment plugin: recruitment and exploitation red flags, with a risk score that explains itself.

The phrases live in YAML data files (``lexicon/<language>.yaml``) so analysts can review, extend
(``TRAWLER_INDICATORS_DIR``) and switch off (``TRAWLER_INDICATORS_OFF``) indicators without touching code;
see ``docs/indicators.md``. Each match records where it was found in the original text, so a reviewer can
check it against the page, and the risk score lists the indicators and weights that produced it.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from crawler.plugins import hookimpl
from plugins.indicators.lexicon import LexiconError, env_dirs, env_off, load_lexicon
from plugins.indicators.matcher import Hit, Matcher

__all__ = ["LexiconError", "enrich", "get_matcher", "scan"]

MAX_MATCHES_PER_INDICATOR = 5
logger = logging.getLogger(__name__)


def get_matcher(extra_dirs: tuple[str, ...] = (), off: frozenset[str] = frozenset()) -> Matcher:
    """The compiled lexicon for these extra folders and switched-off ids (built once, then cached).

    A broken lexicon file raises :class:`LexiconError` every time, without re-reading the files for
    every listing of a crawl.
    """
    built = _build(extra_dirs, off)
    if isinstance(built, LexiconError):
        raise built
    return built


@functools.lru_cache(maxsize=8)
def _build(extra_dirs: tuple[str, ...], off: frozenset[str]) -> Matcher | LexiconError:
    try:
        return Matcher(load_lexicon(extra_dirs, off))
    except LexiconError as exc:
        logger.error("indicators are not looked for: %s", exc)
        return exc


def _fields(listing: dict[str, Any]) -> list[tuple[str, str]]:
    fields = [(name, listing.get(name)) for name in ("title", "body")]
    raw = (listing.get("contacts") or {}).get("raw") or []
    fields.extend((f"contacts.raw[{i}]", value) for i, value in enumerate(raw))
    return [(name, value) for name, value in fields if isinstance(value, str) and value]


def scan(listing: dict[str, Any], matcher: Matcher | None = None) -> list[Hit]:
    """The lexicon hits in a raw listing, in the lexicon of its language (all lexicons when unknown)."""
    matcher = matcher or get_matcher(env_dirs(), env_off())
    language = listing.get("language")
    return matcher.find(_fields(listing), language if isinstance(language, str) else None)


def _reason(hits: list[Hit]) -> str:
    first = hits[0]
    ind = first.indicator
    more = f" (+{len(hits) - 1} more)" if len(hits) > 1 else ""
    return f"{ind.id} ({ind.category}, weight {ind.weight}): '{first.text}' in {first.field}{more}"


def enrich(listing: dict[str, Any], matcher: Matcher | None = None) -> None:
    """Set ``indicators`` (one entry per match) and ``risk`` (the sum of the weights of distinct indicators)."""
    hits = scan(listing, matcher)
    by_id: dict[str, list[Hit]] = {}
    for hit in hits:
        by_id.setdefault(hit.indicator.id, []).append(hit)
    matches = []
    for group in by_id.values():
        for hit in group[:MAX_MATCHES_PER_INDICATOR]:
            ind = hit.indicator
            matches.append(
                {
                    "id": ind.id,
                    "category": ind.category,
                    "field": hit.field,
                    "start": hit.start,
                    "end": hit.end,
                    "text": hit.text,
                    "weight": ind.weight,
                    "language": ind.language,
                }
            )
    ranked = sorted(by_id.values(), key=lambda g: (-g[0].indicator.weight, g[0].indicator.id))
    existing = [m for m in listing.get("indicators") or [] if not (isinstance(m, dict) and m.get("id") in by_id)]
    listing["indicators"] = existing + matches
    listing["risk"] = {
        "score": round(float(sum(g[0].indicator.weight for g in ranked)), 2),
        "reasons": [_reason(g) for g in ranked],
    }


@hookimpl(trylast=True)
def trawler_enrich_listing(listing: dict[str, Any], profile: Any) -> None:
    # trylast: the language plugin has set listing["language"] by now, so one lexicon is enough.
    enrich(listing)
