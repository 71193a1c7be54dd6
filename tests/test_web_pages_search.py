"""The search, listing and pivot pages and the evidence downloads, on the real database filled by the real writer."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from parsel import Selector
from pymongo.database import Database

from crawler.evidence import _folder, export_entity
from crawler.models import Listing
from crawler.storage.entities import upsert as upsert_entities
from crawler.storage.schema import ensure_indexes
from crawler.storage.snapshots import PageSnapshot, store
from crawler.storage.writer import ListingWriter, Pending
from crawler.web.highlight import highlight, query_tokens
from crawler.web.search_form import BadSearch, parse
from crawler.web.search_view import word_diff
from tests.conftest import MongoServer
from tests.webapp import Web, running_app, signed_in

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
PHONE = "+447700900123"
EMAIL = "anna@example.com"
REASON = "travel_paid (travel_documents, weight 2.0): 'We pay your flight' in body"
HOSTILE_TITLE = "<script>alert(1)</script> Dubai <mark>deal</mark>"


def _listing(site: str, kind: str, native_id: str, title: str, days_ago: int, **fields: Any) -> Listing:
    platform = "forum" if kind == "post" else "marketplace"
    data = {
        "site": site,
        "platform_type": platform,
        "kind": kind,
        "url": f"http://127.0.0.1/{site}/{native_id}",
        "native_id": native_id,
        "title": title,
        "body": f"{title}. Write today.",
        "posted_at": T0 - timedelta(days=days_ago),
        **fields,
    }
    return Listing.model_validate(data)


def _snapshot(site: str, native_id: str, body: bytes, at: datetime) -> str:
    page = PageSnapshot(f"http://127.0.0.1/{site}/{native_id}", 200, {"content-type": "text/html"}, body, at, "ad",
                        site, hashlib.sha256(body).hexdigest())  # fmt: skip
    return page.sha256, page.document("run-1", {})


def _ind(ind_id: str, category: str, weight: float, text: str, where: str) -> dict[str, Any]:
    return {"id": ind_id, "category": category, "weight": weight, "text": text, "field": where, "language": "en"}


# The snapshots of m2:ad:2, first and second version (the second page holds hostile markup).
SNAP_V1, SNAP_V1_DOC = _snapshot("m2", "2", b"<html><body>Hostesses wanted in Dubai</body></html>", T0)
SNAP_V2, SNAP_V2_DOC = _snapshot("m2", "2", b"<html><script>alert(1)</script>Hostesses now</html>", T1)


def _listings() -> list[Listing]:
    return [
        _listing(
            "m1", "ad", "1", "Hostess jobs in Dubai, visa paid", 1,
            body="Hostess jobs in Dubai. We pay your flight.",
            contacts={"phones": [PHONE]}, language="en", location={"country": "AE", "city": "Dubai"},
            indicators=[
                _ind("travel_paid", "travel_documents", 2.0, "We pay your flight", "body"),
                _ind("visa_arranged", "travel_documents", 1.5, "visa paid", "title"),
            ],
            risk={"score": 3.5, "reasons": [REASON]},
        ),
        _listing(
            "m2", "ad", "2", "Hostesses wanted in Dubai", 2, contacts={"phones": [PHONE], "emails": [EMAIL]},
            indicators=[_ind("dancer_abroad", "sexual_exploitation", 2.0, "Hostesses wanted", "title")],
            risk={"score": 2.0, "reasons": []}, crawl={"snapshot_id": SNAP_V1},
        ),
        _listing("m1", "ad", "3", "Sofa for sale", 3),
        _listing("m1", "ad", "4", HOSTILE_TITLE, 4, body="Dubai <b>bold</b> & more"),
        _listing("f1", "post", "5", "Dubai trip report", 5, contacts={"emails": [EMAIL]}),
    ]  # fmt: skip


def _m2_changed() -> Listing:
    return _listing(
        "m2", "ad", "2", "Hostesses wanted in Dubai now", 2,
        body="Hostesses wanted in Dubai now. Call today.",
        contacts={"phones": [PHONE], "emails": [EMAIL]}, price={"amount": 500, "currency": "EUR"},
        indicators=[_ind("dancer_abroad", "sexual_exploitation", 2.0, "Hostesses wanted", "title")],
        risk={"score": 2.0, "reasons": []}, crawl={"snapshot_id": SNAP_V2},
    )  # fmt: skip


def _write(db: Database, listings: list[Listing], at: datetime, run: str) -> None:
    result = ListingWriter(db).write([Pending(item, at, run) for item in listings])
    upsert_entities(db, (doc for doc, _ in result.stored))


@pytest.fixture
def web(mongo: MongoServer, db: Database, tmp_path: Path) -> Iterator[Web]:
    ensure_indexes(db)
    store(db, [SNAP_V1_DOC, SNAP_V2_DOC])
    _write(db, _listings(), T0, "run-1")
    _write(db, [_m2_changed()], T1, "run-2")  # a second version of m2:ad:2
    yield from running_app(mongo, db, tmp_path)


def _page(client: Any, url: str, code: int = 200) -> Selector:
    response = client.get(url)
    assert response.status_code == code, response.text
    return Selector(text=response.text)


def _ids(page: Selector) -> list[str]:
    return page.css("li.result::attr(data-id)").getall()


def _facet(page: Selector, name: str) -> dict[str, tuple[int, str | None]]:
    out = {}
    for item in page.css(f"section#facet-{name} li"):
        label = item.css(".facet-value::text").get()
        out[label] = (int(item.css(".count::text").get()), item.css("a::attr(href)").get())
    return out


# -- the search page -------------------------------------------------------------------------------------


def test_search_page_gives_the_apis_results_and_exact_facets(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    page = _page(client, "/search?q=dubai")
    expected = ["m1:ad:1", "m2:ad:2", "m1:ad:4", "f1:post:5"]  # newest posted first
    assert _ids(page) == expected
    assert page.css(".results h2 .total::text").get() == "4"
    api = client.get("/api/v1/search", params={"q": "dubai"}).json()
    assert [row["id"] for row in api["items"]] == expected
    assert _facet(page, "site") == {
        "m1": (2, "/search?q=dubai&site=m1"),
        "f1": (1, "/search?q=dubai&site=f1"),
        "m2": (1, "/search?q=dubai&site=m2"),
    }
    assert _facet(page, "has_contacts") == {
        "yes": (3, "/search?q=dubai&has_contacts=true"),
        "no": (1, "/search?q=dubai&has_contacts=false"),
    }
    assert _facet(page, "risk_band") == {
        "medium": (2, "/search?q=dubai&min_risk=2&max_risk=4.99"),
        "none": (2, "/search?q=dubai&max_risk=0"),
    }
    assert _facet(page, "indicator") == {
        "dancer_abroad": (1, "/search?q=dubai&indicator=dancer_abroad"),
        "travel_paid": (1, "/search?q=dubai&indicator=travel_paid"),
        "visa_arranged": (1, "/search?q=dubai&indicator=visa_arranged"),
    }
    assert _facet(page, "status") == {"live": (4, "/search?q=dubai&status=live")}

    # Following a facet link filters; on the filtered page the same link removes the filter again.
    filtered = _page(client, "/search?q=dubai&site=m1")
    assert _ids(filtered) == ["m1:ad:1", "m1:ad:4"]
    assert _facet(filtered, "site") == {"m1": (2, "/search?q=dubai")}
    assert filtered.css("section#facet-site li.selected a[aria-current=true]::attr(href)").get() == "/search?q=dubai"
    risky = _page(client, "/search?q=dubai&min_risk=2&max_risk=4.99")
    assert _ids(risky) == ["m1:ad:1", "m2:ad:2"]
    by_risk = _page(client, "/search?q=dubai&sort=risk")
    assert _ids(by_risk) == ["m1:ad:1", "m2:ad:2", "m1:ad:4", "f1:post:5"]
    assert by_risk.css("#f-sort option[selected]::attr(value)").get() == "risk"
    by_contact = _page(client, "/search?contact=07700+900123")
    assert _ids(by_contact) == ["m1:ad:1", "m2:ad:2"]
    dated = _page(client, "/search?posted_since=2026-10-30&posted_until=2026-10-30&platform_type=marketplace")
    assert _ids(dated) == ["m2:ad:2"]  # posted 10-30 12:00: a day "until" includes the whole day
    assert [e["params"] for e in web.audit("search")] == [
        {"text": "dubai"},
        {"text": "dubai"},
        {"text": "dubai", "site": ["m1"]},
        {"text": "dubai", "min_risk": 2.0, "max_risk": 4.99},
        {"text": "dubai", "sort": "risk"},
        {"contact": "07700 900123"},
        {
            "platform_type": ["marketplace"],
            "posted_since": "2026-10-30T00:00:00Z",
            "posted_until": "2026-10-30T23:59:59.999999Z",
        },
    ]
    assert {e["actor"] for e in web.audit("search")} == {"vic"}


def test_results_highlight_matches_with_the_scraped_text_escaped(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    html = client.get("/search?q=dubai").text
    assert "<script" not in html and "<b>bold" not in html
    assert (
        '<a href="/listings/m1:ad:4">&lt;script&gt;alert(1)&lt;/script&gt; <mark>Dubai</mark> '
        "&lt;mark&gt;deal&lt;/mark&gt;</a>" in html
    )
    assert '<p class="snippet"><mark>Dubai</mark> &lt;b&gt;bold&lt;/b&gt; &amp; more</p>' in html
    # Accent- and case-insensitive, like the search: "hostess" marks "Hostess" but not "Hostesses".
    page = Selector(text=client.get("/search?q=HOSTESS").text)
    assert _ids(page) == ["m1:ad:1"]
    assert page.css("li.result h3 a").get() == (
        '<a href="/listings/m1:ad:1"><mark>Hostess</mark> jobs in Dubai, visa paid</a>'
    )


def test_indicator_chips_explain_themselves(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    page = _page(client, "/search?q=dubai")
    first = page.css("li.result")[0]
    chips = [
        (
            " ".join(chip.css("summary ::text").getall()).split(),
            [" ".join(t.split()) for t in chip.css("dl.chip-why dd").xpath("string()").getall()],
        )
        for chip in first.css("details.chip")
    ]
    assert chips == [
        (["Indicator", "travel", "paid", "2"], ["travel_paid", "travel_documents", "2", "We pay your flight in body"]),
        (["Indicator", "visa", "arranged", "1.5"], ["visa_arranged", "travel_documents", "1.5", "visa paid in title"]),
    ]
    assert first.css(".risk::text").get() == "risk 3.5"
    assert first.css(".contacts-inline a::attr(href)").getall() == ["/entities/phone:+447700900123"]


def test_pages_follow_the_cursor_without_duplicates(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    first = _page(client, "/search?q=dubai&limit=2")
    assert _ids(first) == ["m1:ad:1", "m2:ad:2"]
    next_href = first.css("nav.pager a[rel=next]::attr(href)").get()
    assert next_href.startswith("/search?q=dubai&limit=2&cursor=")
    second = _page(client, next_href)
    assert _ids(second) == ["m1:ad:4", "f1:post:5"]
    assert second.css("nav.pager a[rel=next]").getall() == []
    assert second.css("nav.pager a[rel=first]::attr(href)").get() == "/search?q=dubai&limit=2"
    # A facet link from page 2 starts the changed search at its first page.
    assert _facet(second, "site")["m1"][1] == "/search?q=dubai&limit=2&site=m1"


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ('site={"$gt": ""}', "site"),
        ("site=a.b", "site"),
        ("limit=0", "limit"),
        ("min_risk=abc", "min_risk"),
        ("posted_since=2026-13-01", "posted_since"),
        ("cursor=xxxxxxxx", "cursor"),
        ("q=a&q=b", "q"),
        ("site[$ne]=x", "site[$ne]"),
    ],
)
def test_bad_parameters_are_a_400_page_naming_them(web: Web, query: str, param: str) -> None:
    client, _ = signed_in(web, "vic")
    response = client.get(f"/search?{query}")
    assert response.status_code == 400
    assert Selector(text=response.text).css("p[role=alert]::text").get().startswith(f"bad parameter {param}")
    assert web.audit("search") == []


def test_a_contact_typed_as_words_is_offered_as_a_contact_search(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    page = _page(client, "/search?q=07700+900123")
    assert page.css(".hint a::attr(href)").get() == "/search?contact=07700+900123"


# -- the listing and pivot pages --------------------------------------------------------------------------


def test_listing_page_shows_fields_contacts_history_and_snapshots(web: Web) -> None:
    client, _ = signed_in(web, "ann")
    page = _page(client, "/listings/m2:ad:2")
    assert page.css("h1::text").getall() == ["Hostesses wanted in Dubai now"]
    assert page.css(".contacts a.entity-link::attr(href)").getall() == [
        "/entities/phone:+447700900123",
        "/entities/email:anna@example.com",
    ]
    assert page.css("table.entities a::attr(href)").getall() == [
        "/entities/email:anna@example.com",
        "/api/v1/entities/email:anna@example.com/evidence",
        "/entities/phone:+447700900123",
        "/api/v1/entities/phone:+447700900123/evidence",
    ]
    assert page.css(".listing-actions a::attr(href)").getall() == [
        "/listings/m2:ad:2/pivot",
        "/api/v1/listings/m2:ad:2/evidence",
    ]
    assert page.css(".listing-status .status::text").get() == "Live"
    # History: version 1 against version 2, one row per changed field, texts diffed word by word.
    assert page.css("section.version h3::text").getall() == ["Version 1 → 2"]
    diff = {
        row.css("th code::text").get(): (
            row.css("td.old").xpath("string()").get(),
            row.css("td.new").xpath("string()").get(),
            row.css("td.old del::text").getall(),
            row.css("td.new ins::text").getall(),
        )
        for row in page.css("table.diff tbody tr")
    }
    assert diff == {
        "body": (
            "Hostesses wanted in Dubai. Write today.",
            "Hostesses wanted in Dubai now. Call today.",
            ["Dubai.", "Write"],
            ["Dubai", "now. Call"],
        ),
        "price.amount": ("(none)", "500.0", [], ["500.0"]),
        "price.currency": ("(none)", "EUR", [], ["EUR"]),
        "title": ("Hostesses wanted in Dubai", "Hostesses wanted in Dubai now", [], [" now"]),
    }
    assert page.css("ul.snapshots code.sha::text").getall() == [SNAP_V2, SNAP_V1]
    assert page.css("ul.snapshots a::attr(href)").getall() == [
        f"/api/v1/snapshots/{SNAP_V2}",
        f"/api/v1/snapshots/{SNAP_V1}",
    ]
    viewer, _ = signed_in(web, "vic")
    as_viewer = _page(viewer, "/listings/m2:ad:2")
    assert as_viewer.css("ul.snapshots a").getall() == [] and as_viewer.css("ul.snapshots code.sha::text").getall()
    assert as_viewer.css(".listing-actions a::attr(href)").getall() == ["/listings/m2:ad:2/pivot"]
    assert client.get("/listings/nope:ad:9").status_code == 404
    assert [e["params"] for e in web.audit("listing.view")] == [
        {"id": "m2:ad:2"},
        {"id": "m2:ad:2"},
        {"id": "nope:ad:9"},
    ]


def test_listing_page_shows_removal_indicators_and_risk_reasons(web: Web) -> None:
    assert ListingWriter(web.db).mark_removed("f1", T1, T1 + timedelta(hours=1)) == 1
    client, _ = signed_in(web, "vic")
    removed = _page(client, "/listings/f1:post:5")
    assert " ".join(removed.css(".listing-status").xpath("string()").get().split()) == (
        "Removed — a complete crawl no longer found it on 2026-11-02 13:00 UTC; last seen 2026-11-01 12:00 UTC. risk 0"
    )
    assert _ids(_page(client, "/search?status=removed")) == ["f1:post:5"]
    page = _page(client, "/listings/m1:ad:1")
    assert page.css("details.chip summary").xpath("string()").getall() == [
        "Indicator travel paid 2",
        "Indicator visa arranged 1.5",
    ]
    assert page.css("ul.reasons li::text").getall() == [REASON]
    names = page.css("dl.fields > dt::text").getall()
    fields = dict(zip(names, page.css("dl.fields > dd").xpath("string()").getall(), strict=True))
    assert " ".join(fields["Location"].split()) == "→ Dubai, AE"
    assert fields["Language"] == "en" and "Author" not in fields


def test_pivot_page_lists_listings_sharing_an_entity_with_hops(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    one = _page(client, "/listings/m1:ad:1/pivot")
    rows = [
        (r.attrib["data-id"], r.css("td.hops::text").get(), r.css("td a.entity-link::text").getall())
        for r in one.css("table.pivot tbody tr")
    ]
    assert rows == [("m2:ad:2", "1", ["phone:+447700900123"])]
    two = _page(client, "/listings/m1:ad:1/pivot?hops=2")
    rows = [(r.attrib["data-id"], r.css("td.hops::text").get()) for r in two.css("table.pivot tbody tr")]
    assert rows == [("f1:post:5", "2"), ("m2:ad:2", "1")]  # grouped by site: f1, then m2
    assert two.css("section.pivot-site h2::text").getall() == ["f1 ", "m2 "]
    bad = client.get("/listings/m1:ad:1/pivot?hops=3")
    assert bad.status_code == 422 and "hops" in Selector(text=bad.text).css("p[role=alert]::text").get()
    assert [e["params"] for e in web.audit("listing.pivot")] == [
        {"id": "m1:ad:1", "hops": 1},
        {"id": "m1:ad:1", "hops": 2},
    ]


# -- downloads -------------------------------------------------------------------------------------------


def test_snapshot_download_is_an_attachment_matching_its_sha256(web: Web) -> None:
    analyst, _ = signed_in(web, "ann")
    response = analyst.get(f"/api/v1/snapshots/{SNAP_V2}")
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == SNAP_V2
    assert response.content == b"<html><script>alert(1)</script>Hostesses now</html>"
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == f'attachment; filename="snapshot-{SNAP_V2}.txt"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert analyst.get(f"/api/v1/snapshots/{'0' * 64}").status_code == 404
    assert analyst.get("/api/v1/snapshots/not-a-sha").status_code == 422
    viewer, _ = signed_in(web, "vic")
    assert viewer.get(f"/api/v1/snapshots/{SNAP_V2}").status_code == 403
    assert [e["params"] for e in web.audit("snapshot.download")] == [{"sha256": SNAP_V2}, {"sha256": "0" * 64}]


def _zip(content: bytes) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    manifest = json.loads(archive.read("manifest.json"))
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    return archive, manifest


def test_listing_evidence_archive_over_the_api(web: Web) -> None:
    analyst, _ = signed_in(web, "ann")
    response = analyst.get("/api/v1/listings/m2:ad:2/evidence")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="evidence-m2_ad_2.zip"'
    archive, manifest = _zip(response.content)
    assert sorted(archive.namelist()) == ["listing.json", "manifest.json", "snapshots.warc.gz", "versions.json"]
    assert [s["sha256"] for s in manifest["snapshots"]] == [SNAP_V1, SNAP_V2]
    versions = json.loads(archive.read("versions.json"))
    assert [(v["version"], sorted(v["diff"])) for v in versions] == [
        (1, ["body", "price.amount", "price.currency", "title"])
    ]
    assert json.loads(archive.read("listing.json"))["title"] == "Hostesses wanted in Dubai now"
    assert analyst.get("/api/v1/listings/nope:ad:9/evidence").status_code == 404
    viewer, _ = signed_in(web, "vic")
    assert viewer.get("/api/v1/listings/m2:ad:2/evidence").status_code == 403
    assert [e["params"] for e in web.audit("listing.evidence")] == [{"id": "m2:ad:2"}, {"id": "nope:ad:9"}]


def test_entity_evidence_archive_holds_every_listing_sharing_it(web: Web) -> None:
    analyst, _ = signed_in(web, "ann")
    response = analyst.get(f"/api/v1/entities/{quote('07700 900123')}/evidence")  # any written form of the phone
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="evidence-phone_447700900123.zip"'
    archive, manifest = _zip(response.content)
    assert sorted(archive.namelist()) == [
        "entity.json",
        "listings/m1_ad_1/listing.json",
        "listings/m1_ad_1/versions.json",
        "listings/m2_ad_2/listing.json",
        "listings/m2_ad_2/versions.json",
        "manifest.json",
        "snapshots.warc.gz",
    ]
    assert manifest["entity_id"] == f"phone:{PHONE}"
    assert (manifest["listing_count"], manifest["truncated"]) == (2, False)
    assert [s["sha256"] for s in manifest["snapshots"]] == [SNAP_V1, SNAP_V2]
    assert [v["version"] for v in json.loads(archive.read("listings/m2_ad_2/versions.json"))] == [1]
    assert analyst.get("/api/v1/entities/phone:+10000000000/evidence").status_code == 404
    assert [e["params"] for e in web.audit("entity.evidence")] == [{"id": "07700 900123"}, {"id": "phone:+10000000000"}]


def test_export_entity_caps_the_listings_and_says_so(web: Web) -> None:
    out = io.BytesIO()
    manifest = export_entity(web.db, f"email:{EMAIL}", out, limit=1)
    assert [item["id"] for item in manifest["listings"]] == ["f1:post:5"]
    assert (manifest["listing_count"], manifest["truncated"]) == (2, True)
    assert sorted(zipfile.ZipFile(out).namelist()) == [
        "entity.json",
        "listings/f1_post_5/listing.json",
        "listings/f1_post_5/versions.json",
        "manifest.json",
        "snapshots.warc.gz",
    ]
    with pytest.raises(KeyError):
        export_entity(web.db, "phone:+10000000000", io.BytesIO())


# -- helpers ---------------------------------------------------------------------------------------------


def test_highlight_escapes_first_and_marks_whole_tokens() -> None:
    tokens = query_tokens(["stefan", "script", "strasse"])
    assert str(highlight("Ştefan <script>x</script> Stefanie STRAẞE", tokens)) == (
        "<mark>Ştefan</mark> &lt;<mark>script</mark>&gt;x&lt;/<mark>script</mark>&gt; Stefanie <mark>STRAẞE</mark>"
    )
    assert (
        str(highlight("<mark>a</mark> & b", query_tokens(["b"]))) == "&lt;mark&gt;a&lt;/mark&gt; &amp; <mark>b</mark>"
    )
    assert str(highlight('"><img src=x onerror=alert(1)>', set())) == "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"
    assert str(highlight("北京 jobs", query_tokens(["北京"]))) == "<mark>北京</mark> jobs"
    assert str(highlight(None, tokens)) == ""


def test_form_parsing_and_word_diff() -> None:
    form = parse([("q", "dubai"), ("site", "m1"), ("site", "m2"), ("min_risk", ""), ("seen_until", "2026-11-01")])
    assert form.params.site == ["m1", "m2"] and form.params.min_risk is None
    assert form.params.seen_until == datetime(2026, 11, 1, 23, 59, 59, 999999, tzinfo=UTC)
    with pytest.raises(BadSearch) as error:
        parse([("indicator", "$where")])
    assert error.value.param == "indicator"
    assert word_diff("a b c", "a x c") == [("same", "a "), ("del", "b"), ("ins", "x"), ("same", " c")]
    assert _folder("../../etc/passwd", set()) == "etc_passwd"
    taken = {"a_b"}
    assert _folder("a:b", taken) == "a_b-2"
