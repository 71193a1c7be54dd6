"""The query layer (crawler/query/) against a real demo crawl in the real SecantusDB server.

One crawl of the three demo platforms with every default plugin on, shared by the module. Expected answers
come from the demo generator's ground truth (texts, sites, kinds, planted contacts) or, for what enrichment
adds (language, indicators), from a plain full read of the stored listings in Python.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pymongo
import pytest
from pydantic import ValidationError

from crawler.demo.contact_truth import Planted, contact_book, planted_in
from crawler.demo.server import build_all
from crawler.demo.world import format_phone, recruiters
from crawler.models import document_hash
from crawler.query import (
    BadCursor,
    NotFound,
    SearchParams,
    cluster_members,
    entity_view,
    pivot,
    search,
    show_listing,
    timeline,
)
from crawler.query.counters import stored_facets
from crawler.query.models import Sort, Status
from crawler.query.search import iter_search
from crawler.query.tokens import TOKENS_VERSION
from crawler.storage.entities import listings_sharing
from tests.conftest import MongoServer, crawl_demo, start_demo

SITES = ["demo-forum", "demo-market", "demo-reviews"]


@dataclass
class Crawled:
    db: pymongo.database.Database
    truth: dict[str, dict[str, Any]]  # listing id -> truth item
    planted: dict[str, dict[str, str]]  # listing id -> {entity id: owner}
    book: list[Planted]
    stored: dict[str, dict[str, Any]]  # listing id -> stored document


@pytest.fixture(scope="module")
def crawled(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    demo = start_demo()
    name = "query_layer"
    client = mongo.client()
    # neardup is opt-in: the cluster pivots need it
    crawl_demo(mongo, demo, name, tmp_path_factory.mktemp("var"), list(SITES), {"TRAWLER_ENABLE_PLUGINS": "neardup"})
    truth = {item["_id"]: item for site in SITES for item in demo.truth()[site]}
    book = contact_book(build_all(demo.options, tuple(demo.server.urls)))
    planted = {listing_id: planted_in(item, book) for listing_id, item in truth.items()}
    db = client[name]
    stored = {doc["_id"]: doc for doc in db.listings.find({})}
    yield Crawled(db, truth, planted, book, stored)
    demo.server.stop()
    client.drop_database(name)


# -- an independent reading of "contains the word" over the truth texts ------------


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def _truth_text(item: dict[str, Any]) -> str:
    parts = [item.get("title"), item.get("body"), (item.get("author") or {}).get("name")]
    parts += [(item.get("location") or {}).get("raw"), item.get("category")]
    return _plain("\n".join(p for p in parts if isinstance(p, str)))


def _with_word(crawled: Crawled, word: str) -> set[str]:
    pattern = re.compile(rf"(?<![^\W\d_]){re.escape(_plain(word))}(?![^\W\d_])")
    return {i for i, item in crawled.truth.items() if pattern.search(_truth_text(item))}


def _all_pages(db: Any, params: SearchParams, **kwargs: Any) -> list[str]:
    ids: list[str] = []
    cursor = None
    while True:
        page = search(db, params.model_copy(update={"cursor": cursor}), **kwargs)
        ids += [row.id for row in page.items]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


# -- the crawl is what the truth says -------------------------------------------------


def test_every_truth_listing_is_stored_with_its_search_data(crawled: Crawled) -> None:
    assert set(crawled.stored) == set(crawled.truth)
    # The crawl wrote the search terms when it ended (crawler/query/terms.py), one document per listing.
    terms = {doc["_id"]: doc for doc in crawled.db.listing_terms.find({})}
    assert set(terms) == set(crawled.truth)
    for doc in crawled.stored.values():
        assert doc["search"]["v"] == TOKENS_VERSION
        when = doc.get("posted_at") or doc["crawl"]["first_seen"]
        assert doc["search"]["ts"] == when.timestamp() == terms[doc["_id"]]["ts"]
        assert "tokens" not in doc["search"]
        # Derived data is not content: the stored hash is the hash of the content alone.
        assert document_hash(doc) == doc["crawl"]["content_hash"]


# -- words, accents, phrases --------------------------------------------------------------


@pytest.mark.parametrize("word", ["dubai", "DUBAI", "Passport", "visa", "Lohn", "work"])
def test_a_word_finds_exactly_the_listings_containing_it(crawled: Crawled, word: str) -> None:
    expected = _with_word(crawled, word)
    assert expected  # the demo writes each of these words somewhere
    page = search(crawled.db, SearchParams(text=word, limit=500))
    assert {row.id for row in page.items} == expected
    assert page.total == len(expected) and page.next_cursor is None


def test_accents_and_case_do_not_matter(crawled: Crawled) -> None:
    accented = [
        w
        for item in crawled.truth.values()
        for w in re.findall(r"[^\W\d_]+", f"{item.get('title') or ''} {item.get('body') or ''}")
        if _plain(w) != w.lower() and len(w) > 4
    ]
    word = Counter(accented).most_common(1)[0][0]
    expected = _with_word(crawled, word)
    for variant in (word, word.upper(), _plain(word)):
        assert {row.id for row in search(crawled.db, SearchParams(text=variant, limit=500)).items} == expected


def test_all_words_must_occur(crawled: Crawled) -> None:
    expected = _with_word(crawled, "travel") & _with_word(crawled, "paid")
    assert {row.id for row in search(crawled.db, SearchParams(text="paid TRAVEL", limit=500)).items} == expected


def test_a_phrase_finds_the_words_in_that_order(crawled: Crawled) -> None:
    pattern = re.compile(r"(?<![^\W\d_])travel[^\w]+paid(?![^\W\d_])")
    expected = {i for i, item in crawled.truth.items() if pattern.search(_truth_text(item))}
    both = _with_word(crawled, "travel") & _with_word(crawled, "paid")
    assert expected and expected < both  # the phrase is narrower than the two words
    assert {row.id for row in search(crawled.db, SearchParams(text='"Travel paid"', limit=500)).items} == expected


def test_a_word_nowhere_finds_nothing(crawled: Crawled) -> None:
    page = search(crawled.db, SearchParams(text="zzyzx dubai"))
    assert page.items == [] and page.total == 0 and page.next_cursor is None


# -- filters and facets -----------------------------------------------------------------


def test_site_and_kind_filters(crawled: Crawled) -> None:
    params = SearchParams(site=["demo-reviews"], kind=["business"], limit=7)
    expected = {i for i, t in crawled.truth.items() if t["site"] == "demo-reviews" and t["kind"] == "business"}
    assert len(expected) == 21
    ids = _all_pages(crawled.db, params)
    assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids))


def test_language_indicator_and_risk_filters_match_a_full_read(crawled: Crawled) -> None:
    stored = crawled.stored.values()
    german = {d["_id"] for d in stored if d.get("language") == "de"}
    indicator = Counter(m["id"] for d in stored for m in d.get("indicators") or []).most_common(1)[0][0]
    flagged = {d["_id"] for d in stored if indicator in {m["id"] for m in d.get("indicators") or []}}
    risky = {d["_id"] for d in stored if ((d.get("risk") or {}).get("score") or 0) >= 2}
    with_contacts = {
        d["_id"] for d in stored if any((d.get("contacts") or {}).get(k) for k in ("phones", "emails", "handles"))
    }
    businesses = {i for i, t in crawled.truth.items() if t["kind"] == "business"}
    threads = {i for i, t in crawled.truth.items() if t["kind"] == "thread"}
    cases = [
        (SearchParams(language=["de"], limit=500), german),
        (SearchParams(indicator=[indicator], limit=500), flagged),
        (SearchParams(min_risk=2, limit=500), risky),
        (
            SearchParams(has_contacts=True, site=["demo-market"], limit=500),
            with_contacts & {i for i in crawled.truth if i.startswith("demo-market:")},
        ),
        (SearchParams(text="work", language=["de"], limit=500), german & _with_word(crawled, "work")),
        # A filter value rarer than the word is queried first: the word is still checked.
        (SearchParams(text="of", kind=["business"], limit=500), _with_word(crawled, "of") & businesses),
        (SearchParams(text="it", kind=["thread"], limit=500), _with_word(crawled, "it") & threads),
    ]
    for params, expected in cases:
        assert expected, params
        assert {row.id for row in search(crawled.db, params).items} == expected, params


def test_posted_date_range(crawled: Crawled) -> None:
    dated = sorted(d["posted_at"] for d in crawled.stored.values() if d.get("posted_at"))
    since, until = dated[len(dated) // 4], dated[len(dated) // 2]
    expected = {i for i, d in crawled.stored.items() if d.get("posted_at") and since <= d["posted_at"] <= until}
    page = search(crawled.db, SearchParams(posted_since=since, posted_until=until, limit=500))
    assert {row.id for row in page.items} == expected


def test_category_and_seen_filters(crawled: Crawled) -> None:
    jobs = {i for i, t in crawled.truth.items() if (t.get("category") or "").lower() == "jobs"}
    assert jobs
    assert {r.id for r in search(crawled.db, SearchParams(category=["JOBS"], limit=500)).items} == jobs
    last = max(d["crawl"]["last_seen"] for d in crawled.stored.values())
    latest = {i for i, d in crawled.stored.items() if d["crawl"]["last_seen"] == last}
    assert {r.id for r in search(crawled.db, SearchParams(seen_since=last, limit=500)).items} == latest
    first = min(d["crawl"]["first_seen"] for d in crawled.stored.values())
    earliest = {i for i, d in crawled.stored.items() if d["crawl"]["first_seen"] == first}
    assert {r.id for r in search(crawled.db, SearchParams(seen_until=first, limit=500)).items} == earliest


def test_near_duplicate_cluster_members(crawled: Crawled) -> None:
    clustered = {i: d["crawl"]["text_cluster"] for i, d in crawled.stored.items() if d["crawl"].get("text_cluster")}
    start, cluster = sorted(clustered.items())[0]
    members = {i for i, c in clustered.items() if c == cluster}
    assert len(members) >= 2
    view = cluster_members(crawled.db, start)
    assert view.entity.id == f"text_cluster:{cluster}" and {r.id for r in view.listings} == members
    assert {r.id for r in cluster_members(crawled.db, view.entity.id).listings} == members


def test_unfiltered_facets_equal_the_truth_counts(crawled: Crawled) -> None:
    page = search(crawled.db, SearchParams(limit=5))
    facets = page.facets.values
    truth = crawled.truth.values()
    assert facets["site"] == dict(Counter(t["site"] for t in truth))
    assert facets["kind"] == dict(Counter(t["kind"] for t in truth))
    assert facets["platform_type"] == dict(Counter(t["platform_type"] for t in truth))
    stored = list(crawled.stored.values())
    assert facets["language"] == dict(Counter(d.get("language") or "(none)" for d in stored))
    indicators = Counter(i for d in stored for i in {m["id"] for m in d.get("indicators") or []})
    assert facets["indicator"] == dict(indicators)
    assert facets["status"] == {"live": len(truth)}
    assert page.total == len(truth) and page.facets.exact
    # The write-time counters hold the same numbers as a count over every stored listing.
    assert stored_facets(crawled.db)["site"] == facets["site"]


def test_facets_of_a_search_count_its_matches(crawled: Crawled) -> None:
    expected = _with_word(crawled, "paid")
    page = search(crawled.db, SearchParams(text="paid", limit=3))
    assert page.total == len(expected)
    assert page.facets.exact and page.facets.values["site"] == dict(Counter(i.split(":")[0] for i in expected))
    assert page.facets.values["kind"] == dict(Counter(crawled.truth[i]["kind"] for i in expected))


# -- pagination ---------------------------------------------------------------------------


@pytest.mark.parametrize("sort", [Sort.DATE, Sort.RISK])
@pytest.mark.parametrize("cap", [3000, 0])  # 0: every search read in index windows, as over a large database
def test_pages_visit_every_listing_once_in_a_stable_order(crawled: Crawled, sort: Sort, cap: int) -> None:
    params = SearchParams(sort=sort, limit=40, facets=False)
    ids = _all_pages(crawled.db, params, candidate_cap=cap)
    assert len(ids) == len(set(ids)) == len(crawled.truth)

    def key(i: str) -> tuple:
        doc = crawled.stored[i]
        when = (doc.get("posted_at") or doc["crawl"]["first_seen"]).timestamp()
        risk = round(((doc.get("risk") or {}).get("score") or 0) * 100)
        return (risk, when, i) if sort is Sort.RISK else (when, i)

    assert ids == sorted(crawled.truth, key=key, reverse=True)
    assert _all_pages(crawled.db, params, candidate_cap=cap) == ids  # the same again


def test_windowed_search_finds_what_reading_all_candidates_finds(crawled: Crawled) -> None:
    for params in (
        SearchParams(text="paid", limit=9),
        SearchParams(site=["demo-market"], has_contacts=True, limit=11),
        SearchParams(text="the", kind=["review"], sort=Sort.RISK, limit=25),
    ):
        assert _all_pages(crawled.db, params, candidate_cap=0) == _all_pages(crawled.db, params)
    page = search(crawled.db, SearchParams(text="the", limit=5), candidate_cap=0)
    assert page.plan.strategy == "windows" and page.plan.index == "listing_terms.tokens_1_ts_-1"


def test_a_cursor_only_continues_its_own_search(crawled: Crawled) -> None:
    first = search(crawled.db, SearchParams(text="paid", limit=2))
    assert first.next_cursor
    with pytest.raises(BadCursor):
        search(crawled.db, SearchParams(text="visa", limit=2, cursor=first.next_cursor))
    with pytest.raises(BadCursor):
        search(crawled.db, SearchParams(text="paid", limit=2, cursor="eyIkd2hlcmUiOiAxfQ"))


def test_export_iterates_every_match(crawled: Crawled) -> None:
    exported = [doc["_id"] for doc in iter_search(crawled.db, SearchParams(sort=Sort.RISK))]
    assert len(crawled.truth) > 500  # more than one internal page of 500
    assert sorted(exported) == sorted(crawled.truth) and len(exported) == len(set(exported))
    paid = [doc["_id"] for doc in iter_search(crawled.db, SearchParams(text="paid"), candidate_cap=0)]
    assert sorted(paid) == sorted(_with_word(crawled, "paid"))
    assert all("search" not in doc for doc in iter_search(crawled.db, SearchParams(text="dubai")))


# -- contacts and entities ------------------------------------------------------------------


def test_any_written_form_of_a_phone_finds_its_entity_and_exactly_its_listings(crawled: Crawled) -> None:
    person = next(p for p in recruiters() if p.key == "R3")
    entity = f"phone:{person.phone}"
    expected = {i for i, values in crawled.planted.items() if entity in values}
    assert {i.split(":")[0] for i in expected} == set(SITES)
    for style in ("national", "dashed", "dotted", "international", "zero-zero"):
        written = format_phone(person.phone, style)
        page = search(crawled.db, SearchParams(contact=written, limit=500))
        assert {row.id for row in page.items} == expected, written
        view = entity_view(crawled.db, written)
        assert view.entity.id == entity and {row.id for row in view.listings} == expected


def test_an_entity_timeline_is_ordered_by_date_across_sites(crawled: Crawled) -> None:
    person = next(p for p in recruiters() if p.key == "R3")
    line = timeline(crawled.db, f"phone:{person.phone}")
    expected = {i for i, values in crawled.planted.items() if f"phone:{person.phone}" in values}
    assert [e.listing.id for e in line.events] == sorted(
        expected, key=lambda i: (crawled.stored[i].get("posted_at") or crawled.stored[i]["crawl"]["first_seen"], i)
    )
    assert line.sites == SITES


def test_email_contact_search(crawled: Crawled) -> None:
    planted = next(p for p in crawled.book if p.entity.startswith("email:"))
    expected = {i for i, values in crawled.planted.items() if planted.entity in values}
    assert expected
    page = search(crawled.db, SearchParams(contact=planted.forms[0].upper(), limit=500))
    assert {row.id for row in page.items} == expected


def test_show_listing_has_entities_versions_and_snapshot(crawled: Crawled) -> None:
    listing_id = next(i for i, values in crawled.planted.items() if len(values) >= 2)
    view = show_listing(crawled.db, listing_id)
    stored = crawled.stored[listing_id]
    assert {e.id for e in view.entities} >= set(crawled.planted[listing_id])
    assert view.snapshot_sha256 == stored["crawl"]["snapshot_id"] and len(view.snapshot_sha256) == 64
    assert view.versions == [] and view.version == 1 and "search" not in view.listing
    with pytest.raises(NotFound):
        show_listing(crawled.db, '{"$gt": ""}')


# -- pivots -------------------------------------------------------------------------------------


def test_one_hop_pivot_reaches_exactly_the_listings_sharing_a_planted_contact(crawled: Crawled) -> None:
    start = next(
        i
        for i, values in sorted(crawled.planted.items())
        if values and not crawled.stored[i]["crawl"].get("text_cluster")
    )
    expected = {
        other
        for other, values in crawled.planted.items()
        if other != start and set(values) & set(crawled.planted[start])
    }
    result = pivot(crawled.db, start, hops=1)
    found = {hit.listing.id: hit for hits in result.by_site.values() for hit in hits}
    assert set(found) == expected and result.total == len(expected)
    assert all(hit.hops == 1 and set(hit.via) <= set(crawled.planted[start]) | {e.id for e in result.entities}
               for hit in found.values())  # fmt: skip
    assert list(result.by_site) == sorted({i.split(":")[0] for i in expected})


def test_two_hop_pivot_matches_the_storage_layer_walk(crawled: Crawled) -> None:
    person = next(p for p in recruiters() if p.key == "R3")
    start = min(i for i, values in crawled.planted.items() if f"phone:{person.phone}" in values)
    result = pivot(crawled.db, start, hops=2)
    found = {hit.listing.id: hit.hops for hits in result.by_site.values() for hit in hits}
    assert found == listings_sharing(crawled.db, start, hops=2)
    assert set(found.values()) == {1, 2}
    assert {i for i, h in found.items() if h == 1} == set(listings_sharing(crawled.db, start, hops=1))


# -- hostile input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"site": [{"$gt": ""}]},
        {"site": ["$where"]},
        {"kind": ["a.b"]},
        {"language": ["en; drop"]},
        {"text": {"$ne": None}},
        {"contact": ["+40721234567"]},
        {"text": "x" * 501},
        {"limit": 100000},
        {"$where": "sleep(1000)"},
        {"site": ["demo-forum"] * 51},
    ],
)
def test_operator_injection_and_huge_inputs_are_rejected(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SearchParams(**bad)


def test_operators_typed_as_text_are_only_text(crawled: Crawled) -> None:
    # A dotted key is the phrase it spells: "travel.paid" is "travel paid".
    dotted = re.compile(r"(?<![^\W\d_])travel[^\w]+paid(?![^\W\d_])")
    cases = {
        '{"$gt": ""}': _with_word(crawled, "gt"),
        "$where": _with_word(crawled, "where"),
        "'; return true; //": _with_word(crawled, "return") & _with_word(crawled, "true"),
        "travel.paid": {i for i, item in crawled.truth.items() if dotted.search(_truth_text(item))},
    }
    assert cases["travel.paid"]
    for text, expected in cases.items():
        assert {row.id for row in search(crawled.db, SearchParams(text=text, limit=500)).items} == expected
    assert search(crawled.db, SearchParams(contact='{"$ne": null}')).items == []
    with pytest.raises(NotFound):
        entity_view(crawled.db, "$where")
    with pytest.raises(NotFound):
        entity_view(crawled.db, '{"$gt": ""}')


def test_status_filter_after_a_listing_is_marked_removed(crawled: Crawled) -> None:
    """Runs last in the module: it marks one listing removed (and restores it)."""
    target = "demo-market:" + next(i.split(":", 1)[1] for i in sorted(crawled.truth) if i.startswith("demo-market:"))
    removed_at = crawled.stored[target]["crawl"]["last_seen"]
    crawled.db.listings.update_one({"_id": target}, {"$set": {"crawl.removed_at": removed_at}})
    try:
        assert [r.id for r in search(crawled.db, SearchParams(status=Status.REMOVED)).items] == [target]
        live = search(crawled.db, SearchParams(status=Status.LIVE, site=["demo-market"], limit=500))
        expected_live = {i for i in crawled.truth if i.startswith("demo-market:")} - {target}
        assert {r.id for r in live.items} == expected_live
        assert search(crawled.db, SearchParams()).facets.values["status"] == {
            "live": len(crawled.truth) - 1,
            "removed": 1,
        }
        # The CLI's --removed reads the same layer.
        assert search(crawled.db, SearchParams(status=Status.REMOVED, text="zzyzx")).items == []
    finally:
        crawled.db.listings.update_one({"_id": target}, {"$set": {"crawl.removed_at": None}})


# -- write side: derived data, counters, replays -----------------------------------------------


def test_a_changed_listing_gets_new_tokens_a_clean_diff_and_counters_that_follow(db: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from crawler.models import Listing
    from crawler.storage.writer import ListingWriter, Pending

    def ad(title: str, language: str) -> Listing:
        return Listing(
            site="s", platform_type="marketplace", kind="ad", url="http://x/1", native_id="1", title=title,
            body="Body text", language=language,
        )  # fmt: skip

    writer = ListingWriter(db)
    first = datetime(2026, 1, 1, tzinfo=UTC)
    batch = [Pending(ad("Alpha Ştefan", "ro"), first, "r1")]
    writer.write(batch)
    writer.write(batch)  # a replayed batch counts nothing twice
    assert stored_facets(db)["language"] == {"ro": 1} and stored_facets(db)["total"] == {"listings": 1}
    assert [r.id for r in search(db, SearchParams(text="stefan")).items] == ["s:ad:1"]

    writer.write([Pending(ad("Beta", "en"), first + timedelta(days=1), "r2")])
    version = db.listing_versions.find_one({"listing_id": "s:ad:1"})
    assert set(version["diff"]) == {"language", "title"} and "search" not in version["content"]
    assert search(db, SearchParams(text="alpha")).items == []
    assert [r.id for r in search(db, SearchParams(text="BETA", language=["en"])).items] == ["s:ad:1"]
    facets = stored_facets(db)
    assert facets["language"] == {"en": 1} and facets["total"] == {"listings": 1}
    doc = db.listings.find_one({"_id": "s:ad:1"})
    assert doc["crawl"]["content_hash"] == ad("Beta", "en").content_hash()  # derived data is not hashed
    view = show_listing(db, "s:ad:1")
    assert view.version == 2 and [v.version for v in view.versions] == [1]
    assert view.versions[0].diff["title"] == {"old": "Alpha Ştefan", "new": "Beta"}


def test_reindex_restores_search_data_and_counters(db: Any) -> None:
    from datetime import UTC, datetime

    from crawler.models import Listing
    from crawler.query import reindex
    from crawler.storage.writer import ListingWriter, Pending

    listings = [
        Listing(site="s", platform_type="forum", kind="post", url=f"http://x/{n}", native_id=str(n), body=f"Café {n}")
        for n in range(3)
    ]
    ListingWriter(db).write([Pending(x, datetime(2026, 1, 1, tzinfo=UTC), "r") for x in listings])
    before = stored_facets(db)
    db.listings.update_many({}, {"$unset": {"search": ""}})  # as stored before the query layer existed
    db.listing_terms.delete_many({})
    db.facet_counts.delete_many({})
    assert search(db, SearchParams(text="cafe")).items == []
    assert reindex(db) == 3
    assert sorted(r.id for r in search(db, SearchParams(text="CAFÉ")).items) == ["s:post:0", "s:post:1", "s:post:2"]
    assert stored_facets(db) == before


def test_a_crawl_writer_leaves_search_terms_to_the_indexer_which_catches_up_once(db: Any) -> None:
    from datetime import UTC, datetime

    from crawler.models import Listing
    from crawler.query.terms import catch_up, checkpoint
    from crawler.storage.writer import ListingWriter, Pending

    def listing(n: int, body: str) -> Listing:
        return Listing(site="s", platform_type="forum", kind="post", url=f"http://x/{n}", native_id=str(n), body=body)

    writer = ListingWriter(db, index_terms=False)  # as the crawl's pipeline writes
    writer.write([Pending(listing(n, f"Visa paid {n}"), datetime(2026, 1, 1, tzinfo=UTC), "r1") for n in range(4)])
    assert search(db, SearchParams(text="visa")).items == []  # stored, not yet findable by word
    assert db.listing_terms.count_documents({}) == 0
    assert catch_up(db) == 4
    assert sorted(r.id for r in search(db, SearchParams(text="visa")).items) == [f"s:post:{n}" for n in range(4)]
    newest = max(d["crawl"]["written_at"] for d in db.listings.find({}, {"crawl.written_at": 1}))
    assert checkpoint(db) == newest
    # The overlap re-reads the last pass's listings, but writes nothing for unchanged terms.
    assert catch_up(db) == 0
    # One listing edited, one unchanged: only the edited one gets new terms.
    writer.write([Pending(listing(1, "Passport kept"), datetime(2026, 1, 2, tzinfo=UTC), "r2")])
    writer.write([Pending(listing(2, "Visa paid 2"), datetime(2026, 1, 2, tzinfo=UTC), "r2")])
    assert catch_up(db) == 1
    assert sorted(r.id for r in search(db, SearchParams(text="visa")).items) == ["s:post:0", "s:post:2", "s:post:3"]
    assert [r.id for r in search(db, SearchParams(text="passport")).items] == ["s:post:1"]


def test_a_window_denser_than_estimated_is_cut_and_continued_below_the_cut(db: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from crawler.models import Listing
    from crawler.query import counters
    from crawler.query.models import QueryPlan
    from crawler.query.search import Reader, choose_base, parse_text
    from crawler.storage.writer import ListingWriter, Pending

    now = datetime(2026, 11, 1, tzinfo=UTC)
    # 240 listings on one busy day (four share each minute: ties at the cut), 60 spread over the year before.
    posted = [now - timedelta(minutes=n // 4) for n in range(240)] + [now - timedelta(days=6 * n) for n in range(1, 61)]
    listings = [
        Listing(site="s", platform_type="forum", kind="post", url=f"http://x/{n}", native_id=str(n),
                body=f"Work abroad {n}", posted_at=when)
        for n, when in enumerate(posted)
    ]  # fmt: skip
    listings += [  # another site, so that the site filter is the narrowest base (a token of the terms)
        Listing(site="t", platform_type="forum", kind="post", url=f"http://y/{n}", native_id=str(n),
                body="Elsewhere", posted_at=now - timedelta(days=3 * n))
        for n in range(100)
    ]  # fmt: skip
    ListingWriter(db).write([Pending(listing, now, "r") for listing in listings])
    params = SearchParams(site=["s"], limit=7, facets=False)
    windowed = _all_pages(db, params, candidate_cap=0)
    assert windowed == _all_pages(db, params)  # the same listings in the same order as reading them all
    assert len(windowed) == len(set(windowed)) == 300
    # The first window, sized for ~50 listings by the average density, met the busy day and was cut.
    stats, terms = counters.stats(db), parse_text("")
    base = choose_base(db, params, terms, stats)
    reader = Reader(db, params, terms, base, stats, None, QueryPlan(strategy="windows", predicate={}, index=None))
    read, first = next(reader.windows(50))
    assert reader.cut_at is not None and len(first) < 240 and read < 240
