"""The analyst commands (`trawler search | show | entity | pivot | export`) on a real demo crawl.

One crawl of the demo marketplace, shared by the module; answers are checked against the generator's truth.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.demo.contact_truth import contact_book, planted_in
from crawler.demo.server import build_all
from crawler.demo.world import format_phone
from crawler.models import Listing
from crawler.storage.writer import ListingWriter, Pending
from tests.conftest import MongoServer, crawl_demo, run_cli, start_demo

SITE = "demo-market"


@dataclass
class Market:
    env: dict[str, str]
    truth: dict[str, dict[str, Any]]
    planted: dict[str, dict[str, str]]
    mongo: MongoServer
    name: str


@pytest.fixture(scope="module")
def market(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Market]:
    demo = start_demo()
    name = "query_cli"
    client = mongo.client()
    env = crawl_demo(mongo, demo, name, tmp_path_factory.mktemp("var"), [SITE])
    truth = {item["_id"]: item for item in demo.truth()[SITE]}
    book = contact_book(build_all(demo.options, tuple(demo.server.urls)))
    yield Market(env, truth, {i: planted_in(item, book) for i, item in truth.items()}, mongo, name)
    demo.server.stop()
    client.drop_database(name)
    client.close()


def _cli(market: Market, *args: str) -> Any:
    return run_cli(list(args), market.env)


def _words(item: dict[str, Any]) -> set[str]:
    text = " ".join(str(item.get(k) or "") for k in ("title", "body", "category"))
    text += " " + str((item.get("author") or {}).get("name") or "") + " " + str((item.get("location") or {}).get("raw"))
    return set(re.findall(r"[^\W\d_]+", text.lower()))


def test_search_jsonl_csv_and_json_give_the_same_listings(market: Market) -> None:
    expected = {i for i, item in market.truth.items() if "dubai" in _words(item)}
    assert expected
    jsonl = _cli(market, "search", "Dubai", "--limit", "500", "--jsonl")
    assert jsonl.returncode == 0, jsonl.stderr
    assert {json.loads(line)["id"] for line in jsonl.stdout.splitlines()} == expected
    rows = list(csv.DictReader(io.StringIO(_cli(market, "search", "dubai", "--limit", "500", "--csv").stdout)))
    assert {row["id"] for row in rows} == expected and all(row["site"] == SITE for row in rows)
    page = json.loads(_cli(market, "search", "DUBAI", "--limit", "500", "--json").stdout)
    assert {item["id"] for item in page["items"]} == expected
    assert page["total"] == len(expected) and page["facets"]["values"]["site"] == {SITE: len(expected)}


def test_cursor_pages_through_every_ad_once(market: Market) -> None:
    seen: list[str] = []
    cursor: list[str] = []
    while True:
        out = _cli(market, "search", "--kind", "ad", "--limit", "50", "--sort", "risk", "--json", *cursor)
        page = json.loads(out.stdout)
        seen += [item["id"] for item in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = ["--cursor", page["next_cursor"]]
    assert sorted(seen) == sorted(market.truth) and len(seen) == len(set(seen))
    assert len(market.truth) == 120


def test_the_table_shows_scraped_markup_as_text(market: Market) -> None:
    from pymongo import MongoClient

    hostile = "Job [red]offer[/red] [link=javascript:alert(1)]click[/link] :warning:"
    listing = Listing(
        site=SITE, platform_type="marketplace", kind="ad", url="http://127.0.0.1/ad/x1", native_id="x1",
        title=hostile, body="A hostile zqxhostile title",
    )  # fmt: skip
    client = MongoClient(market.mongo.uri, tz_aware=True)
    try:
        ListingWriter(client[market.name]).write([Pending(listing, datetime.now(UTC), "test")])
        out = _cli(market, "search", "zqxhostile")
        assert out.returncode == 0, out.stderr
        flat = "".join(out.stdout.split())
        assert "".join(hostile.split()) in flat  # printed as written, markup and all
    finally:
        client[market.name].listings.delete_one({"_id": listing.id})
        client[market.name].listing_terms.delete_one({"_id": listing.id})
        client.close()


def test_show_prints_fields_entities_and_the_snapshot_hash(market: Market) -> None:
    listing_id = next(i for i, values in sorted(market.planted.items()) if values)
    out = _cli(market, "show", listing_id, "--json")
    view = json.loads(out.stdout)
    assert view["summary"]["id"] == listing_id and view["summary"]["title"] == market.truth[listing_id]["title"]
    assert set(market.planted[listing_id]) <= {e["id"] for e in view["entities"]}
    assert re.fullmatch(r"[0-9a-f]{64}", view["snapshot_sha256"])
    table = _cli(market, "show", listing_id)
    assert view["snapshot_sha256"][:40] in "".join(table.stdout.split())
    missing = _cli(market, "show", "demo-market:ad:nope")
    assert missing.returncode == 1 and "no listing 'demo-market:ad:nope'" in missing.stderr


def test_entity_by_a_national_phone_number(market: Market) -> None:
    entity = next(e for values in market.planted.values() for e in values if e.startswith("phone:"))
    expected = {i for i, values in market.planted.items() if entity in values}
    national = format_phone(entity.removeprefix("phone:"), "national")
    out = _cli(market, "entity", national, "--json")
    assert out.returncode == 0, out.stderr
    view = json.loads(out.stdout)
    assert view["entity"]["id"] == entity and {row["id"] for row in view["listings"]} == expected
    assert view["matched_from"] == national
    listed = _cli(market, "search", "--contact", national, "--jsonl", "--limit", "500")
    assert {json.loads(line)["id"] for line in listed.stdout.splitlines()} == expected
    alias = _cli(market, "listings", "--contact", format_phone(entity.removeprefix("phone:"), "dotted"), "--jsonl")
    assert {json.loads(line)["id"] for line in alias.stdout.splitlines()} == expected


def test_pivot_json(market: Market) -> None:
    start = next(i for i, values in sorted(market.planted.items()) if values)
    out = json.loads(_cli(market, "pivot", start, "--json").stdout)
    reached = {hit["listing"]["id"] for hits in out["by_site"].values() for hit in hits}
    sharing = {o for o, values in market.planted.items() if o != start and set(values) & set(market.planted[start])}
    assert sharing <= reached and out["total"] == len(reached)


def test_export_streams_every_match_to_a_file(market: Market, tmp_path: Path) -> None:
    target = tmp_path / "ads.csv"
    out = _cli(market, "export", "--site", SITE, "--csv", "-o", str(target))
    assert out.returncode == 0, out.stderr
    assert f"exported {len(market.truth)} listings" in out.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert sorted(r["id"] for r in rows) == sorted(market.truth)
    lines = _cli(market, "export", "visa", "--no-progress").stdout.splitlines()
    docs = [json.loads(line) for line in lines]
    assert {d["_id"] for d in docs} == {i for i, item in market.truth.items() if "visa" in _words(item)}
    assert all(d["body"] == market.truth[d["_id"]]["body"] for d in docs)
    whole = json.loads(_cli(market, "export", "--kind", "ad", "--json", "--no-progress").stdout)
    assert len(whole) == len(market.truth)


@pytest.mark.parametrize(
    "args",
    [["--site", "$where"], ["--kind", "a.b"], ["--language", '{"$gt": ""}'], ["--country", "RO", "--limit", "0"]],
)
def test_operator_injection_is_refused_with_a_clear_error(market: Market, args: list[str]) -> None:
    out = _cli(market, "search", *args)
    assert out.returncode != 0
    assert out.stdout == ""


def test_help_lists_the_query_commands(market: Market) -> None:
    result = run_cli(["--help"], {})
    for command in ("search", "show", "entity", "pivot", "export", "index", "reindex"):
        assert re.search(rf"│ {command} ", result.stdout), command
    assert not re.search(r"│ listings ", result.stdout)  # the old name still works, but is hidden


def test_index_catches_up_with_listings_whose_search_terms_are_missing(market: Market) -> None:
    db = market.mongo.client()[market.name]
    expected = len(market.truth)
    assert db.listings.count_documents({}) == db.listing_terms.count_documents({}) == expected  # from the crawl
    # As if stored by workers with no crawl end or analyst server to catch up: terms and checkpoint gone.
    db.listing_terms.delete_many({})
    db.facet_counts.delete_one({"_id": "terms_checkpoint"})
    first_word = "visa"
    assert json.loads(_cli(market, "search", first_word, "--json").stdout)["items"] == []
    result = _cli(market, "index")
    assert result.returncode == 0 and f"search terms written for {expected} listings" in result.stdout
    found = json.loads(_cli(market, "search", first_word, "--json", "--limit", "500").stdout)["items"]
    assert {row["id"] for row in found} == {i for i, item in market.truth.items() if first_word in _words(item)}
    assert "search terms written for 0 listings" in _cli(market, "index").stdout  # nothing new since
