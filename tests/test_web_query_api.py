"""The query layer over HTTP: /api/v1/search, listings, pivots and entities, on the real database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pymongo.database import Database

from crawler.query import SearchParams
from crawler.storage.entities import upsert as upsert_entities
from crawler.storage.schema import ensure_indexes
from crawler.storage.writer import ListingWriter, Pending
from tests.conftest import MongoServer, run_cli
from tests.webapp import Web, ad, running_app, signed_in

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def web(mongo: MongoServer, db: Database, tmp_path: Path) -> Iterator[Web]:
    ensure_indexes(db)
    ads = [
        ad("m1", "1", "Hostess jobs in Dubai, visa paid", "+447700900123", posted_at=T0),
        ad("m2", "2", "Hostesses wanted in Dubai", "+447700900123", posted_at=T0),
        ad("m1", "3", "Sofa for sale", None, posted_at=T0),
    ]
    result = ListingWriter(db).write([Pending(listing, T0, "run-1") for listing in ads])
    upsert_entities(db, (doc for doc, _ in result.stored))
    yield from running_app(mongo, db, tmp_path)


def test_search_returns_the_matching_listings_and_is_audited(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    page = client.get("/api/v1/search", params={"q": "dubai"}).json()
    assert sorted(row["id"] for row in page["items"]) == ["m1:ad:1", "m2:ad:2"]
    only_m1 = client.get("/api/v1/search", params={"q": "dubai", "site": "m1"}).json()
    assert [row["id"] for row in only_m1["items"]] == ["m1:ad:1"]
    by_phone = client.get("/api/v1/search", params={"contact": "07700 900123"}).json()
    assert sorted(row["id"] for row in by_phone["items"]) == ["m1:ad:1", "m2:ad:2"]
    assert [e["params"] for e in web.audit("search")] == [
        {"text": "dubai"},
        {"text": "dubai", "site": ["m1"]},
        {"contact": "07700 900123"},
    ]


def test_listing_pivot_and_entity_views(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    listing = client.get("/api/v1/listings/m1:ad:1").json()
    assert listing["listing"]["title"] == "Hostess jobs in Dubai, visa paid"
    pivot = client.get("/api/v1/listings/m1:ad:1/pivot", params={"hops": 2}).json()
    assert pivot["total"] == 1 and list(pivot["by_site"]) == ["m2"]
    hit = pivot["by_site"]["m2"][0]
    assert (hit["listing"]["id"], hit["hops"], hit["via"]) == ("m2:ad:2", 1, ["phone:+447700900123"])
    entity = client.get("/api/v1/entities/phone:+447700900123").json()
    assert sorted(row["id"] for row in entity["listings"]) == ["m1:ad:1", "m2:ad:2"]
    assert entity["sites"] == ["m1", "m2"]
    assert client.get("/api/v1/listings/nope:ad:9").status_code == 404
    assert [e["action"] for e in web.audit()][-4:] == ["listing.view", "listing.pivot", "entity.view", "listing.view"]


def test_a_bare_date_covers_its_whole_day_as_on_the_page_and_in_the_cli(
    web: Web, mongo: MongoServer, tmp_path: Path
) -> None:
    from crawler.web.search_form import parse

    client, _ = signed_in(web, "vic")
    day = T0.date().isoformat()  # the three ads were posted at 12:00 that day
    ids = {"m1:ad:1", "m2:ad:2", "m1:ad:3"}
    api = client.get("/api/v1/search", params={"posted_until": day}).json()
    assert {row["id"] for row in api["items"]} == ids
    assert client.get("/api/v1/search", params={"posted_since": day}).json()["total"] == 3
    assert client.get("/api/v1/search", params={"posted_until": "2026-10-31"}).json()["items"] == []
    page = parse([("posted_until", day)]).params
    assert page.posted_until == datetime(2026, 11, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert page == SearchParams(posted_until=T0.date()) == SearchParams(posted_until=day)
    env = {"MONGO_URI": mongo.uri, "MONGO_DATABASE": web.db.name, "TRAWLER_VAR_DIR": str(tmp_path / "cli")}
    cli = run_cli(["search", "--until", day, "--json"], env)
    assert {row["id"] for row in json.loads(cli.stdout)["items"]} == ids
    bad = client.get("/api/v1/search", params={"posted_until": "2026-02-30"})
    assert bad.status_code in (400, 422) and "posted_until" in bad.text


@pytest.mark.parametrize(
    "params",
    [{"site": '{"$gt": ""}'}, {"site": "a.b"}, {"site": "$where"}, {"limit": "0"}, {"cursor": "x" * 50}, {"hops": "1"}],
)
def test_bad_or_hostile_parameters_are_a_4xx_naming_the_parameter(web: Web, params: dict[str, str]) -> None:
    client, _ = signed_in(web, "vic")
    response = client.get("/api/v1/search", params=params)
    # 422: FastAPI's own check of a declared parameter; 400: the query layer's, or an undeclared parameter.
    assert response.status_code in (400, 422), response.text
    assert next(iter(params)) in response.text
    assert web.audit("search") == []


def test_anonymous_is_refused(web: Web) -> None:
    client = web.new_client()
    for path in ("/api/v1/search?q=dubai", "/api/v1/listings/m1:ad:1", "/api/v1/entities/phone:+447700900123"):
        assert client.get(path).status_code == 401


def test_export_streams_every_match_to_analysts_only(web: Web) -> None:
    import csv
    import io
    import json

    analyst, _ = signed_in(web, "ann")
    response = analyst.get("/api/v1/export", params={"q": "dubai", "format": "csv", "limit": 1})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    # A cell starting with "+" would run as a formula in a spreadsheet: it is quoted.
    quoted = "'+447700900123"
    assert sorted((r["id"], r["phones"]) for r in rows) == [("m1:ad:1", quoted), ("m2:ad:2", quoted)]
    lines = analyst.get("/api/v1/export", params={"site": "m1", "format": "jsonl"}).text.splitlines()
    assert sorted(json.loads(line)["_id"] for line in lines) == ["m1:ad:1", "m1:ad:3"]
    assert [e["params"] for e in web.audit("export")] == [
        {"text": "dubai", "limit": 1, "format": "csv"},
        {"site": ["m1"], "format": "jsonl"},
    ]
    viewer, _ = signed_in(web, "vic")
    assert viewer.get("/api/v1/export", params={"q": "dubai"}).status_code == 403
