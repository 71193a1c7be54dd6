"""Stored listing documents → :class:`ListingSummary` rows, and the Python side of filtering."""

from __future__ import annotations

from typing import Any

from crawler.query.counters import has_contacts
from crawler.query.models import ContactSummary, ListingSummary, SearchParams, Status, utc
from crawler.query.tokens import fold

SNIPPET = 200
# Never sent back by a search: large, and not shown in a result row.
HEAVY = {"text_sig": 0, "image_hashes": 0, "contacts.mentions": 0, "extra": 0}


def snippet(doc: dict[str, Any], words: list[str]) -> str:
    body = doc.get("body") or ""
    lower = body.lower()
    for word in words:
        at = lower.find(word)
        if at > SNIPPET // 2:
            start = max(0, at - SNIPPET // 3)
            return "…" + body[start : start + SNIPPET]
    return body[:SNIPPET]


def summarise(doc: dict[str, Any], words: list[str] | None = None) -> ListingSummary:
    crawl = doc.get("crawl") or {}
    location = doc.get("location") or {}
    price = doc.get("price") or {}
    contacts = doc.get("contacts") or {}
    amount = price.get("amount")
    price_text = f"{amount:g} {price.get('currency') or ''}".strip() if amount is not None else price.get("raw")
    return ListingSummary(
        id=doc["_id"],
        site=doc.get("site") or "",
        platform_type=doc.get("platform_type") or "",
        kind=doc.get("kind") or "",
        url=doc.get("url") or "",
        title=doc.get("title"),
        snippet=snippet(doc, words or []),
        author=(doc.get("author") or {}).get("name"),
        posted_at=utc(doc.get("posted_at")),
        first_seen=utc(crawl.get("first_seen")),
        last_seen=utc(crawl.get("last_seen")),
        removed_at=utc(crawl.get("removed_at")),
        language=doc.get("language"),
        country=location.get("country"),
        city=location.get("city"),
        category=doc.get("category"),
        price=price_text,
        risk=float((doc.get("risk") or {}).get("score") or 0.0),
        indicators=sorted({m.get("id") for m in doc.get("indicators") or [] if isinstance(m, dict) and m.get("id")}),
        contacts=ContactSummary(
            phones=contacts.get("phones") or [],
            emails=contacts.get("emails") or [],
            handles=contacts.get("handles") or [],
        ),
        text_cluster=crawl.get("text_cluster"),
    )


def passes(doc: dict[str, Any], p: SearchParams) -> bool:
    """Whether a stored listing satisfies every filter of ``p`` (words and phrases are checked elsewhere)."""
    if p.site and doc.get("site") not in p.site:
        return False
    if p.platform_type and doc.get("platform_type") not in p.platform_type:
        return False
    if p.kind and doc.get("kind") not in p.kind:
        return False
    if p.language and doc.get("language") not in p.language:
        return False
    location = doc.get("location") or {}
    if p.country and location.get("country") not in p.country:
        return False
    # As the page writes it or as the location plugin normalised it: "Krakow" is "Kraków".
    if p.city and fold(location.get("city") or "") != fold(p.city):
        return False
    if p.category and (doc.get("category") or "").casefold() not in {c.casefold() for c in p.category}:
        return False
    indicators = [m for m in doc.get("indicators") or [] if isinstance(m, dict)]
    if p.indicator and not {m.get("id") for m in indicators} & set(p.indicator):
        return False
    if p.indicator_category and not {m.get("category") for m in indicators} & set(p.indicator_category):
        return False
    risk = float((doc.get("risk") or {}).get("score") or 0.0)
    if p.min_risk is not None and risk < p.min_risk:
        return False
    if p.max_risk is not None and risk > p.max_risk:
        return False
    posted = utc(doc.get("posted_at"))
    if (p.posted_since or p.posted_until) and posted is None:
        return False
    if p.posted_since and posted < p.posted_since:
        return False
    if p.posted_until and posted > p.posted_until:
        return False
    crawl = doc.get("crawl") or {}
    last_seen, first_seen = utc(crawl.get("last_seen")), utc(crawl.get("first_seen"))
    if p.seen_since and (last_seen is None or last_seen < p.seen_since):
        return False
    if p.seen_until and (first_seen is None or first_seen > p.seen_until):
        return False
    if p.has_contacts is not None and has_contacts(doc) != p.has_contacts:
        return False
    removed = crawl.get("removed_at") is not None
    if p.status is Status.LIVE and removed:
        return False
    return not (p.status is Status.REMOVED and not removed)


# The flat columns of a listing in CSV exports (the CLI's and the HTTP API's).
CSV_COLUMNS = [
    "id", "site", "platform_type", "kind", "url", "title", "author", "posted_at", "first_seen", "last_seen",
    "removed_at", "language", "country", "city", "category", "price", "risk", "indicators", "phones", "emails",
    "handles", "text_cluster",
]  # fmt: skip


def csv_row(row: ListingSummary) -> dict[str, Any]:
    """One listing as flat CSV columns: lists joined with spaces."""
    data = row.model_dump(mode="json")
    contacts = data.pop("contacts")
    data["indicators"] = " ".join(data["indicators"])
    for name in ("phones", "emails", "handles"):
        data[name] = " ".join(contacts[name])
    return {k: data.get(k) for k in CSV_COLUMNS}
