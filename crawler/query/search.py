"""Search: words, phrases, a contact value and filters, sorted by date or risk, in stable keyset pages.

The plan, for a database that evaluates every document a query matches
(docs/query.md has the long form):

1. One *base* predicate goes to the database, narrow on an index: the listings
   of a contact entity (``_id $in``), else the rarest of the query's words and
   filter values (both are tokens in ``listing_terms``, crawler/query/terms.py),
   or the removed listings, or nothing.
2. A base expected to match at most ``candidate_cap`` listings is read whole:
   every match is known, so the total and the facet counts are exact.
3. A broader base is read in *windows* of the sort key, newest or riskiest
   first, until the page is full; each window is a narrow index range
   (``(tokens, ts)`` of ``listing_terms`` for a word or filter by date, then
   those listings by ``_id``; ``search.ts`` or ``search.rank`` of the listings
   otherwise, with the base checked in Python on each listing of the window). Facets are then counted over what
   was read, and the answer says so.
4. Every other condition (further words, phrases, filters) is checked in
   Python on what was read.

Pages are keyset pages on (sort key, ``_id``), both descending: a cursor holds
the last row's pair and the search it belongs to, so pages never overlap or
skip, whatever is written meanwhile below the cursor.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pymongo.database import Database

from crawler.query import counters
from crawler.query.contacts import resolve_contact
from crawler.query.cursor import BadCursor, decode_cursor, encode_cursor
from crawler.query.models import FacetCounts, QueryPlan, SearchPage, SearchParams, Sort, Status
from crawler.query.summary import passes, summarise
from crawler.query.tokens import RANK_STEP, SEARCH_FIELD, TAG_PREFIX, contact_tokens, listing_text, tag, tokenize
from crawler.storage.byid import find_by_ids
from crawler.storage.schema import ENTITIES, LISTINGS, TERMS

# The embedded server spends ~0.1 ms per document a query matches (more on a busy machine): a base expected to
# match more than this is read in windows of the sort key instead of whole.
CANDIDATE_CAP = 1000
FACET_SCAN = 500  # a broad filtered search with facets reads about this many listings to count them
PROBE = 1500  # listings in the recent slice used to estimate how common each query token is
PROJECTION = {"text_sig": 0, "image_hashes": 0, "contacts.mentions": 0, "extra": 0}
# What filters, facets and sorting look at: candidates are read with this projection only.
LIGHT = {
    name: 1
    for name in (
        "site", "platform_type", "kind", "language", "location.country", "location.city", "category",
        "indicators.id", "indicators.category", "risk.score", "posted_at", "crawl.first_seen", "crawl.last_seen",
        "crawl.removed_at", "contacts.phones", "contacts.emails", "contacts.handles",
        f"{SEARCH_FIELD}.ts", f"{SEARCH_FIELD}.rank",
    )
}  # fmt: skip
# The text a phrase is checked against (crawler/query/tokens.py listing_text).
TEXT = {"title": 1, "body": 1, "author.name": 1, "location.raw": 1, "location.city": 1, "category": 1}
REMOVED = {"crawl.removed_at": {"$gt": counters.EPOCH}}
KEY_FIELD = {Sort.DATE: f"{SEARCH_FIELD}.ts", Sort.RISK: f"{SEARCH_FIELD}.rank"}
KEY_INDEX = {Sort.DATE: "search.ts_-1", Sort.RISK: "search.rank_-1"}
TOKENS = "tokens"  # the key of a base predicate on the terms (a token, or {"$in": tokens})
TOKENS_BY_DATE = "listing_terms.tokens_1_ts_-1"
WINDOW_READ = 2000  # listings a risk window may span when the base is checked on each (no compound index)
_PHRASE = re.compile(r'"([^"]*)"')


@dataclass
class Terms:
    """The query text read: tokens that must all occur, and token sequences that must occur in order."""

    tokens: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # as typed, lower-case, for snippets


def parse_text(text: str) -> Terms:
    terms = Terms()
    rest = _PHRASE.sub(" ", text)
    for phrase in _PHRASE.findall(text):
        tokens = tokenize(phrase)
        if tokens:
            terms.phrases.append(tokens)
            terms.words.append(phrase.strip().lower())
    for word in rest.split():
        tokens = tokenize(word)
        if len(tokens) > 1:  # "0721-234-567", "anna@example.com", a word in Chinese script
            terms.phrases.append(tokens)
        if tokens:
            terms.words.append(word.lower())
    terms.tokens = sorted({t for p in terms.phrases for t in p} | {t for w in rest.split() for t in tokenize(w)})
    return terms


def _contains(seq: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    first = phrase[0]
    return any(seq[i : i + n] == phrase for i, t in enumerate(seq) if t == first)


# -- planning ----------------------------------------------------------------


@dataclass
class Base:
    predicate: dict[str, Any]
    index: str | None
    estimate: int
    ids: list[str] | None = None  # a contact search: the listings of its entities


def _sort_key(doc: dict[str, Any], sort: Sort) -> tuple[float, str]:
    search = doc.get(SEARCH_FIELD) or {}
    return float(search.get("rank" if sort is Sort.RISK else "ts") or 0.0), doc["_id"]


def _probe_counts(db: Database, tokens: list[str], stats: dict[str, Any]) -> dict[str, int]:
    """How often each token occurs among the ~PROBE most recent listings (a cheap, narrow count each)."""
    total = int(stats.get("total") or 0)
    low, high = stats.get("ts_min"), stats.get("ts_max")
    if not total or low is None or high is None:
        return dict.fromkeys(tokens, 0)
    since = high - (high - low) * min(1.0, PROBE / total)
    counts = {}
    for token in tokens:
        found = db[TERMS].find({TOKENS: token, "ts": {"$gte": since}}, {"_id": 1})
        counts[token] = sum(1 for _ in found)
    return counts


def _tokens_predicate(values: list[str]) -> dict[str, Any]:
    return {TOKENS: values[0] if len(values) == 1 else {"$in": sorted(values)}}


def chosen_tags(params: SearchParams) -> dict[str, list[str]]:
    """The filter values the search asks for that are also tokens (``kind:ad``), by dimension."""
    chosen: dict[str, list[str]] = {}
    for dimension in TAG_PREFIX:
        values = getattr(params, dimension)
        if dimension == "has_contacts":
            values = [] if values is None else ["yes" if values else "no"]
        if values:
            chosen[dimension] = list(values)
    return chosen


def _holds(tokens: list[str], required: set[str], groups: list[set[str]]) -> bool:
    """Whether a listing's terms hold every required token and one token of each group."""
    present = set(tokens)
    return required <= present and all(present & group for group in groups)


def choose_base(db: Database, params: SearchParams, terms: Terms, stats: dict[str, Any]) -> Base:
    """The one indexed predicate expected to match the fewest listings."""
    total = int(stats.get("total") or 0)
    if params.contact is not None:
        entity_ids = resolve_contact(db, params.contact)
        ids: set[str] = set()
        for entity in find_by_ids(db[ENTITIES], entity_ids, {"listings": 1}):
            ids.update(entity.get("listings") or [])
        return Base({"_id": {"$in": sorted(ids)}}, "_id_", len(ids), sorted(ids))
    options: list[Base] = [Base({}, None, total)]
    if terms.tokens:
        counts = _probe_counts(db, terms.tokens, stats)
        sample = min(total, PROBE) or 1
        # Rarest first; among equally rare, the longest token (long words are rarer in general).
        token = min(terms.tokens, key=lambda t: (counts[t], -len(t), t))
        options.append(Base(_tokens_predicate([token]), TERMS, counts[token] * total // sample))
    for dimension, chosen in chosen_tags(params).items():  # filter values are tokens too, counted at write time
        per_value = stats.get(dimension) or {}
        count = sum(int(per_value.get(counters.field_key(v), 0)) for v in chosen)
        options.append(Base(_tokens_predicate([tag(dimension, v) for v in chosen]), TERMS, count))
    if params.status is Status.REMOVED:
        removed = [d["_id"] for d in db[LISTINGS].find(REMOVED, {"_id": 1})]
        options.append(Base(REMOVED, "crawl.removed_at", len(removed)))
    return min(options, key=lambda b: b.estimate)


# -- reading -----------------------------------------------------------------


def _key_bounds(params: SearchParams) -> tuple[float | None, float | None]:
    """Bounds the filters put on the sort key itself (a posted-date range, a lowest risk)."""
    if params.sort is Sort.RISK:
        low = round(params.min_risk * 100) * RANK_STEP if params.min_risk else None
        high = (round(params.max_risk * 100) + 1) * RANK_STEP if params.max_risk is not None else None
        return low, high
    # The date key is the posted date whenever there is one, and a posted-date filter drops the others.
    low = params.posted_since.timestamp() if params.posted_since else None
    high = params.posted_until.timestamp() if params.posted_until else None
    return low, high


@dataclass
class Reader:
    """Matching listings in sort order, below an optional cursor, read as the plan says.

    Candidates are read with a light projection (the fields filters and facets look at); the text of those
    that pass is read only when a phrase must be checked, and whole documents only for the page shown.
    """

    db: Database
    params: SearchParams
    terms: Terms
    base: Base
    stats: dict[str, Any]
    after: tuple[float, str] | None
    plan: QueryPlan
    unchecked_base: list[str] = field(default_factory=list)  # base tokens not sent to the server (any must occur)
    scanned: int = 0  # candidates the last read found, before their terms were checked
    cut_at: float | None = None  # the date key where the last window read was cut short (see _find)

    def _tag_filters(self) -> tuple[set[str], list[set[str]]]:
        """The filter values that are tokens: the single ones (all must occur), and groups (one of each must)."""
        required: set[str] = set()
        groups: list[set[str]] = []
        for dimension, values in chosen_tags(self.params).items():
            tags = {tag(dimension, v) for v in values}
            if len(tags) == 1:
                required |= tags
            else:
                groups.append(tags)
        return required, groups

    def _unchecked_words(self) -> list[str]:
        """The query's words the server predicate does not already guarantee."""
        sent = self.base.predicate.get(TOKENS) if not self.unchecked_base else None
        return [t for t in self.terms.tokens if t != sent]

    def _find(self, query: dict[str, Any], keep: int | None = None) -> list[dict[str, Any]]:
        """The listings ``query`` matches (light projection); a predicate on the tokens goes to the terms first.

        A listing whose terms are needed to check more words gets them as ``doc["terms"]``. ``keep``: when the
        terms of a date window hold more possible matches than that, only the newest are read, down to a whole
        date (ties kept), and :attr:`cut_at` says where the window really ended.
        """
        self.cut_at = None
        need_tokens = bool(self.unchecked_base or self._unchecked_words())
        terms: dict[str, list[str]] | None = None
        ids = self.base.ids if query is self.base.predicate else None  # a contact's listings
        if TOKENS in query:
            on_terms = {TOKENS: query[TOKENS]}
            if f"{SEARCH_FIELD}.ts" in query:
                on_terms["ts"] = query[f"{SEARCH_FIELD}.ts"]
            found = list(self.db[TERMS].find(on_terms, {TOKENS: 1, "ts": 1}))
            self.plan.queries += 1
            self.scanned = len(found)
            # Words and filter values are checked on the terms first: only listings that can match are read (the
            # server cannot AND two tokens on its index: $all and $and scan the whole collection).
            required, groups = self._tag_filters()
            required |= set(self._unchecked_words())
            possible = [d for d in found if _holds(d.get(TOKENS) or [], required, groups)]
            if keep is not None and len(possible) > keep:
                # The window was sized by an estimate and holds more than needed: read the newest only.
                self.cut_at = sorted((float(d.get("ts") or 0.0) for d in possible), reverse=True)[keep - 1]
                possible = [d for d in possible if float(d.get("ts") or 0.0) >= self.cut_at]
                self.scanned = sum(1 for d in found if float(d.get("ts") or 0.0) >= self.cut_at)
            terms = {d["_id"]: d.get(TOKENS) or [] for d in possible}
            ids = sorted(terms)
        if ids is not None:
            docs = list(find_by_ids(self.db[LISTINGS], ids, LIGHT))
        else:
            docs = list(self.db[LISTINGS].find(query, LIGHT))
        if terms is None:
            self.scanned = len(docs)
        self.plan.queries += 1
        self.plan.candidates += self.scanned
        if need_tokens:
            if terms is None:
                found = find_by_ids(self.db[TERMS], [doc["_id"] for doc in docs], {TOKENS: 1})
                terms = {d["_id"]: d.get(TOKENS) or [] for d in found}
                self.plan.queries += 1
            for doc in docs:
                doc["terms"] = terms.get(doc["_id"]) or []
        return docs

    def _has_tokens(self, doc: dict[str, Any]) -> bool:
        stored = set(doc.get("terms") or [])
        if self.unchecked_base and not stored.intersection(self.unchecked_base):
            return False
        return all(t in stored for t in self._unchecked_words())

    def _matches(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        kept = [d for d in docs if passes(d, self.params) and self._has_tokens(d)]
        if not (self.terms.phrases and kept):
            return kept
        texts = {d["_id"]: d for d in find_by_ids(self.db[LISTINGS], [d["_id"] for d in kept], TEXT)}
        self.plan.queries += 1
        return [d for d in kept if _has_phrases({**texts.get(d["_id"], {}), **d}, self.terms)]

    def below_cursor(self, doc: dict[str, Any]) -> bool:
        return self.after is None or _sort_key(doc, self.params.sort) < self.after

    def all_matches(self) -> list[dict[str, Any]]:
        """Read the whole base (it is small) and keep the matches, in sort order."""
        found = self._matches(self._find(self.base.predicate))
        found.sort(key=lambda d: _sort_key(d, self.params.sort), reverse=True)
        return found

    def windows(self, wanted: int) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """(documents read so far, matches of one window) in sort order, below the cursor, window by window.

        ``wanted``: how many documents a window should hold, if listings spread evenly over the key.
        """
        key_field = KEY_FIELD[self.params.sort]
        suffix = "rank" if self.params.sort is Sort.RISK else "ts"
        low, high = self.stats.get(f"{suffix}_min"), self.stats.get(f"{suffix}_max")
        if low is None or high is None:
            return
        floor, ceiling = _key_bounds(self.params)
        low = max(low, floor) if floor is not None else low
        top = min(high, ceiling) if ceiling is not None else high
        if self.after:
            top = min(top, self.after[0])
        total = max(int(self.stats.get("total") or 0), 1)
        span = max(float(self.stats.get("ts_max", 0) - self.stats.get("ts_min", 0)), 1.0)
        width = span * wanted / max(self.base.estimate, 1)
        predicate = self.base.predicate
        if self.params.sort is Sort.RISK and predicate:
            # No compound index of the base with the risk key (each multikey index costs the writer an entry per
            # token): windows of the risk index alone, the base checked here, each window kept short.
            self.unchecked_base = _token_values(predicate)
            predicate = {}
            width = min(width, span * WINDOW_READ / total)
        width = min(max(width, span * 20 / total, 1.0), span * 1.01 + 1.0)
        inclusive = True
        read = 0
        while top >= low:
            bottom = top - width
            bounds = {"$gte": max(bottom, low), "$lte" if inclusive else "$lt": top}
            # A date window on the terms is cut to about what is wanted; the next one starts below the cut.
            docs = self._find({**predicate, key_field: bounds}, keep=wanted if TOKENS in predicate else None)
            if self.cut_at is not None:
                bottom = self.cut_at
            read += self.scanned
            docs.sort(key=lambda d: _sort_key(d, self.params.sort), reverse=True)
            yield read, self._matches([d for d in docs if self.below_cursor(d)])
            if self.scanned < wanted:
                width *= 4 if not self.scanned else 2  # sparse (or a gap between risk levels): look further at once
            top, inclusive = bottom, False


def _token_values(predicate: dict[str, Any]) -> list[str]:
    value = predicate.get(TOKENS)
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return list(value.get("$in") or [])
    return []


def _has_phrases(doc: dict[str, Any], terms: Terms) -> bool:
    sequence = tokenize(listing_text(doc))
    extra = [tokenize(v) for v in contact_tokens(doc)]
    return all(_contains(sequence, p) or p in extra for p in terms.phrases)


def _facet_counts(docs: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {d: Counter() for d in (*counters.FACET_DIMENSIONS, "status")}
    for doc in docs:
        for dimension, values in counters.facet_values(doc).items():
            counts[dimension].update(values)
        counts["status"]["removed" if (doc.get("crawl") or {}).get("removed_at") else "live"] += 1
    return {d: dict(sorted(c.items())) for d, c in counts.items()}


def stored_facets(db: Database) -> FacetCounts:
    """Facet counts of all listings, from the write-time counters (and the removed-listings index)."""
    values = counters.stored_facets(db)
    total = values.pop("total")["listings"]
    removed = sum(1 for _ in db[LISTINGS].find(REMOVED, {"_id": 1}))
    values["status"] = {k: v for k, v in (("live", total - removed), ("removed", removed)) if v}
    return FacetCounts(values={d: dict(sorted(v.items())) for d, v in values.items()}, exact=True, counted=total)


def search(db: Database, params: SearchParams, candidate_cap: int = CANDIDATE_CAP) -> SearchPage:
    """One page of listings matching ``params``, with facet counts and the plan that found them.

    ``candidate_cap``: the largest base read whole (see the module's docstring). Raises :class:`BadCursor`.
    """
    after = decode_cursor(params.cursor, params) if params.cursor else None
    terms = parse_text(params.text)
    stats = counters.stats(db)
    warnings: list[str] = []
    if params.text.strip() and not terms.tokens:
        warnings.append("the search text has no words to search for; showing every listing that passes the filters")
    base = choose_base(db, params, terms, stats)
    plan = QueryPlan(strategy="none", predicate=_shown(base.predicate), index=base.index)
    reader = Reader(db, params, terms, base, stats, after, plan)
    facets: FacetCounts | None = None
    total: int | None = None
    if base.ids is not None or base.estimate <= candidate_cap:
        plan.strategy = "candidates"
        matches = reader.all_matches()
        total = len(matches)
        if params.facets:
            facets = FacetCounts(values=_facet_counts(matches), exact=True, counted=total)
        below = [d for d in matches if reader.below_cursor(d)]
        page, more = below[: params.limit], len(below) > params.limit
    else:
        plan.strategy = "windows"
        if params.facets and not params.filters_set():
            plan.strategy = "stored" if after is None else "windows"
            facets = stored_facets(db)
            total = facets.counted
        need_facets = params.facets and facets is None
        found: list[dict[str, Any]] = []
        exhausted = True
        wanted = max(params.limit + 1, FACET_SCAN if need_facets else 0, 50)
        for read, matches in reader.windows(wanted):
            found += matches
            if len(found) > params.limit and (not need_facets or read >= FACET_SCAN):
                exhausted = False
                break
        page, more = found[: params.limit], len(found) > params.limit
        if need_facets:
            facets = FacetCounts(values=_facet_counts(found), exact=exhausted, counted=len(found))
            if exhausted and after is None:
                total = len(found)
            elif not exhausted:
                warnings.append(f"facet counts cover the first {len(found)} matches only (a broad search)")
    plan.index = _index_name(base, params.sort, plan.strategy)
    next_cursor = encode_cursor(*_sort_key(page[-1], params.sort), params) if more and page else None
    full = {d["_id"]: d for d in find_by_ids(db[LISTINGS], [d["_id"] for d in page], PROJECTION)}
    rows = [summarise(full[d["_id"]], terms.words) for d in page if d["_id"] in full]
    return SearchPage(items=rows, next_cursor=next_cursor, total=total, facets=facets, plan=plan, warnings=warnings)


def iter_search(db: Database, params: SearchParams, candidate_cap: int = CANDIDATE_CAP) -> Iterator[dict[str, Any]]:
    """Every matching stored listing (without derived search data), page after page, for exports."""
    cursor = params.cursor
    while True:
        page_params = params.model_copy(update={"cursor": cursor, "facets": False, "limit": 500})
        page = search(db, page_params, candidate_cap)
        ids = [row.id for row in page.items]
        docs = {d["_id"]: d for d in find_by_ids(db[LISTINGS], ids, {SEARCH_FIELD: 0, "text_sig": 0})}
        for listing_id in ids:
            if listing_id in docs:
                yield docs[listing_id]
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _window_index(base: Base, sort: Sort) -> str | None:
    """The index a window query is meant to use (not sent as ``hint``: the embedded server then walks all of it)."""
    if sort is Sort.RISK or not base.predicate:
        return KEY_INDEX[sort]
    return TOKENS_BY_DATE if base.index == TERMS else None


def _index_name(base: Base, sort: Sort, strategy: str) -> str | None:
    if strategy in ("windows", "stored"):
        return _window_index(base, sort)
    if base.index == TERMS:
        return TOKENS_BY_DATE
    return "crawl.removed_at_1" if base.index == "crawl.removed_at" else base.index


def _shown(predicate: dict[str, Any]) -> dict[str, Any]:
    """The predicate for display: a long ``$in`` list shortened."""
    shown = dict(predicate)
    ids = (shown.get("_id") or {}).get("$in") if isinstance(shown.get("_id"), dict) else None
    if ids is not None and len(ids) > 5:
        shown["_id"] = {"$in": [*ids[:5], f"... {len(ids)} in all"]}
    return shown


__all__ = ["BadCursor", "iter_search", "parse_text", "search", "stored_facets"]
