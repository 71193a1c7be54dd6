"""The entity page, /entities/{id or value}, on the real database filled by the real writer and entity code:
the listings sharing the entity, its timeline and link graph (exact geometry from crawler/web/svg.py),
hostile values inert, audit entries, 404, and agreement with GET /api/v1/entities/{entity}."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import lxml.html
import pytest
from pymongo.database import Database

from crawler.models import Listing
from crawler.query.graph import entity_graph
from crawler.query.models import EntityRef, ListingSummary
from crawler.storage import clusters
from crawler.storage.entities import upsert as upsert_entities
from crawler.storage.schema import LISTINGS, ensure_indexes
from crawler.storage.writer import ListingWriter, Pending
from crawler.web.svg import NodeSpec, TimelineEvent, radial_layout, ring_positions, timeline_chart
from plugins import neardup
from tests.conftest import MongoServer
from tests.webapp import Web, running_app, signed_in

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
PHONE = "phone:+447700900123"
HOSTILE_TITLE = "<script>window.pwned=1</script>Hostess <b>jobs</b>"
HOSTILE_HANDLE = 'telegram:"><img src=x onerror=alert(1)>'
PHOTO = "0123456789abcdef"
AD = (
    "Work abroad in Dubai! Travel and visa paid, accommodation provided. No experience needed. "
    "Earn 1200 EUR per week. Young women wanted, 18-25. Call the number on the page"
)


def _listing(site: str, kind: str, native_id: str, title: str, **extra: Any) -> Listing:
    raw = {
        "site": site,
        "platform_type": "forum" if kind == "post" else "marketplace",
        "kind": kind,
        "url": f"http://127.0.0.1/{site}/{native_id}",
        "native_id": native_id,
        "title": title,
        "body": f"{title}. Write today.",
        **extra,
    }
    return Listing.model_validate(raw)


def fill(db: Database) -> None:
    """Five listings: one phone on three sites (one undated forum post), with a photo, a hostile handle and an
    e-mail beside it; plus a near-duplicate cluster of two ads."""
    image = {"url": "http://127.0.0.1/p.jpg", "phash": PHOTO, "photo": PHOTO}
    batches = [
        (
            T0 - timedelta(days=2),
            [
                _listing(
                    "m1",
                    "ad",
                    "1",
                    HOSTILE_TITLE,
                    posted_at=T0 - timedelta(days=2),
                    author={"name": '"><b>x'},
                    contacts={"phones": ["+447700900123"]},
                    image_hashes=[image],
                ),
                _listing("m1", "ad", "5", "Sofa for sale", posted_at=T0 - timedelta(days=2)),
            ],
        ),
        (
            T0,
            [
                _listing(
                    "m2",
                    "ad",
                    "2",
                    "Hostesses wanted",
                    posted_at=T0,
                    contacts={"phones": ["+447700900123"], "handles": [HOSTILE_HANDLE]},
                ),
                _listing("m1", "ad", "4", "Agency", posted_at=T0, contacts={"emails": ["jobs@agency.example"]}),
            ],
        ),
        (
            T0 + timedelta(days=1),
            [
                _listing(
                    "f1",
                    "post",
                    "3",
                    "Anyone called this?",
                    contacts={"phones": ["+447700900123"], "emails": ["jobs@agency.example"]},
                ),
            ],
        ),
    ]
    for seen_at, listings in batches:
        result = ListingWriter(db).write([Pending(item, seen_at, "run-1") for item in listings])
        upsert_entities(db, (doc for doc, _ in result.stored))
    # A near-duplicate cluster, written as the storage thread does (writer, then clusters).
    twins = []
    for site, body in (("m3", AD), ("m4", AD.replace("Dubai", "Milan"))):
        raw = {
            "site": site,
            "platform_type": "marketplace",
            "kind": "ad",
            "url": f"http://127.0.0.1/{site}/7",
            "native_id": "7",
            "title": "Work abroad",
            "body": body,
            "posted_at": T0,
        }
        neardup.trawler_enrich_listing(listing=raw, profile=None)
        twins.append(Listing.model_validate(raw))
    result = ListingWriter(db).write([Pending(item, T0, "run-2") for item in twins])
    clusters.assign(db, result.stored)


@pytest.fixture
def web(mongo: MongoServer, db: Database, tmp_path: Path) -> Iterator[Web]:
    ensure_indexes(db)
    fill(db)
    yield from running_app(mongo, db, tmp_path)


def _page(client: Any, value: str) -> tuple[Any, lxml.html.HtmlElement]:
    response = client.get(f"/entities/{quote(value, safe='')}")
    return response, lxml.html.fromstring(response.text)


def _rows(doc: lxml.html.HtmlElement) -> list[tuple[str, str, str, str]]:
    """(listing id, date, site, link) of each row of the listings table."""
    return [
        (
            row.get("data-listing"),
            row.xpath("./td[1]/text()")[0].strip(),
            row.xpath("./td[2]/text()")[0],
            row.xpath("./td[4]/a/@href")[0],
        )
        for row in doc.xpath("//table[@class='entity-listings']/tbody/tr")
    ]


def test_the_page_lists_exactly_the_listings_sharing_the_phone_with_their_sites(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    response, doc = _page(client, PHONE)
    assert response.status_code == 200
    assert [" ".join(t.text_content().split()) for t in doc.xpath("//h1")] == ["phone number +447700900123"]
    facts = dict(
        zip(
            doc.xpath("//dl[contains(@class,'entity-facts')]/dt/text()"),
            [" ".join(d.text_content().split()) for d in doc.xpath("//dl[contains(@class,'entity-facts')]/dd")],
            strict=True,
        )
    )
    assert facts == {
        "Kind": "phone",
        "Entity id": PHONE,
        "First seen": "2026-10-30 12:00 UTC",
        "Last seen": "2026-11-02 12:00 UTC",
        "Listings": "3 on 3 sites: f1, m1, m2",
        "Platform types": "forum, marketplace",
    }
    assert _rows(doc) == [
        ("m1:ad:1", "2026-10-30", "m1", "/listings/m1:ad:1"),
        ("m2:ad:2", "2026-11-01", "m2", "/listings/m2:ad:2"),
        ("f1:post:3", "2026-11-02", "f1", "/listings/f1:post:3"),  # undated: its first-seen day
    ]
    # Page and API give the same listings in the same order.
    api = client.get(f"/api/v1/entities/{quote(PHONE, safe='')}").json()
    assert [row["id"] for row in api["listings"]] == [r[0] for r in _rows(doc)]
    assert [e["params"] for e in web.audit("entity.view")] == [{"id": PHONE}, {"id": PHONE}]
    assert [e["actor"] for e in web.audit("entity.view")] == ["vic", "vic"]


@pytest.mark.parametrize("typed", ["+44 7700 900123", "0044-7700-900-123", "+44 (7700) 900 123"])
def test_any_written_form_of_the_number_finds_the_phone(web: Web, typed: str) -> None:
    client, _ = signed_in(web, "vic")
    response, doc = _page(client, typed)
    assert response.status_code == 200
    assert doc.xpath("//dd[@class='param']/text()") == [PHONE]
    assert doc.xpath("//p[@class='matched']/span/text()") == [typed]
    assert [r[0] for r in _rows(doc)] == ["m1:ad:1", "m2:ad:2", "f1:post:3"]
    assert [e["params"] for e in web.audit("entity.view")] == [{"id": typed}]


def test_the_timeline_places_each_listing_by_date_on_its_sites_row(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    _, doc = _page(client, PHONE)
    svg = doc.xpath("//svg[contains(@class,'timeline-svg')]")[0]
    # Three days between the first and last date over 546 px (150 to 696); rows f1, m1, m2 sorted.
    dots = [
        (a.get("href"), float(c.get("cx")), float(c.get("cy"))) for a in svg.xpath(".//a") for c in a.xpath("./circle")
    ]
    assert dots == [
        ("/listings/m1:ad:1", 150.0, 72.0),
        ("/listings/m2:ad:2", 514.0, 104.0),
        ("/listings/f1:post:3", 696.0, 40.0),
    ]
    assert svg.xpath(".//text[@class='tl-site']/text()") == ["f1", "m1", "m2"]
    assert svg.xpath(".//text[@class='tl-tick']/text()") == ["2026-10-30", "2026-11-01", "2026-11-02"]


def test_the_link_graph_joins_the_entity_its_listings_and_their_other_entities(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    _, doc = _page(client, PHONE)
    handle_id = f"handle:{HOSTILE_HANDLE}"
    svg = doc.xpath("//svg[contains(@class,'graph-svg')]")[0]
    nodes = [(a.get("href"), a.xpath("./circle/@cx")[0], a.xpath("./circle/@cy")[0]) for a in svg.xpath(".//a")]
    assert nodes == [
        ("/entities/phone:+447700900123", "280.0", "280.0"),
        ("/listings/m1:ad:1", "280.0", "168.0"),
        ("/listings/m2:ad:2", "377.0", "336.0"),
        ("/listings/f1:post:3", "183.0", "336.0"),
        ("/entities/email:jobs@agency.example", "454.6", "179.2"),  # outer ring: 2, 6 and 10 o'clock
        ("/entities/" + quote(handle_id, safe=":@+"), "280.0", "481.6"),
        (f"/entities/image:{PHOTO}", "105.4", "179.2"),
    ]
    assert svg.get("viewbox") == "0 144.0 560 373.6"  # the band the nodes use: 168 - 24 to 481.6 + 36
    lines = [tuple(line.get(k) for k in ("x1", "y1", "x2", "y2")) for line in svg.xpath(".//line")]
    assert lines == [
        ("280.0", "280.0", "280.0", "168.0"),
        ("280.0", "280.0", "377.0", "336.0"),
        ("280.0", "280.0", "183.0", "336.0"),
        ("280.0", "168.0", "105.4", "179.2"),  # m1:ad:1 - its photo
        ("377.0", "336.0", "280.0", "481.6"),  # m2:ad:2 - the handle
        ("183.0", "336.0", "454.6", "179.2"),  # f1:post:3 - the e-mail
    ]
    assert doc.xpath("//p[@class='capped']") == []
    listed = [" ".join(li.text_content().split()) for li in doc.xpath("//ul[@class='graph-list']/li")]
    assert listed == [
        "email: jobs@agency.example (2 listings on 2 sites) via f1:post:3",
        f"handle: {HOSTILE_HANDLE} (1 listing on 1 site) via m2:ad:2",
        f"image: {PHOTO} (1 listing on 1 site) via m1:ad:1",
    ]


def test_the_graph_says_when_it_is_capped(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    view = client.get(f"/api/v1/entities/{quote(PHONE, safe='')}").json()
    listings = [ListingSummary.model_validate(row) for row in view["listings"]]
    graph = entity_graph(web.db, EntityRef.model_validate(view["entity"]), listings, max_listings=2, max_entities=1)
    assert [item.id for item in graph.listings] == ["m1:ad:1", "m2:ad:2"]
    assert [e.id for e in graph.entities] == [f"handle:{HOSTILE_HANDLE}"]  # ties broken by id
    assert graph.edges == [("m2:ad:2", f"handle:{HOSTILE_HANDLE}")]
    assert (graph.listings_total, graph.entities_total, graph.capped) == (3, 2, True)
    from crawler.web.routes import entity_pages

    template = web.app.state.templates.get_template("entity.html")
    from crawler.query import entity_view

    html = template.render(
        {**entity_pages.entity_context(entity_view(web.db, PHONE), graph), "principal": None, "nav": []}
    )
    capped = lxml.html.fromstring(html).xpath("//p[@class='capped']")[0].text_content()
    assert " ".join(capped.split()) == (
        "The graph is capped: it shows 2 of 3 listings and 1 of the 2 other entities of those listings "
        "(the most connected first)."
    )


def test_hostile_values_are_escaped(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    html = client.get(f"/entities/{quote(PHONE, safe='')}").text
    assert "<script>window" not in html and "<img src=x" not in html and "<b>" not in html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;Hostess &lt;b&gt;jobs&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "style=" not in html and "<style" not in html and "<script" not in html
    assert all(u.startswith(("/", "#")) for u in lxml.html.fromstring(html).xpath("//@href | //@src"))
    handle_page = client.get("/entities/" + quote(f"handle:{HOSTILE_HANDLE}", safe=":@+"))
    assert handle_page.status_code == 200
    assert "<img src=x" not in handle_page.text
    assert _rows(lxml.html.fromstring(handle_page.text)) == [("m2:ad:2", "2026-11-01", "m2", "/listings/m2:ad:2")]


def test_a_near_duplicate_cluster_shows_its_members(web: Web) -> None:
    cluster = web.db[LISTINGS].find_one({"_id": "m3:ad:7"})["crawl"]["text_cluster"]
    assert web.db[LISTINGS].find_one({"_id": "m4:ad:7"})["crawl"]["text_cluster"] == cluster
    client, _ = signed_in(web, "vic")
    response, doc = _page(client, f"text_cluster:{cluster}")
    assert response.status_code == 200
    assert doc.xpath("//h2[@id='listings-heading']/text()") == ["Members of this near-duplicate cluster"]
    assert [(r[0], r[2]) for r in _rows(doc)] == [("m3:ad:7", "m3"), ("m4:ad:7", "m4")]


def test_an_unknown_entity_is_a_404_page(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    response = client.get("/entities/" + quote("phone:+449999999999<script>", safe=""))
    assert response.status_code == 404
    assert "<h1>404</h1>" in response.text and "&lt;script&gt;" in response.text
    assert [e["params"] for e in web.audit("entity.view")] == [{"id": "phone:+449999999999<script>"}]
    anonymous = web.new_client()
    assert anonymous.get(f"/entities/{PHONE}", follow_redirects=False).headers["location"] == "/login"


# -- the layout functions ------------------------------------------------------------------------------------------


def test_ring_positions_start_at_twelve_oclock_and_go_clockwise() -> None:
    assert ring_positions(4, 22, 50) == [(50.0, 28.0), (72.0, 50.0), (50.0, 72.0), (28.0, 50.0)]
    assert ring_positions(2, 42, 50, offset=0.5) == [(92.0, 50.0), (8.0, 50.0)]
    assert ring_positions(0, 10, 50) == []


def test_radial_layout_links_the_centre_to_the_inner_ring_and_only_known_pairs() -> None:
    centre = NodeSpec("e", "entity", "E", "/entities/e")
    inner = [NodeSpec("l1", "listing", "L1", "/listings/l1"), NodeSpec("l2", "listing", "L2", "/listings/l2")]
    outer = [NodeSpec("o1", "entity", "O1", "/entities/o1")]
    layout = radial_layout(centre, inner, outer, [("l2", "o1"), ("l1", "nope"), ("o1", "l2")], size=100)
    assert [(n.id, n.ring, n.x, n.y) for n in layout.nodes] == [
        ("e", 0, 50.0, 50.0),
        ("l1", 1, 50.0, 30.0),
        ("l2", 1, 50.0, 70.0),
        ("o1", 2, 50.0, 86.0),  # one node half a step round: 6 o'clock
    ]
    assert [(e.source, e.target, e.x2, e.y2) for e in layout.edges] == [
        ("e", "l1", 50.0, 30.0),
        ("e", "l2", 50.0, 70.0),
        ("l2", "o1", 50.0, 86.0),
    ]
    assert layout.view_box == (0, 6.0, 100, 94.0)  # from 24 above the top node to the bottom edge


def test_timeline_chart_rows_ticks_and_undated() -> None:
    day = datetime(2026, 1, 1, tzinfo=UTC)
    events = [
        TimelineEvent("a", "s2", day, "A"),
        TimelineEvent("b", "s1", day + timedelta(days=10), "B"),
        TimelineEvent("c", "s1", None, "C"),
    ]
    chart = timeline_chart(events, width=300, left=100, row_height=20, margin=10, right_pad=10)
    assert [(r.site, r.y) for r in chart.rows] == [("s1", 20.0), ("s2", 40.0)]
    assert [(d.id, d.x, d.y, d.href) for d in chart.dots] == [
        ("a", 100.0, 40.0, "/listings/a"),
        ("b", 290.0, 20.0, "/listings/b"),
    ]
    assert [(t.x, t.label) for t in chart.ticks] == [
        (100.0, "2026-01-01"),
        (195.0, "2026-01-06"),
        (290.0, "2026-01-11"),
    ]
    assert chart.undated == ["c"] and chart.height == 76
    single = timeline_chart([TimelineEvent("a", "s", day, "A")], width=300, left=100, margin=10, right_pad=10)
    assert [(d.x, t.x) for d in single.dots for t in single.ticks] == [(195.0, 195.0)]


def test_values_that_look_like_operators_are_looked_up_as_text(web: Web) -> None:
    from tests.test_web_security import TEXT_PAYLOADS

    client, _ = signed_in(web, "vic")
    web.recorder.commands.clear()
    for text in TEXT_PAYLOADS:
        assert client.get("/entities/" + quote(text, safe="")).status_code == 404, text
    filters = [c["filter"] for name, _, c in web.recorder.commands if name == "find" and c["find"] == "entities"]
    # The direct look-up is an equality on _id with the text itself; any other is an $in of plain strings.
    assert [f["_id"] for f in filters if isinstance(f.get("_id"), str)] == TEXT_PAYLOADS
    others = [f for f in filters if not isinstance(f.get("_id"), str)]
    assert all(list(f) == ["_id"] and list(f["_id"]) == ["$in"] for f in others), others
    assert all(isinstance(v, str) for f in others for v in f["_id"]["$in"])
    assert [e["params"] for e in web.audit("entity.view")] == [{"id": t} for t in TEXT_PAYLOADS]
