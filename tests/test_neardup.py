"""Near-duplicate text: the neardup plugin's signatures, the store-time clusters, and the demo's planted reposts.

The unit tests pin the normalisation (a changed phone number, price or city still matches; unrelated texts do
not). The clustering tests store listings in the real database and check union-find semantics (a bridge merges
two clusters; a replayed batch changes nothing). The demo crawl checks the clusters against the generator: every
group of texts it planted from one template or as a repost (``_truth.text_templates``, ``_truth.repost_of``) is
exactly one cluster, across the sites where it was planted, and every other cluster only joins texts the
generator made from the same phrases (:mod:`crawler.demo.text_truth`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pymongo
import pytest

from crawler.demo.text_truth import phrases_in
from crawler.models import Listing, document_hash
from crawler.storage import clusters
from crawler.storage.entities import listings_sharing
from crawler.storage.schema import ensure_indexes
from crawler.storage.writer import ListingWriter, Pending
from plugins import neardup
from plugins.neardup.text import tokens, units
from tests.conftest import REPO, MongoServer, run_cli, start_demo

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
AD = (
    "Work abroad in Dubai! Travel and visa paid, accommodation provided. No experience needed. "
    "Earn 1200 EUR per week. Young women wanted, 18-25. Call +44 7700 900123"
)
EDITED_PHONE_PRICE = (
    "Work abroad in Dubai! Travel and visa paid, accommodation provided. No experience needed. "
    "Earn 2.500 EUR per week. Young women wanted, 18-25. Call 07700-900-456"
)
EDITED_CITY = AD.replace("Dubai", "Milan")
HOSTESS = (
    "Urgent: hostess jobs in London, flight ticket paid by us, we keep your passport safe. Salary 1300 EUR. "
    "Write on Telegram @viktor_work_tg"
)
FLAT = (
    "Bright and quiet flat on the third floor. Five minutes to the metro and shops. Deposit of two months' rent. "
    "Viewings on weekday evenings."
)


def signature(body: str, title: str | None = None) -> dict[str, Any] | None:
    listing: dict[str, Any] = {"title": title, "body": body}
    neardup.trawler_enrich_listing(listing=listing, profile=None)
    return listing.get("text_sig")


def similarity(a: str, b: str) -> float:
    left, right = signature(a), signature(b)
    assert left is not None and right is not None
    return clusters.similarity(clusters._sketches({"text_sig": left}), clusters._sketches({"text_sig": right}))


# -- normalisation and signatures ---------------------------------------------------------------------------------


def test_normalisation_folds_case_and_accents_and_masks_numbers_and_contacts() -> None:
    text = "Keine Erfahrung NÖTIG! Tel. 0 1 5 1 1 2 3 4 5, €1.250/Woche, anna@example.net, @anna_tg, www.x.de/jobs"
    assert tokens(text) == ["keine", "erfahrung", "notig", "tel", "#", "#", "woche", "#", "#", "#"]
    assert tokens("Робота за кордоном") == ["робота", "за", "кордоном"]
    assert tokens("高薪工作") == ["高", "薪", "工", "作"]


def test_a_changed_phone_number_or_price_gives_the_same_signature() -> None:
    original = signature(AD)
    assert original is not None
    assert signature(EDITED_PHONE_PRICE) == original
    assert len(original["minhash"]) == 1
    assert len(original["bands"]) == 10
    assert original["version"] == "mh64-s3-b10x3-v1"


def test_a_changed_city_still_matches_and_unrelated_texts_do_not() -> None:
    assert similarity(AD, EDITED_CITY) >= clusters.DEFAULT_THRESHOLD
    assert similarity(AD, EDITED_CITY) < 1.0
    assert similarity(AD, HOSTESS) < 0.2
    assert similarity(AD, FLAT) < 0.2
    assert similarity(HOSTESS, FLAT) < 0.2


def test_a_template_pasted_into_other_surroundings_still_matches_on_its_unit() -> None:
    agency = (
        "Nordstern Staffing arranges work abroad in hospitality, cleaning and care. "
        "Travel and housing organised for you."
    )
    framed = f"{agency}\n{EDITED_CITY}"
    sig = signature(framed, title="Best agency, real jobs abroad!")
    assert sig is not None and len(sig["minhash"]) == 2
    assert similarity(AD, framed) >= clusters.DEFAULT_THRESHOLD


def test_short_texts_and_reply_titles_get_no_signature() -> None:
    assert signature("Thanks, this is really helpful.", title="Re: Work abroad in Dubai, travel paid") is None
    assert signature("Bump. I would also like to know.", title="Well paid work abroad, travel and visa paid") is None
    # A short body is read with its own title, when that is long enough together.
    title = "Well paid work abroad in Dubai for young women, travel visa and flat paid"
    assert units(title, "Call 0770 0900 123 today") == [[*tokens(title), "call", "#", "today"]]
    assert len(signature("Call 0770 0900 123 today", title=title)["minhash"]) == 1
    assert units("Re: a title", "one two three") == []


def test_the_signature_and_the_content_hash_are_the_same_in_every_process() -> None:
    code = (
        "import json, sys\n"
        "from plugins import neardup\n"
        "from crawler.models import Listing\n"
        "raw = {'site': 's', 'platform_type': 'marketplace', 'kind': 'ad', 'url': 'http://x/1', 'native_id': '1',"
        " 'title': 'Work abroad', 'body': sys.argv[1]}\n"
        "neardup.trawler_enrich_listing(listing=raw, profile=None)\n"
        "print(json.dumps([raw['text_sig'], Listing.model_validate(raw).content_hash()]))\n"
    )
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-c", code, AD], cwd=REPO, env=env, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        outputs.add(proc.stdout)
    assert len(outputs) == 1
    sig, content_hash = json.loads(outputs.pop())
    assert sig == signature(AD)
    raw = {"site": "s", "platform_type": "marketplace", "kind": "ad", "url": "http://x/1", "native_id": "1"}
    listing = Listing.model_validate({**raw, "title": "Work abroad", "body": AD, "text_sig": sig})
    assert document_hash(listing.to_document()) == content_hash


# -- clustering at store time ------------------------------------------------------------------------------------


def listing(site: str, native_id: str, body: str, parent_id: str | None = None) -> Listing:
    raw: dict[str, Any] = {
        "site": site,
        "platform_type": "forum" if site == "f" else "marketplace",
        "kind": "post" if site == "f" else "ad",
        "url": f"http://127.0.0.1/{site}/{native_id}",
        "native_id": native_id,
        "body": body,
        "parent_id": parent_id,
    }
    neardup.trawler_enrich_listing(listing=raw, profile=None)
    return Listing.model_validate(raw)


def store(db: pymongo.database.Database, listings: list[Listing], at: datetime = T0) -> list[dict[str, Any]]:
    """Write like the storage thread does: the listings, then their clusters; returns the stored documents."""
    result = ListingWriter(db).write([Pending(item, at, "run") for item in listings])
    clusters.assign(db, result.stored)
    return [doc for doc, _ in result.stored]


def cluster_state(db: pymongo.database.Database) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(cluster entity id -> members, listing id -> its cluster)."""
    entities = {e["_id"]: sorted(e["listings"]) for e in db.entities.find({"type": "text_cluster"})}
    pointers = {d["_id"]: d["crawl"]["text_cluster"] for d in db.listings.find({"crawl.text_cluster": {"$ne": None}})}
    return entities, pointers


def test_near_duplicates_share_one_cluster_and_a_bridge_merges_two(db) -> None:
    ensure_indexes(db)
    first = AD
    second = "Nordstern Staffing: cleaning and care jobs in Vienna, housing organised, no German needed, 900 EUR a week"
    store(db, [listing("m", "1", first), listing("f", "1", EDITED_PHONE_PRICE), listing("m", "2", FLAT)])
    store(db, [listing("m", "3", second), listing("m", "4", second.replace("900", "1.100"))])
    entities, _ = cluster_state(db)
    a, b = clusters.cluster_id("f:post:1"), clusters.cluster_id("m:ad:3")
    assert entities == {f"text_cluster:{a}": ["f:post:1", "m:ad:1"], f"text_cluster:{b}": ["m:ad:3", "m:ad:4"]}
    entity = db.entities.find_one({"_id": f"text_cluster:{a}"})
    assert {k: entity[k] for k in ("type", "value", "sites", "platform_types", "listing_count", "site_count")} == {
        "type": "text_cluster",
        "value": a,
        "sites": ["f", "m"],
        "platform_types": ["forum", "marketplace"],
        "listing_count": 2,
        "site_count": 2,
    }
    assert (entity["first_seen"], entity["last_seen"]) == (T0, T0)

    bridge = listing("m", "5", f"{EDITED_CITY}\n{second.replace('900', '850')}")
    later = T0 + timedelta(hours=1)
    store(db, [bridge], later)
    merged = min(a, b)
    members = ["f:post:1", "m:ad:1", "m:ad:3", "m:ad:4", "m:ad:5"]
    assert cluster_state(db) == ({f"text_cluster:{merged}": members}, dict.fromkeys(members, merged))
    entity = db.entities.find_one({"_id": f"text_cluster:{merged}"})
    assert (entity["listing_count"], entity["site_count"], entity["last_seen"]) == (5, 2, later)
    assert listings_sharing(db, "m:ad:2") == {}
    assert listings_sharing(db, "m:ad:1") == {m: 1 for m in members if m != "m:ad:1"}

    # Crawling the same again changes no cluster, and neither does clustering the same documents again
    # (as after a replayed batch), in any order.
    before = cluster_state(db)
    docs = store(db, [listing("m", "1", first), listing("f", "1", EDITED_PHONE_PRICE), listing("m", "2", FLAT)])
    docs += store(db, [bridge, listing("m", "3", second)], later)
    assert cluster_state(db) == before
    stored = {doc["_id"]: doc for doc in db.listings.find({})}
    clusters.assign(db, [(stored[doc["_id"]], "new") for doc in reversed(docs)])
    clusters.assign(db, [(doc, "updated") for doc in stored.values()])
    assert cluster_state(db) == before


def test_an_edited_listing_keeps_its_cluster_and_a_post_is_not_clustered_with_its_thread(db) -> None:
    ensure_indexes(db)
    store(db, [listing("m", "1", AD), listing("m", "2", EDITED_CITY)])
    store(db, [listing("f", "1", HOSTESS), listing("f", "2", HOSTESS, parent_id="f:post:1")])
    # The edit replaces the stored document; its cluster pointer comes back from the entity.
    store(db, [listing("m", "2", EDITED_CITY + " Free flights.")], T0 + timedelta(days=1))
    cid = clusters.cluster_id("m:ad:1")
    assert cluster_state(db) == ({f"text_cluster:{cid}": ["m:ad:1", "m:ad:2"]}, {"m:ad:1": cid, "m:ad:2": cid})
    assert db.listing_versions.find_one({"listing_id": "m:ad:2"})["diff"].keys() == {
        "body",
        "text_sig.bands",
        "text_sig.minhash",
    }
    # Edited down to a text too short to sign, it still keeps the cluster it was found in.
    store(db, [listing("m", "1", "Sold, thanks to everyone who called.")], T0 + timedelta(days=2))
    assert db.listings.find_one({"_id": "m:ad:1"})["text_sig"] is None
    assert cluster_state(db) == ({f"text_cluster:{cid}": ["m:ad:1", "m:ad:2"]}, {"m:ad:1": cid, "m:ad:2": cid})


# -- the demo: planted reposts and templates ----------------------------------------------------------------------

SITES = ["demo-forum", "demo-market", "demo-reviews"]
ONLY_NEARDUP = {"TRAWLER_BLOCK_PLUGINS": "contacts,indicators,language,location", "TRAWLER_ENABLE_PLUGINS": "neardup"}


@dataclass
class Clustered:
    db: pymongo.database.Database
    truth: dict[str, dict[str, Any]]  # listing id -> ground-truth item
    crawl: Any


def _groups(truth: dict[str, dict[str, Any]], kinds: tuple[str, ...]) -> list[set[str]]:
    """Listings the generator planted as near-duplicates of each other, connected through templates and reposts."""
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    for listing_id, item in truth.items():
        marks = item.get("_truth") or {}
        if "templates" in kinds:
            for template in marks.get("text_templates", []):
                parent[find(listing_id)] = find(f"template:{template}")
        if "reposts" in kinds and marks.get("repost_of"):
            parent[find(listing_id)] = find(f"{item['site']}:ad:{marks['repost_of']}")
    groups: dict[str, set[str]] = defaultdict(set)
    for node in parent:
        if not node.startswith("template:"):
            groups[find(node)].add(node)
    return [group for group in groups.values() if len(group) > 1]


@pytest.fixture(scope="module")
def clustered(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clustered]:
    demo = start_demo()
    name = "demo_neardup"
    client = mongo.client()
    client.drop_database(name)
    env = {
        "MONGO_URI": mongo.uri,
        "MONGO_DATABASE": name,
        "TRAWLER_VAR_DIR": str(tmp_path_factory.mktemp("var")),
        **ONLY_NEARDUP,
    }

    def crawl() -> None:
        result = run_cli(["crawl", *SITES, "--no-progress"], {**env, **demo.env})
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]

    crawl()
    truth = {item["_id"]: item for site, items in demo.truth().items() if site in SITES for item in items}
    yield Clustered(client[name], truth, crawl)
    demo.server.stop()
    client.drop_database(name)


def _cluster_of(db: pymongo.database.Database) -> dict[str, str]:
    return {d["_id"]: d["crawl"]["text_cluster"] for d in db.listings.find({"crawl.text_cluster": {"$ne": None}})}


def test_every_planted_template_group_is_exactly_one_cluster_across_its_sites(clustered: Clustered) -> None:
    cluster_of = _cluster_of(clustered.db)
    groups = _groups(clustered.truth, ("templates", "reposts"))
    planted = set().union(*groups)
    signed = {
        d["_id"] for d in clustered.db.listings.find({"_id": {"$in": sorted(planted)}, "text_sig": {"$ne": None}})
    }
    assert signed == planted  # every planted text is long enough to be signed
    expected = {frozenset(g) for g in groups if g & _templated(clustered)}
    found = set()
    for group in expected:
        ids = {cluster_of.get(listing_id) for listing_id in group}
        assert len(ids) == 1 and None not in ids, sorted(group)
        entity = clustered.db.entities.find_one({"_id": f"text_cluster:{ids.pop()}"})
        found.add(frozenset(entity["listings"]))
        sites = {clustered.truth[i]["site"] for i in group}
        assert (sorted(entity["sites"]), entity["site_count"]) == (sorted(sites), len(sites))
        assert sorted(entity["platform_types"]) == sorted({clustered.truth[i]["platform_type"] for i in group})
        assert entity["listing_count"] == len(group)
    assert found == expected
    # The recruitment templates were planted on all three platforms.
    assert {clustered.truth[i]["site"] for group in expected for i in group} == set(SITES)


def _templated(clustered: Clustered) -> set[str]:
    return {i for i, item in clustered.truth.items() if (item.get("_truth") or {}).get("text_templates")}


def test_each_reposted_ad_is_in_the_cluster_of_its_original(clustered: Clustered) -> None:
    cluster_of = _cluster_of(clustered.db)
    reposts = [(i, f"demo-market:ad:{item['_truth']['repost_of']}") for i, item in clustered.truth.items()
               if (item.get("_truth") or {}).get("repost_of")]  # fmt: skip
    assert len(reposts) == 4
    assert [(cluster_of.get(a), cluster_of.get(b)) for a, b in reposts] == [
        (cluster_of[b], cluster_of[b]) for _a, b in reposts
    ]


def test_no_cluster_mixes_texts_the_generator_considers_unrelated(clustered: Clustered) -> None:
    templated = _templated(clustered)
    mixed = []
    for entity in clustered.db.entities.find({"type": "text_cluster"}):
        members = set(entity["listings"])
        if members & templated:
            continue  # exact membership checked above
        # Every member shares one of the generator's phrases with another member: no text joins a cluster
        # it has nothing in common with.
        phrases = {i: phrases_in(f"{clustered.truth[i]['title'] or ''}\n{clustered.truth[i]['body']}") for i in members}
        lonely = [i for i in members if not any(phrases[i] & phrases[j] for j in members - {i})]
        if lonely:
            mixed.append((entity["_id"], lonely))
    assert mixed == []


def test_a_pivot_from_a_recruitment_post_follows_its_text_cluster(clustered: Clustered) -> None:
    cluster_of = _cluster_of(clustered.db)
    planted = sorted(i for i in _templated(clustered) if i.startswith("demo-forum:post:"))
    post = planted[0]
    members = {i for i, c in cluster_of.items() if c == cluster_of[post]}
    assert listings_sharing(clustered.db, post) == dict.fromkeys(sorted(members - {post}), 1)


def test_crawling_again_changes_no_cluster(clustered: Clustered) -> None:
    def state() -> tuple[dict[str, Any], dict[str, str]]:
        entities = {
            e["_id"]: (sorted(e["listings"]), e["first_seen"], e["listing_count"], e["site_count"])
            for e in clustered.db.entities.find({"type": "text_cluster"})
        }
        return entities, _cluster_of(clustered.db)

    before = state()
    clustered.crawl()
    assert state() == before
