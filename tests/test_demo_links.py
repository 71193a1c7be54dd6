"""Cross-platform links on the demo: every contact link the generator planted is found, and no false one.

The three demo platforms are crawled with the default plugins (near-duplicate clustering is opt-in), and the
``entities`` collection is compared with what the generator wrote: each recruiter's, seller's and business's
phone numbers (in every written form: national, dotted, spaced digits...), e-mails and Telegram handles
(:mod:`crawler.demo.contact_truth`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import pymongo
import pytest

from crawler.demo.contact_truth import Planted, contact_book, planted_in
from crawler.demo.server import build_all
from crawler.demo.world import Person, recruiters
from crawler.storage.entities import entities_of, listings_sharing
from tests.conftest import MongoServer, crawl_demo, start_demo

SITES = ["demo-forum", "demo-market", "demo-reviews"]
LINK_TYPES = ("phone:", "email:", "handle:telegram:")


@dataclass
class Linked:
    db: pymongo.database.Database
    planted: dict[str, dict[str, str]]  # listing id -> {entity id: owner}
    book: list[Planted]


@pytest.fixture(scope="module")
def linked(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Linked]:
    demo = start_demo()
    name = "demo_links"
    client = mongo.client()
    crawl_demo(mongo, demo, name, tmp_path_factory.mktemp("var"), list(SITES))
    book = contact_book(build_all(demo.options, tuple(demo.server.urls)))
    truth = demo.truth()
    planted = {item["_id"]: planted_in(item, book) for site in SITES for item in truth[site]}
    yield Linked(client[name], planted, book)
    demo.server.stop()
    client.drop_database(name)


def _recruiter(key: str) -> Person:
    return next(p for p in recruiters() if p.key == key)


def _owners(linked: Linked) -> dict[str, str]:
    """Entity id -> owner, for every value in the book and the messenger handles made of phone numbers."""
    return {p.entity: p.owner for p in linked.book}


def test_the_demo_plants_links_across_all_three_platforms(linked: Linked) -> None:
    sites_of: dict[str, set[str]] = defaultdict(set)
    for listing_id, values in linked.planted.items():
        for entity in values:
            sites_of[entity].add(listing_id.split(":", 1)[0])
    across = {entity for entity, sites in sites_of.items() if len(sites) > 1}
    owners = _owners(linked)
    # Each of the six recruiters' phones is on the forum and the market, some on the review site too.
    phones = {e for e in across if e.startswith("phone:")}
    assert {owners[e] for e in phones} == {f"R{i}" for i in range(1, 7)}
    assert all({"demo-forum", "demo-market"} <= sites_of[e] for e in phones)
    assert sites_of[f"phone:{_recruiter('R3').phone}"] == set(SITES)


def test_each_listing_has_exactly_the_contacts_planted_in_it(linked: Linked) -> None:
    wrong = {}
    for doc in linked.db.listings.find({}, {"contacts": 1}):
        found = {f"{kind}:{value}" for kind, value in entities_of(doc) if f"{kind}:{value}".startswith(LINK_TYPES)}
        expected = set(linked.planted[doc["_id"]])
        if found != expected:
            wrong[doc["_id"]] = {"missing": sorted(expected - found), "extra": sorted(found - expected)}
    assert wrong == {}
    assert linked.db.listings.count_documents({}) == len(linked.planted)


def test_every_planted_link_is_an_entity_with_exactly_its_listings(linked: Linked) -> None:
    expected: dict[str, set[str]] = defaultdict(set)
    for listing_id, values in linked.planted.items():
        for entity in values:
            expected[entity].add(listing_id)
    shared = {entity: ids for entity, ids in expected.items() if len(ids) > 1}
    stored = {e["_id"]: set(e["listings"]) for e in linked.db.entities.find({"_id": {"$in": sorted(shared)}})}
    assert stored == shared
    for entity in linked.db.entities.find({"_id": {"$in": sorted(shared)}}):
        assert entity["listing_count"] == len(shared[entity["_id"]])
        assert entity["site_count"] == len({i.split(":", 1)[0] for i in shared[entity["_id"]]})


def test_no_entity_links_listings_of_different_people(linked: Linked) -> None:
    owners = _owners(linked)
    false_links = []
    for entity in linked.db.entities.find({"listing_count": {"$gte": 2}}):
        kind, value = entity["type"], entity["value"]
        # A WhatsApp/Viber handle made of a phone number belongs to that phone's owner.
        key = f"phone:{value.split(':', 1)[1]}" if kind == "handle" and ":+" in value else entity["_id"]
        people = {frozenset({owners[e] for e in linked.planted[i]}) for i in entity["listings"]}
        if owners.get(key) is None or any(owners[key] not in p for p in people):
            false_links.append(entity["_id"])
    assert false_links == []
    assert linked.db.entities.count_documents({"listing_count": {"$gte": 2}}) >= 16


def test_a_recruiters_forum_post_leads_to_their_ads_and_their_front_business(linked: Linked) -> None:
    owners = _owners(linked)
    by_owner: dict[str, set[str]] = defaultdict(set)
    for listing_id, values in linked.planted.items():
        for entity in values:
            by_owner[owners[entity]].add(listing_id)
    post = min(i for i in by_owner["R3"] if i.startswith("demo-forum:post:"))
    reached = listings_sharing(linked.db, post)
    assert set(reached) == by_owner["R3"] - {post}
    assert set(reached.values()) == {1}
    assert {i.split(":", 1)[0] for i in reached} == set(SITES)
