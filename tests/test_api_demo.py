"""The HTTP API over a real demo crawl: every answer compared exactly with what the demo generator wrote.

One crawl of the three demo platforms with the default plugins (a module fixture, ~10 s), then the analyst
app on that database, asked as an analyst. The expected answers are computed from the generator's ground
truth, never read back from the database:

- sites, kinds, categories, posted dates, a review's language: the truth listings themselves;
- which listings hold a word or a phrase, and the country of an ad or a business: ``crawler.demo.search_truth``;
- which contact values each listing holds, and whose they are: ``crawler.demo.contact_truth``;
- indicators, risk scores and the detected language of listings that do not declare one are not labelled by
  the generator: they are what the enrichment plugins make of the truth listings, run here in-process (their
  accuracy is measured in tests/test_enrich_*.py). The crawl must store exactly that, and the query layer must
  find it. One indicator is also checked against the generator's own marks: the recruitment text that says
  "we keep your passport safe" is the only place the generator writes a retained passport.

The query layer is also paged in narrow windows (``candidate_cap``), the plan a database with more than a
thousand matches gets, and must give the same listings.
"""

from __future__ import annotations

import copy
import csv
import io
import itertools
import json
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pymongo.database import Database

from crawler import query
from crawler.demo.contact_truth import contact_book, own_text, planted_in
from crawler.demo.search_truth import AMBIGUOUS_CITIES, city_of, country_of, has_phrase, has_words
from crawler.demo.server import build_all, ground_truth
from crawler.plugins import get_plugin_manager
from crawler.query.counters import FACET_DIMENSIONS
from crawler.testkit import diff_listings
from tests.conftest import MongoServer, crawl_demo, start_demo
from tests.webapp import Web, running_app, signed_in

SITES = ("demo-forum", "demo-market", "demo-reviews")
PLATFORMS = ("forum", "market", "reviews")  # their names in crawler.demo.server
NONE = "(none)"  # the facet value of a listing without that field
MESSENGERS = ("whatsapp", "viber", "signal", "telegram")
# docs/query.md: risk bands by lowest score.
RISK_BANDS = (("high", 5.0), ("medium", 2.0), ("low", 0.01), ("none", 0.0))
POSTED_SINCE = datetime(2026, 8, 1, tzinfo=UTC)
POSTED_UNTIL = datetime(2026, 9, 30, 23, 59, 59, tzinfo=UTC)


@dataclass
class Demo:
    web: Web
    client: TestClient  # signed in as an analyst
    db: Database
    truth: dict[str, dict[str, Any]]  # listing id -> ground-truth listing
    enriched: dict[str, dict[str, Any]]  # listing id -> the truth listing after the enrichment plugins
    planted: dict[str, dict[str, str]]  # listing id -> {entity id: owner} of the contact values written in it

    def ids(self, keep: Callable[[str], bool]) -> set[str]:
        return {i for i in self.truth if keep(i)}

    def risk(self, listing_id: str) -> float:
        return float((self.enriched[listing_id].get("risk") or {}).get("score") or 0.0)

    def indicators(self, listing_id: str) -> list[dict[str, Any]]:
        return self.enriched[listing_id].get("indicators") or []

    def owners(self, owner: str) -> set[str]:
        return {i for i, values in self.planted.items() if owner in values.values()}

    def sharing(self) -> dict[str, set[str]]:
        """Entity id -> the listings it is written in."""
        found: dict[str, set[str]] = defaultdict(set)
        for listing_id, values in self.planted.items():
            for entity in values:
                found[entity].add(listing_id)
        return found


def _enriched(truth: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each truth listing as the crawl's enrichment hooks leave it (contacts, language, indicators, place)."""
    pm = get_plugin_manager()
    out = {}
    for listing_id, item in truth.items():
        raw = copy.deepcopy({k: v for k, v in item.items() if k != "_truth"})
        pm.hook.trawler_enrich_listing(listing=raw, profile=None)
        out[listing_id] = raw
    return out


@pytest.fixture(scope="module")
def demo(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    running = start_demo()
    name = "demo_api"
    client = mongo.client()
    try:
        crawl_demo(mongo, running, name, tmp_path_factory.mktemp("var"), list(SITES))
    finally:
        running.server.stop()
    urls = {name: running.server.urls[name] for name in PLATFORMS}
    truth = {item["_id"]: item for items in ground_truth(running.options, urls).values() for item in items}
    book = contact_book(build_all(running.options, PLATFORMS))
    planted = {listing_id: planted_in(item, book) for listing_id, item in truth.items()}
    app = running_app(mongo, client[name], tmp_path_factory.mktemp("web"))
    web = next(app)
    analyst, _ = signed_in(web, "ann")
    yield Demo(web, analyst, client[name], truth, _enriched(truth), planted)
    app.close()
    client.drop_database(name)
    client.close()


# -- helpers -------------------------------------------------------------------------------------------------------


@dataclass
class Found:
    ids: list[str]  # every page, in order
    total: int | None
    facets: dict[str, dict[str, int]]
    pages: int


def search_all(client: TestClient, limit: int = 500, **params: Any) -> Found:
    """Every page of a search through the API, following the cursor; no listing may come back twice."""
    ids: list[str] = []
    cursor = None
    first: dict[str, Any] | None = None
    pages = 0
    while True:
        asked = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get("/api/v1/search", params=asked)
        assert response.status_code == 200, response.text
        page = response.json()
        first = first or page
        pages += 1
        ids += [row["id"] for row in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
        assert len(page["items"]) == limit
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    return Found(ids, first["total"], (first["facets"] or {}).get("values", {}), pages)


def _posted(demo: Demo, listing_id: str) -> tuple[float, float]:
    """(posted time in epoch seconds, how far off the stored one may be); a listing without a date sorts first.

    Without a posted date a listing sorts by when it was first seen: the crawl, after every posted date.
    """
    item = demo.truth[listing_id]
    if not item.get("posted_at"):
        return math.inf, 0.0
    tolerance = float((item.get("_truth") or {}).get("posted_at_tolerance_s", 0))
    return datetime.fromisoformat(item["posted_at"]).timestamp(), tolerance


def assert_newest_first(demo: Demo, ids: list[str]) -> None:
    for a, b in itertools.pairwise(ids):
        (ta, tol_a), (tb, tol_b) = _posted(demo, a), _posted(demo, b)
        if math.isinf(ta) and math.isinf(tb):
            continue  # both first seen in the crawl, in an order the generator does not know
        assert ta + tol_a + tol_b >= tb, f"{a} ({ta}) before {b} ({tb})"
        if ta == tb and not (tol_a or tol_b):
            assert a > b, f"equal dates: {a} before {b} (ids descending)"


def assert_riskiest_first(demo: Demo, ids: list[str]) -> None:
    for a, b in itertools.pairwise(ids):
        assert demo.risk(a) >= demo.risk(b), f"{a} ({demo.risk(a)}) before {b} ({demo.risk(b)})"
        if demo.risk(a) == demo.risk(b):
            assert_newest_first(demo, [a, b])


def _band(score: float) -> str:
    return next(name for name, low in RISK_BANDS if score >= low)


def expected_facets(demo: Demo, ids: set[str]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {d: Counter() for d in (*FACET_DIMENSIONS, "status")}
    for listing_id in ids:
        item, doc = demo.truth[listing_id], demo.enriched[listing_id]
        indicators = demo.indicators(listing_id)
        values = {
            "site": [item["site"]],
            "platform_type": [item["platform_type"]],
            "kind": [item["kind"]],
            "language": [doc.get("language") or NONE],
            "country": [(doc.get("location") or {}).get("country") or NONE],
            "category": [item.get("category") or NONE],
            "indicator": sorted({m["id"] for m in indicators}),
            "indicator_category": sorted({m["category"] for m in indicators}),
            "risk_band": [_band(demo.risk(listing_id))],
            "has_contacts": ["yes" if demo.planted[listing_id] else "no"],
            "status": ["live"],  # one crawl: nothing was taken down
        }
        for dimension, found in values.items():
            counts[dimension].update(found)
    return {d: dict(sorted(c.items())) for d, c in counts.items()}


def _messenger(entity: str) -> str | None:
    """The phone entity a messenger account named by a phone number stands for ("handle:whatsapp:+44..")."""
    kind, _, rest = entity.partition(":")
    service, _, value = rest.partition(":")
    return f"phone:{value}" if kind == "handle" and service in MESSENGERS and value.startswith("+") else None


def assert_entities(planted: set[str], stored: set[str]) -> None:
    """The stored entities are the planted values, plus messenger accounts named by a planted phone."""
    assert {e for e in stored if _messenger(e) is None} == planted
    assert {_messenger(e) for e in stored if _messenger(e)} <= planted


# -- searches ------------------------------------------------------------------------------------------------------


def test_every_listing_is_found_once_across_pages_newest_first(demo: Demo) -> None:
    found = search_all(demo.client, limit=100)
    assert found.total == len(demo.truth) == 694
    assert sorted(found.ids) == sorted(demo.truth)
    assert found.pages == math.ceil(len(demo.truth) / 100)
    assert_newest_first(demo, found.ids)
    assert found.facets == expected_facets(demo, set(demo.truth))


@pytest.mark.parametrize("q", ["passport", "PASSPORT", "Passport"])
def test_a_word_finds_exactly_the_postings_that_hold_it(demo: Demo, q: str) -> None:
    expected = demo.ids(lambda i: has_words(demo.truth[i], "passport"))
    assert {i.split(":")[0] for i in expected} == set(SITES)  # the word is on all three platforms
    found = search_all(demo.client, limit=7, q=q)
    assert sorted(found.ids) == sorted(expected)
    assert found.total == len(expected)
    assert found.pages == math.ceil(len(expected) / 7)
    assert_newest_first(demo, found.ids)
    assert found.facets == expected_facets(demo, expected)


def test_a_phrase_needs_its_words_in_order_and_words_need_not(demo: Demo) -> None:
    words = demo.ids(lambda i: has_words(demo.truth[i], "visa paid"))
    phrase = demo.ids(lambda i: has_phrase(demo.truth[i], "visa paid"))
    assert phrase and phrase < words  # "visa and flight paid" has both words, not the phrase
    assert sorted(search_all(demo.client, q="visa paid").ids) == sorted(words)
    found = search_all(demo.client, q='"visa paid"')
    assert sorted(found.ids) == sorted(phrase)
    assert found.total == len(phrase)
    both = search_all(demo.client, q='"Travel and visa paid" accommodation')
    expected = demo.ids(
        lambda i: has_phrase(demo.truth[i], "travel and visa paid") and has_words(demo.truth[i], "accommodation")
    )
    assert expected and sorted(both.ids) == sorted(expected)


@pytest.mark.parametrize("q", ["notig", "NOTIG", "nötig"])
def test_an_accented_word_is_found_without_its_accents(demo: Demo, q: str) -> None:
    expected = demo.ids(lambda i: has_words(demo.truth[i], "nötig"))
    # The generator writes it only with its accent: found by "notig", it was folded.
    assert expected and all("nötig" in demo.truth[i]["body"] for i in expected)
    assert not demo.ids(lambda i: "notig" in demo.truth[i].get("body", ""))
    found = search_all(demo.client, q=q)
    assert sorted(found.ids) == sorted(expected)
    assert found.total == len(expected)


@pytest.mark.parametrize(
    ("contact", "entity"),
    [
        ("0040-721-234-567", "phone:+40721234567"),
        ("(0721) 234-567", "phone:+40721234567"),
        ("+44 (0)7700 900-123", "phone:+447700900123"),
        ("Viktor.Work@EXAMPLE.net", "email:viktor.work@example.net"),
        ("@Viktor_Work_TG", "handle:telegram:viktor_work_tg"),
    ],
)
def test_a_contact_in_another_written_form_finds_exactly_its_listings(demo: Demo, contact: str, entity: str) -> None:
    expected = demo.ids(lambda i: entity in demo.planted[i])
    assert len(expected) >= 2
    if entity.startswith("phone:"):  # written on the pages, but never in the form searched for
        assert not any(contact in own_text(demo.truth[i]) for i in expected)
    found = search_all(demo.client, contact=contact)
    assert sorted(found.ids) == sorted(expected)
    assert found.total == len(expected)
    assert found.facets == expected_facets(demo, expected)


def test_a_phone_number_among_the_words_finds_the_listings_holding_it(demo: Demo) -> None:
    """Written as one word in E.164 form, a number is a search token of every listing that holds it."""
    expected = demo.ids(lambda i: "phone:+40721234567" in demo.planted[i])
    for q in ("+40721234567", "40721234567"):
        found = search_all(demo.client, q=q)
        assert sorted(found.ids) == sorted(expected)


# Each case: the API parameters, and which truth listings they must find.
FILTERS: dict[str, tuple[dict[str, Any], Callable[[Demo, str], bool]]] = {
    "site and a word": ({"site": "demo-market", "q": "paid"},
                        lambda d, i: d.truth[i]["site"] == "demo-market" and has_words(d.truth[i], "paid")),
    "two sites": ({"site": ["demo-market", "demo-reviews"]}, lambda d, i: d.truth[i]["site"] != "demo-forum"),
    "platform type": ({"platform_type": "review"}, lambda d, i: d.truth[i]["platform_type"] == "review"),
    "two kinds": ({"kind": ["thread", "business"]}, lambda d, i: d.truth[i]["kind"] in ("thread", "business")),
    "declared language": ({"language": "de", "kind": "review"},
                          lambda d, i: d.truth[i]["kind"] == "review" and d.truth[i].get("language") == "de"),
    "country on two sites": ({"country": "DE"}, lambda d, i: country_of(d.truth[i]) == "DE"),
    "city as the page writes it": ({"city": "Krakow"}, lambda d, i: city_of(d.truth[i]) == "Krakow"),
    "city with its accent": ({"city": "KRAKÓW"}, lambda d, i: city_of(d.truth[i]) == "Krakow"),
    "category": ({"category": "jobs abroad"}, lambda d, i: d.truth[i].get("category") == "Jobs abroad"),
    "contact on one site": ({"contact": "0721 234 567", "site": "demo-market"},
                            lambda d, i: d.truth[i]["site"] == "demo-market" and "phone:+40721234567" in d.planted[i]),
    "two countries": ({"country": ["PL", "UA"]}, lambda d, i: country_of(d.truth[i]) in ("PL", "UA")),
    "planted indicator": (
        {"indicator": "passport_retained"},
        lambda d, i: "recruitment:en:1" in (d.truth[i].get("_truth") or {}).get("text_templates", []),
    ),
    "indicator": ({"indicator": ["underage", "debt_bondage"]},
                  lambda d, i: bool({m["id"] for m in d.indicators(i)} & {"underage", "debt_bondage"})),
    "indicator category": ({"indicator_category": "labour_exploitation"},
                           lambda d, i: any(m["category"] == "labour_exploitation" for m in d.indicators(i))),
    "has contacts": ({"has_contacts": "true", "site": "demo-forum"},
                     lambda d, i: d.truth[i]["site"] == "demo-forum" and bool(d.planted[i])),
    "no contacts": ({"has_contacts": "false", "kind": "ad"},
                    lambda d, i: d.truth[i]["kind"] == "ad" and not d.planted[i]),
    "risk threshold": ({"min_risk": 3}, lambda d, i: d.risk(i) >= 3),
    "risk range": ({"min_risk": 1, "max_risk": 2.5}, lambda d, i: 1 <= d.risk(i) <= 2.5),
    "posted date range": (
        {"posted_since": POSTED_SINCE.isoformat(), "posted_until": POSTED_UNTIL.isoformat()},
        lambda d, i: POSTED_SINCE.timestamp() <= _posted(d, i)[0] <= POSTED_UNTIL.timestamp(),
    ),
    "posted since, day only": ({"posted_since": "2026-10-15", "site": "demo-reviews"},
                               lambda d, i: d.truth[i]["site"] == "demo-reviews"
                               and datetime(2026, 10, 15, tzinfo=UTC).timestamp() <= _posted(d, i)[0] < math.inf),
    "word and no contacts": ({"q": "passport", "has_contacts": "false"},
                             lambda d, i: has_words(d.truth[i], "passport") and not d.planted[i]),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(FILTERS))
def test_a_filter_finds_exactly_the_listings_it_names_with_their_facet_counts(demo: Demo, case: str) -> None:
    params, keep = FILTERS[case]
    expected = demo.ids(lambda i: keep(demo, i))
    assert 0 < len(expected) < len(demo.truth), "a case that cannot tell a filter from no filter"
    found = search_all(demo.client, limit=40, **params)
    assert sorted(found.ids) == sorted(expected)
    assert found.total == len(expected)
    assert found.facets == expected_facets(demo, expected)
    assert_newest_first(demo, found.ids)


def test_the_date_range_bounds_are_clear_of_relative_dates(demo: Demo) -> None:
    """Dates written "3 hours ago" are known to a few minutes: none may sit on a bound the filter tests use."""
    bounds = (POSTED_SINCE.timestamp(), POSTED_UNTIL.timestamp(), datetime(2026, 10, 15, tzinfo=UTC).timestamp())
    for listing_id in demo.truth:
        at, tolerance = _posted(demo, listing_id)
        assert all(abs(at - bound) > tolerance for bound in bounds if tolerance), listing_id


def test_countries_are_those_the_generator_placed_the_listings_in(demo: Demo) -> None:
    """The premise of the country filters: the location plugin reads the generator's places, but for a city
    that exists in several countries, where it leaves the country unset."""
    placed = {i: country_of(item) for i, item in demo.truth.items() if country_of(item)}
    assert len(placed) == 120 + 21  # every ad and every business
    for listing_id, country in placed.items():
        stored = (demo.enriched[listing_id].get("location") or {}).get("country")
        raw = demo.truth[listing_id]["location"]["raw"]
        assert stored == (None if raw.split(",")[0] in AMBIGUOUS_CITIES else country), listing_id


def test_sorted_by_risk_the_riskiest_come_first_on_every_page(demo: Demo) -> None:
    expected = demo.ids(lambda i: demo.risk(i) >= 1)
    found = search_all(demo.client, limit=4, min_risk=1, sort="risk")
    assert sorted(found.ids) == sorted(expected)
    assert_riskiest_first(demo, found.ids)


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({}, lambda d, i: True),
        ({"site": ["demo-forum"]}, lambda d, i: d.truth[i]["site"] == "demo-forum"),
        ({"text": "passport"}, lambda d, i: has_words(d.truth[i], "passport")),
        ({"kind": ["ad"], "sort": "risk"}, lambda d, i: d.truth[i]["kind"] == "ad"),
        ({"text": "paid", "sort": "risk"}, lambda d, i: has_words(d.truth[i], "paid")),
        (
            {"posted_since": POSTED_SINCE, "posted_until": POSTED_UNTIL},
            lambda d, i: POSTED_SINCE.timestamp() <= _posted(d, i)[0] <= POSTED_UNTIL.timestamp(),
        ),
        ({"min_risk": 1, "sort": "risk"}, lambda d, i: d.risk(i) >= 1),
    ],
    ids=["all", "site", "word", "kind-by-risk", "word-by-risk", "posted-range", "risk-threshold"],
)
def test_narrow_windows_page_through_the_same_listings(demo: Demo, params: dict, keep: Callable) -> None:
    """A base too broad to read whole (here: more than 20 listings) is read in windows of the sort key."""
    expected = demo.ids(lambda i: keep(demo, i))
    ids: list[str] = []
    cursor = None
    strategies = set()
    while True:
        page = query.search(demo.db, query.SearchParams(**params, limit=25, cursor=cursor), candidate_cap=20)
        strategies.add(page.plan.strategy)
        ids += [row.id for row in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert strategies & {"windows", "stored"}
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(expected)
    if params.get("sort") == "risk":
        assert_riskiest_first(demo, ids)
    else:
        assert_newest_first(demo, ids)


# -- listings, pivots, entities ------------------------------------------------------------------------------------


def _sample(demo: Demo) -> list[str]:
    """One listing of each kind, with contact values when the kind has some."""
    chosen = []
    for kind in ("thread", "post", "ad", "business", "review"):
        of_kind = sorted(i for i, item in demo.truth.items() if item["kind"] == kind)
        chosen.append(next((i for i in of_kind if demo.planted[i]), of_kind[0]))
    return chosen


def test_a_listing_has_exactly_the_fields_the_generator_wrote(demo: Demo) -> None:
    sample = _sample(demo)
    assert sum(bool(demo.planted[i]) for i in sample) >= 4
    for listing_id in sample:
        response = demo.client.get(f"/api/v1/listings/{listing_id}")
        assert response.status_code == 200, response.text
        view = response.json()
        stored = {k: v for k, v in view["listing"].items() if k != "crawl"}
        expected = {**demo.enriched[listing_id], "_truth": demo.truth[listing_id].get("_truth", {})}
        assert diff_listings([expected], [stored]) == []
        item, summary = demo.truth[listing_id], view["summary"]
        assert (summary["id"], summary["site"], summary["kind"], summary["url"], summary["title"]) == (
            listing_id, item["site"], item["kind"], item["url"], item.get("title"),
        )  # fmt: skip
        assert summary["risk"] == demo.risk(listing_id)
        assert summary["indicators"] == sorted({m["id"] for m in demo.indicators(listing_id)})
        planted = set(demo.planted[listing_id])
        assert set(summary["contacts"]["phones"]) == {e.split(":", 1)[1] for e in planted if e.startswith("phone:")}
        assert set(summary["contacts"]["emails"]) == {e.split(":", 1)[1] for e in planted if e.startswith("email:")}
        assert_entities(planted, {e["id"] for e in view["entities"]})
        sharing = demo.sharing()
        for ref in view["entities"]:
            if ref["id"] in planted:
                assert ref["listing_count"] == len(sharing[ref["id"]])
                assert ref["site_count"] == len({i.split(":")[0] for i in sharing[ref["id"]]})
        assert (view["version"], view["versions"]) == (1, [])
        assert view["snapshot_sha256"] == view["snapshot_id"] == view["listing"]["crawl"]["snapshot_id"]
    assert demo.client.get("/api/v1/listings/demo-market:ad:nope").status_code == 404


def _rings(demo: Demo, start: str, hops: int) -> dict[str, int]:
    """Listing -> hops from ``start`` over shared contact values (breadth first), the start left out."""
    sharing = demo.sharing()
    distance = {start: 0}
    frontier = {start}
    for hop in range(1, hops + 1):
        frontier = {o for f in frontier for e in demo.planted[f] for o in sharing[e] if o not in distance}
        distance |= dict.fromkeys(frontier, hop)
    del distance[start]
    return distance


def _starts(demo: Demo) -> dict[str, str]:
    """Pivot starts: a recruiter's first forum post, and a forum thread that names its author only by Telegram."""
    first_post = min(i for i in demo.owners("R3") if i.startswith("demo-forum:post:"))
    telegram_only = min(
        i
        for i in demo.truth
        if i.startswith("demo-forum:thread:") and set(demo.planted[i]) and all(
            e.startswith("handle:telegram:") for e in demo.planted[i]
        )
    )  # fmt: skip
    return {"recruiter-post": first_post, "telegram-thread": telegram_only}


@pytest.mark.parametrize("start", ["recruiter-post", "telegram-thread"])
@pytest.mark.parametrize("hops", [1, 2])
def test_a_pivot_reaches_exactly_the_listings_linked_by_planted_contacts(demo: Demo, start: str, hops: int) -> None:
    listing_id = _starts(demo)[start]
    owner = next(iter(set(demo.planted[listing_id].values())))
    expected = _rings(demo, listing_id, hops)
    response = demo.client.get(f"/api/v1/listings/{listing_id}/pivot", params={"hops": hops})
    assert response.status_code == 200, response.text
    pivot = response.json()
    got = {hit["listing"]["id"]: hit["hops"] for hits in pivot["by_site"].values() for hit in hits}
    assert got == expected
    assert pivot["total"] == len(expected) and not pivot["truncated"]
    assert sorted(pivot["by_site"]) == sorted({i.split(":")[0] for i in expected})
    assert_entities(set(demo.planted[listing_id]), {e["id"] for e in pivot["entities"]})
    sharing = demo.sharing()
    for hits in pivot["by_site"].values():
        for hit in hits:
            other = hit["listing"]["id"]
            previous = {i for i, h in expected.items() if h == hit["hops"] - 1} | (
                {listing_id} if hit["hops"] == 1 else set()
            )
            linking = {e for p in previous for e in demo.planted[p]} & set(demo.planted[other])
            assert {v for v in hit["via"] if _messenger(v) is None} == linking
            assert all(other in sharing[v] for v in linking)
    # Every listing reached is the same person's: a recruiter's post leads to their ads and front business.
    assert all(owner in demo.planted[i].values() for i in expected)
    if start == "recruiter-post":
        front = {i for i in demo.owners(owner) if demo.truth[i]["kind"] == "business"}
        assert front and front <= set(expected)
        assert {i.split(":")[0] for i in expected} == set(SITES)
        assert set(expected) == demo.owners(owner) - {listing_id}
    else:
        assert (hops == 2) == (2 in expected.values())  # its second ring is the ads and posts with the phone


@pytest.mark.parametrize(
    ("written", "entity"),
    [("0721 234 567", "phone:+40721234567"), ("phone:+447700900123", "phone:+447700900123")],
)
def test_an_entity_lists_every_listing_sharing_it_oldest_first(demo: Demo, written: str, entity: str) -> None:
    expected = demo.ids(lambda i: entity in demo.planted[i])
    response = demo.client.get(f"/api/v1/entities/{written}")
    assert response.status_code == 200, response.text
    view = response.json()
    sites = sorted({i.split(":")[0] for i in expected})
    assert view["entity"]["id"] == entity
    assert (view["entity"]["listing_count"], view["entity"]["site_count"]) == (len(expected), len(sites))
    assert view["sites"] == sites
    assert view["platform_types"] == sorted({demo.truth[i]["platform_type"] for i in expected})
    assert view["matched_from"] == (None if written == entity else written)
    ids = [row["id"] for row in view["listings"]]
    assert sorted(ids) == sorted(expected)
    assert_newest_first(demo, ids[::-1])
    assert demo.client.get("/api/v1/entities/0799 999 999").status_code == 404


# -- exports -------------------------------------------------------------------------------------------------------


def test_csv_export_rows_are_the_search_matches(demo: Demo) -> None:
    expected = demo.ids(lambda i: has_words(demo.truth[i], "passport"))
    response = demo.client.get("/api/v1/export", params={"q": "passport", "format": "csv", "limit": 3})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(r["id"] for r in rows) == sorted(expected)
    for row in rows:
        item = demo.truth[row["id"]]
        assert (row["site"], row["kind"], row["url"], row["title"]) == (
            item["site"], item["kind"], item["url"], item.get("title") or "",
        )  # fmt: skip
        at, tolerance = _posted(demo, row["id"])
        posted = datetime.fromisoformat(row["posted_at"]).timestamp() if row["posted_at"] else math.inf
        assert posted == at if math.isinf(at) else abs(posted - at) <= tolerance
        phones = sorted(e.split(":", 1)[1] for e in demo.planted[row["id"]] if e.startswith("phone:"))
        assert sorted(row["phones"].lstrip("'").split()) == phones  # "'+44..": a formula guard for spreadsheets
    assert_newest_first(demo, [r["id"] for r in rows])


def test_jsonl_export_lines_are_the_search_matches(demo: Demo) -> None:
    params = {"country": "DE", "format": "jsonl"}
    expected = demo.ids(lambda i: country_of(demo.truth[i]) == "DE")
    response = demo.client.get("/api/v1/export", params=params)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/x-ndjson")
    docs = [json.loads(line) for line in response.text.splitlines()]
    assert sorted(d["_id"] for d in docs) == sorted(expected)
    for doc in docs:
        item = demo.truth[doc["_id"]]
        assert (doc["title"], doc["body"], doc["location"]["raw"]) == (
            item["title"],
            item["body"],
            item["location"]["raw"],
        )
        assert doc["location"]["country"] == "DE"
