"""Search tokens: the normalised words of a listing, kept in their own collection and indexed (multikey).

The embedded server has no ``$text`` index and evaluates every document a
query matches, so word search runs on an array of plain tokens: lower-case,
accent-folded, split on anything that is not a letter or a digit. Chinese and
Japanese script has no spaces between words, so each of its characters is a
token and a word written in it is searched as a phrase of characters.

Contact values add their own tokens (the digits of an E.164 number, the parts
of an e-mail or handle), so a number written on the page as "0721-234 567" is
found by the word ``+40721234567``. A number typed with spaces is several words;
any written form of a number is a *contact* search (``contact=``, ``--contact``),
which the search page offers when the words look like one.

Two pieces of derived data, both outside the content hash and a version's diff:

- the listing's ``search`` sub-document (:func:`search_document`): the sort keys, written with the listing;
- its *terms* document (:func:`terms_document`) in ``listing_terms``: the tokens and the date key, written by
  :mod:`crawler.query.terms`, off the crawl's path (an index entry per token costs the embedded server more
  than the rest of the listing).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from typing import Any

SEARCH_FIELD = "search"  # the sub-document of a stored listing that holds derived search data
TOKENS_VERSION = 2  # bump when tokenisation changes; `trawler reindex` rewrites the older ones
MAX_TOKEN_LENGTH = 64  # longer runs are noise (base64, hashes); truncated so they still match themselves
MAX_TOKENS = 4000  # distinct tokens kept per listing
RANK_STEP = 1e10  # seconds: more than any epoch timestamp this century

# Letters without a decomposition that still read as a Latin letter.
_FOLD_EXTRA = str.maketrans({"ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i", "ħ": "h", "þ": "th"})
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# A token of folded text: one CJK character, a run of other letters, or a run of digits (highlighting uses it too).
TOKEN_PATTERN = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])[^\W\d_])+|\d+")
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
    pattern = _ASCII_WORDS if folded.isascii() else TOKEN_PATTERN
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
    """The derived ``search`` sub-document of a stored listing (its ``crawl`` part must be set): the sort keys.

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
    return {"v": TOKENS_VERSION, "date": date, "ts": ts, "risk": risk, "rank": round(risk * 100) * RANK_STEP + ts}


def terms_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The ``listing_terms`` document of a stored listing: its tokens and its date key (``ts``), for word search.

    ``sig`` fingerprints both, so the indexer can skip a listing whose terms it already wrote.
    """
    tokens = search_tokens(doc)
    ts = (doc.get(SEARCH_FIELD) or search_document(doc))["ts"]
    sig = hashlib.blake2b(f"{TOKENS_VERSION}|{ts!r}|{' '.join(tokens)}".encode(), digest_size=12).hexdigest()
    return {"_id": doc["_id"], "tokens": tokens, "ts": ts, "sig": sig}
