"""Rewrite the derived search data of every listing and recount the facet counters.

For listings stored before the query layer existed (they have no ``search``
sub-document, so no search finds them), after a change of tokenisation
(:data:`~crawler.query.tokens.TOKENS_VERSION`), when the counters may be
short (a crash between a batch's write and its count), or when search terms
were missed (a crawling machine's clock far behind; :mod:`crawler.query.terms`).
A full pass over the listings, read as one stream, written back batch by batch:
an administrator's command, not a query. ``trawler index`` is the cheap
everyday one: it only catches up with what was written since its checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

from crawler.query import counters
from crawler.query.terms import batches, write_terms
from crawler.query.tokens import SEARCH_FIELD, search_document
from crawler.storage.schema import LISTINGS, ensure_indexes

BATCH = 500


def _all(db: Database) -> Iterator[list[dict[str, Any]]]:
    # One query read as a stream: paging with sort + limit would make the server evaluate the rest every time.
    return batches(db[LISTINGS].find({}, {"text_sig": 0}).batch_size(BATCH), BATCH)


def reindex(db: Database, progress: Callable[[int], None] | None = None) -> int:
    """Recompute ``search`` and the terms of every listing and rebuild the counters; returns how many were read."""
    ensure_indexes(db)
    seen = 0

    def rewritten() -> Iterator[dict[str, Any]]:
        nonlocal seen
        for batch in _all(db):
            ops = []
            for doc in batch:
                fresh = search_document(doc)
                if doc.get(SEARCH_FIELD) != fresh:
                    # $set of the whole sub-document also drops the tokens earlier versions stored in it.
                    ops.append(UpdateOne({"_id": doc["_id"]}, {"$set": {SEARCH_FIELD: fresh}}))
                doc[SEARCH_FIELD] = fresh
                yield doc
            if ops:
                db[LISTINGS].bulk_write(ops, ordered=False)
            write_terms(db, batch)
            seen += len(batch)
            if progress:
                progress(seen)

    counters.rebuild(db, rewritten())
    return seen
