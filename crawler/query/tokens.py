"""Search tokens: the normalised words of a listing, stored beside it and indexed (multikey).

The embedded server has no ``$text`` index and evaluates every document a
query matches, so word search runs on an array of plain tokens: lower-case,
accent-folded, split on anything that is not a letter or a digit. Chinese and
Japanese script has no spaces between words, so each of its characters is a
token and a word written in it is searched as a phrase of characters.

Contact values add their own tokens (the digits of an E.164 number, the parts
of an e-mail or handle), so "+40 721 234 567" written in a different form on
the page is still found by its number.

The tokens live in the listing's ``search`` sub-document, which is derived
data: it is not part of the content hash (:func:`crawler.models.document_hash`)
nor of a version's diff, and is rewritten whenever the listing is.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

SEARCH_FIELD = "search"  # the sub-document of a stored listing that holds derived search data
TOKENS_VERSION = 1  # bump when tokenisation changes; `trawler reindex` rewrites the older ones
MAX_TOKEN_LENGTH = 64  # longer runs are noise (base64, hashes); truncated so they still match themselves
MAX_TOKENS = 4000  # distinct tokens kept per listing
RANK_STEP = 1e10  # seconds: more than any epoch timestamp this century

# Letters without a decomposition that still read as a Latin letter.
_FOLD_EXTRA = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h", "þ": "th"})
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])[^\W\d_])+|\d+")
_ASCII_WORDS = re.compile(r"[a-z]+|\d+")

# Fields of a listing whose text is searchable.
TEXT_FIELDS = ("title", "body")
SUB_TEXT_FIELDS = (("author", "name"), ("location", "raw"), ("location", "city"))


def fold(text: str) -> str:
    """Lower-case, without accents: ``"Ştefan ÉTÉ"`` → ``"stefan ete"``."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD_EXTRA)


def tokenize(text: str) -> list[str]:
    """The tokens of ``text`` in order (with repeats): what phrases are matched against."""
    folded = fold(text)
    pattern = _ASCII_WORDS if folded.isascii() else _TOKEN
    return [t[:MAX_TOKEN_LENGTH] for t in pattern.findall(folded)]


def listing_text(doc: dict[str, Any]) -> str:
    """The searchable text of a listing document, one field a line."""
    parts = [doc.get(name) for name in TEXT_FIELDS]
    parts += [(doc.get(section) or {}).get(name) for section, name in SUB_TEXT_FIELDS]
    parts.append(doc.get("category"))
    return "\n".join(p for p in parts if isinstance(p, str) and p)


def contact_tokens(doc: dict[str, Any]) -> set[str]:
    """Tokens of the normalised contact values: E.164 digits, e-mail and handle parts."""
    contacts = doc.get("contacts") or {}
    found: set[str] = set()
    for phone in contacts.get("phones") or []:
        found.add(phone.lstrip("+"))
    for value in (contacts.get("emails") or []) + (contacts.get("handles") or []):
        found.update(tokenize(value))
    return found


# Filters that are also tokens ("kind:ad", "lang:de"): a word token never holds a ":", so they cannot collide,
# and one multikey index then serves a word, a filter value, or both (the rarer one is queried).
TAG_PREFIX = {
    "site": "site",
    "platform_type": "type",
    "kind": "kind",
    "language": "lang",
    "country": "country",
    "indicator": "ind",
    "indicator_category": "indcat",
    "has_contacts": "contacts",
}


def tag(dimension: str, value: str) -> str:
    return f"{TAG_PREFIX[dimension]}:{value}"


def filter_tags(doc: dict[str, Any]) -> set[str]:
    """The filter values of a listing as tokens: site, platform type, kind, language, country, indicators..."""
    tags = {tag(name, doc[name]) for name in ("site", "platform_type", "kind", "language") if doc.get(name)}
    if country := (doc.get("location") or {}).get("country"):
        tags.add(tag("country", country))
    for match in doc.get("indicators") or []:
        if isinstance(match, dict):
            tags.update(
                tag(k, match[f]) for k, f in (("indicator", "id"), ("indicator_category", "category")) if match.get(f)
            )
    contacts = doc.get("contacts") or {}
    linked = contacts.get("phones") or contacts.get("emails") or contacts.get("handles")
    tags.add(tag("has_contacts", "yes" if linked else "no"))
    return tags


def search_tokens(doc: dict[str, Any]) -> list[str]:
    """The distinct tokens of a listing (text, contacts, filter tags), sorted; words at most :data:`MAX_TOKENS`."""
    words = sorted(set(tokenize(listing_text(doc))) | contact_tokens(doc))[:MAX_TOKENS]
    return sorted(set(words) | filter_tags(doc))


def search_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The derived ``search`` sub-document of a stored listing (its ``crawl`` part must be set).

    ``date`` is when it was posted, or first seen when the page gives no date, so sorting by date never meets
    a missing value; ``ts`` is that date in epoch seconds and ``rank`` orders by risk, then date
    (``risk x 100 x 10^10 + ts``: exact in a double up to a risk of ~9000). Both are indexed for keyset pages.
    """
    crawl = doc.get("crawl") or {}
    posted = doc.get("posted_at")
    date = posted if isinstance(posted, datetime) else crawl.get("first_seen")
    # BSON keeps milliseconds: the key is the stored date's, so it sorts exactly like the stored date.
    ts = date.replace(microsecond=date.microsecond // 1000 * 1000).timestamp() if isinstance(date, datetime) else 0.0
    risk = float((doc.get("risk") or {}).get("score") or 0.0)
    return {
        "v": TOKENS_VERSION,
        "tokens": search_tokens(doc),
        "date": date,
        "ts": ts,
        "risk": risk,
        "rank": round(risk * 100) * RANK_STEP + ts,
    }
