"""The dashboard, /: listings collected per day and site (from crawl runs), indicators per category and day,
top linked entities, latest runs with their alerts; every asset it references served locally; and its charts
drawn by the vendored Chart.js in Chromium under the strict CSP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from playwright.sync_api import sync_playwright
from pymongo.database import Database
from scrapy.settings import Settings

from crawler.browser import CHROMIUM_ARGS, chromium_path
from crawler.models import Listing
from crawler.monitoring.store import record_alerts, record_review
from crawler.query.dashboard import dashboard
from crawler.scheduling.schedule import Schedule
from crawler.scheduling.scheduler import ScheduledSite, sync_schedules
from crawler.storage import embedded, runs
from crawler.storage.entities import upsert as upsert_entities
from crawler.storage.schema import RUNS, ensure_indexes
from crawler.storage.writer import ListingWriter, Pending
from tests.conftest import MongoServer, run_cli
from tests.test_web_browser import _start_server
from tests.webapp import Web, running_app, signed_in

TODAY = datetime.now(UTC).date()
P1, P2, E1, E2 = "+447700900111", "+447700900222", "jobs@agency.example", "old@gone.example"
CONTROL = {"id": "passport_held", "category": "control"}
TRAVEL = {"id": "visa_paid", "category": "travel_documents"}
FAILED = {
    "check": "run_failed",
    "severity": "critical",
    "subject": None,
    "value": None,
    "baseline": None,
    "message": "The run failed (<b>login</b>): check the log.",
}
COVERAGE = {
    "check": "coverage_drop",
    "severity": "warning",
    "subject": "ad.posted_at",
    "value": 0.1,
    "baseline": 0.98,
    "message": "posted_at was found on 10% of s1's ad listings.",
}


def midnight(days_ago: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(), UTC)


def _listing(
    site: str, native_id: str, posted: datetime, indicators: list[dict[str, str]] = (), **contacts: Any
) -> Listing:
    return Listing.model_validate(
        {
            "site": site,
            "platform_type": "marketplace",
            "kind": "ad",
            "url": f"http://127.0.0.1/{site}/{native_id}",
            "native_id": native_id,
            "title": f"ad {native_id}",
            "posted_at": posted,
            "indicators": list(indicators),
            "contacts": {k: v for k, v in contacts.items()},
        }
    )


def _write(db: Database, seen_at: datetime, listings: list[Listing]) -> None:
    result = ListingWriter(db).write([Pending(item, seen_at, "run") for item in listings])
    upsert_entities(db, (doc for doc, _ in result.stored))


def _run(
    db: Database,
    run_id: str,
    site: str,
    started: datetime,
    stats: dict[str, int],
    reason: str = "finished",
    alerts: list[dict[str, Any]] = (),
    crawl_id: str | None = None,
) -> None:
    """A run recorded by the storage layer's own calls; then moved to the day the test needs."""
    runs.start(db, run_id, site, None, None, Settings())
    runs.finish(db, run_id, stats, reason, 0)
    db[RUNS].update_one(
        {"_id": run_id}, {"$set": {"started_at": started, **({"crawl_id": crawl_id} if crawl_id else {})}}
    )
    run = db[RUNS].find_one({"_id": run_id})
    record_review(db, run_id, {"alerts": list(alerts)})
    record_alerts(db, run, list(alerts), started)


def fill(db: Database) -> None:
    ensure_indexes(db)
    now = datetime.now(UTC)
    _write(
        db,
        now,
        [
            _listing("s1", "1", midnight(2), [CONTROL], phones=[P1]),
            _listing("s1", "2", midnight(2) + timedelta(hours=5), [TRAVEL, CONTROL], phones=[P2]),
            _listing("s2", "3", midnight(0), [TRAVEL], phones=[P1], emails=[E1]),
            _listing("s3", "4", midnight(0), [], phones=[P1], emails=[E1], handles=["telegram:solo"]),
            _listing("s3", "6", midnight(1), [], phones=[P2]),
        ],
    )
    # Outside the 14-day window: a flagged listing posted 20 days ago, and an entity last seen 30 days ago.
    _write(db, midnight(20), [_listing("s2", "5", midnight(20), [CONTROL])])
    _write(
        db,
        midnight(30),
        [_listing("s1", "7", midnight(30), emails=[E2]), _listing("s2", "8", midnight(30), emails=[E2])],
    )
    sync_schedules(db, [ScheduledSite("s4", Schedule.model_validate("every 1h"), "UTC")], [])
    new = "trawler/listings_new"
    _run(db, "s1-a", "s1", midnight(2) + timedelta(hours=10), {new: 2, "trawler/listings_extracted": 2})
    _run(
        db, "s1-b", "s1", midnight(1) + timedelta(hours=3), {new: 0, "trawler/listings_extracted": 2}, alerts=[COVERAGE]
    )
    _run(db, "s3-a", "s3", midnight(1) + timedelta(hours=4), {new: 2, "trawler/listings_extracted": 2})
    _run(db, "s2-a", "s2", midnight(0), {new: 1, "trawler/listings_extracted": 1})
    _run(db, "s2-w1", "s2", midnight(0) + timedelta(seconds=1), {new: 5}, crawl_id="s2-crawl")  # a worker's share
    _run(
        db,
        "s4-a",
        "s4",
        midnight(0) + timedelta(seconds=2),
        {"spider_exceptions/count": 1},
        reason="login_failed",
        alerts=[FAILED],
    )
    _run(db, "s1-old", "s1", midnight(20), {new: 9})


@pytest.fixture
def web(mongo: MongoServer, db: Database, tmp_path: Path) -> Iterator[Web]:
    fill(db)
    yield from running_app(mongo, db, tmp_path)


def _table(doc: Any, table_id: str) -> list[list[str]]:
    table = doc.xpath(f"//table[@id='{table_id}']")[0]
    return [[" ".join(c.text_content().split()) for c in row.xpath("./th|./td")] for row in table.xpath(".//tr")]


def _day(days_ago: int) -> str:
    return (TODAY - timedelta(days=days_ago)).isoformat()


def test_the_query_layer_answers_exactly(web: Web) -> None:
    board = dashboard(web.db, days=3, now=datetime.combine(TODAY, time(23, 59), UTC))
    assert board.sites == ["s1", "s2", "s3", "s4"]
    assert board.collected.days == [TODAY - timedelta(days=n) for n in (2, 1, 0)]
    assert board.collected.series == {"s1": [2, 0, 0], "s2": [0, 0, 1], "s3": [0, 2, 0], "s4": [0, 0, 0]}
    assert board.indicators.series == {"control": [2, 0, 0], "travel_documents": [1, 0, 1]}
    assert [(e.id, e.site_count, e.listing_count) for e in board.top_entities] == [
        (f"phone:{P1}", 3, 3),
        (f"email:{E1}", 2, 2),
        (f"phone:{P2}", 2, 2),
    ]
    assert [(r.id, r.status, r.listings_new, [a.check for a in r.alerts]) for r in board.runs] == [
        ("s4-a", "failed", 0, ["run_failed"]),
        ("s2-a", "finished", 1, []),
        ("s3-a", "finished", 2, []),
        ("s1-b", "finished", 0, ["coverage_drop"]),
        ("s1-a", "finished", 2, []),
    ]
    with pytest.raises(ValueError):
        dashboard(web.db, days=0)


def test_the_page_shows_per_day_counts_indicators_top_entities_and_runs(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    response = client.get("/")
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.text)
    collected = _table(doc, "collected-table")
    assert collected[0] == ["Day", "s1", "s2", "s3", "s4"]
    assert collected[1:12] == [[_day(n), "0", "0", "0", "0"] for n in range(13, 2, -1)]
    assert collected[12:] == [
        [_day(2), "2", "0", "0", "0"],
        [_day(1), "0", "0", "2", "0"],
        [_day(0), "0", "1", "0", "0"],
        ["Total", "2", "1", "2", "0"],
    ]
    indicators = _table(doc, "indicators-table")
    assert indicators[0] == ["Day", "control", "travel_documents"]
    assert indicators[12:] == [[_day(2), "2", "1"], [_day(1), "0", "0"], [_day(0), "0", "1"], ["Total", "2", "2"]]
    top = [
        [" ".join(c.text_content().split()) for c in row.xpath("./td")] + row.xpath("./td[1]/a/@href")
        for row in doc.xpath("//table[@class='top-entities']/tbody/tr")
    ]
    assert top == [
        [P1, "phone", "3", "3", _day(0), f"/entities/phone:{P1}"],
        [E1, "email", "2", "2", _day(0), f"/entities/email:{E1}"],
        [P2, "phone", "2", "2", _day(0), f"/entities/phone:{P2}"],
    ]
    run_rows = [
        [" ".join(c.text_content().split()) for c in row.xpath("./td")]
        for row in doc.xpath("//table[@class='runs']/tbody/tr")
    ]
    assert [(r[0], r[1], r[2], r[4], r[5], r[7]) for r in run_rows] == [
        ("s4-a", "s4", "failed", "0", "0", "critical run_failed: The run failed (<b>login</b>): check the log."),
        ("s2-a", "s2", "finished", "1", "1", "none"),
        ("s3-a", "s3", "finished", "2", "2", "none"),
        (
            "s1-b",
            "s1",
            "finished",
            "0",
            "2",
            "warning coverage_drop (ad.posted_at): posted_at was found on 10% of s1's ad listings.",
        ),
        ("s1-a", "s1", "finished", "2", "2", "none"),
    ]
    assert "<b>login</b>" not in response.text and "&lt;b&gt;login&lt;/b&gt;" in response.text
    assert [e["params"] for e in web.audit("dashboard.view")] == [{"days": 14}]


def test_the_chart_data_is_inert_json_matching_the_tables(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    html = client.get("/", params={"days": 3}).text
    doc = lxml.html.fromstring(html)
    data = json.loads(doc.xpath("//script[@id='collected-data']/text()")[0])
    assert data == {
        "label": "new listings",
        "days": [_day(2), _day(1), _day(0)],
        "series": [
            {"name": "s1", "values": [2, 0, 0]},
            {"name": "s2", "values": [0, 0, 1]},
            {"name": "s3", "values": [0, 2, 0]},
            {"name": "s4", "values": [0, 0, 0]},
        ],
    }
    indicators = json.loads(doc.xpath("//script[@id='indicators-data']/text()")[0])
    assert indicators["series"] == [
        {"name": "control", "values": [2, 0, 0]},
        {"name": "travel_documents", "values": [1, 0, 1]},
    ]
    # The only scripts: two local files and two JSON data blocks; no inline code, no inline style.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == [
        '<script src="/static/vendor/chartjs/chart.umd.min.js" defer>',
        '<script src="/static/dashboard.js" defer>',
        '<script type="application/json" id="collected-data">',
        '<script type="application/json" id="indicators-data">',
    ]
    assert "style=" not in html and "<style" not in html
    assert [e["params"] for e in web.audit("dashboard.view")] == [{"days": 3}]
    assert client.get("/", params={"days": 91}).status_code == 422
    assert client.get("/", params={"days": '{"$gt": ""}'}).status_code == 422


def test_every_asset_the_pages_reference_is_served_locally(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    assets = set()
    for path in ("/", f"/entities/phone:{P1}"):
        doc = lxml.html.fromstring(client.get(path).text)
        assets |= {u for u in doc.xpath("//link/@href | //script/@src") if u}
    assert assets == {
        "/static/trawler.css",
        "/static/dashboard.css",
        "/static/entity.css",
        "/static/watchlists.css",  # the entity page's "watch this entity" form
        "/static/vendor/chartjs/chart.umd.min.js",
        "/static/dashboard.js",
    }
    anonymous = web.new_client()
    for asset in sorted(assets):
        response = anonymous.get(asset)
        assert response.status_code == 200, asset
    license_text = anonymous.get("/static/vendor/chartjs/LICENSE.md").text
    assert license_text.startswith("The MIT License (MIT)")


@pytest.fixture
def empty_web(mongo: MongoServer, db: Database, tmp_path: Path) -> Iterator[Web]:
    ensure_indexes(db)
    yield from running_app(mongo, db, tmp_path)


def test_an_empty_database_gives_an_empty_dashboard(empty_web: Web) -> None:
    web = empty_web
    client, _ = signed_in(web, "vic")
    html = client.get("/").text
    for text in (
        "No site has been crawled yet.",
        "No listing carries an indicator yet.",
        "No entity links listings on two sites in this window.",
        "No crawl run in this window.",
    ):
        assert text in html
    assert '<script type="application/json"' not in html


def test_the_charts_draw_in_chromium_under_the_csp(crawl_env: dict[str, str], db: Database, tmp_path: Path) -> None:
    assert db.name == crawl_env["MONGO_DATABASE"]
    fill(db)
    password = "dash-password-123"
    added = run_cli(
        ["users", "add", "dee", "--role", "viewer", "--password-env", "DEE_PASSWORD"],
        {**crawl_env, "DEE_PASSWORD": password},
    )
    assert added.returncode == 0, added.stderr
    port = embedded.free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(crawl_env, port)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda exc: problems.append(str(exc)))
            # Every error or warning (a CSP violation is one), except the browser's own request for /favicon.ico.
            page.on(
                "console",
                lambda msg: (
                    problems.append(f"{msg.text} {msg.location}")
                    if msg.type in ("error", "warning") and not msg.location.get("url", "").endswith("/favicon.ico")
                    else None
                ),
            )
            failed: list[str] = []
            page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
            page.goto(f"{base}/login")
            page.fill("#username", "dee")
            page.fill("#password", password)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{base}/")
            page.wait_for_selector("canvas#indicators-canvas[data-drawn='yes']")
            drawn = page.evaluate(
                "['collected-canvas', 'indicators-canvas'].map(id => { const c = document.getElementById(id).chart;"
                " return [c.config.type, c.data.labels.length,"
                " c.data.datasets.map(d => [d.label, d.data.reduce((a, b) => a + b, 0)])]; })"
            )
            assert drawn == [
                ["bar", 14, [["s1", 2], ["s2", 1], ["s3", 2], ["s4", 0]]],
                ["line", 14, [["control", 2], ["travel_documents", 2]]],
            ]
            size = page.evaluate("(c => [c.width, c.height])(document.getElementById('collected-canvas'))")
            assert size == [960, 288]  # the .chart box of dashboard.css (60rem by 18rem) in a 1280 px window
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            # The entity page behind the top entity: its SVG nodes are links the keyboard reaches.
            page.click(f"text={P1}")
            page.wait_for_url(f"{base}/entities/phone:{P1}")
            assert page.locator("h1").inner_text() == f"phone number {P1}"
            assert page.locator("svg.graph-svg a").count() == 6  # the phone, its 3 listings, their e-mail and handle
            assert page.locator("svg.timeline-svg a").count() == 3
            focused = page.evaluate(
                "(a => { a.focus(); return document.activeElement === a && a.getAttribute('href'); })"
                "(document.querySelector('svg.graph-svg a'))"
            )
            assert focused == f"/entities/phone:{P1}"
            page.screenshot(path=str(tmp_path / "entity.png"), full_page=True)
            assert failed == [] and problems == [], (failed, problems)
            browser.close()
    finally:
        server.terminate()
        server.wait(20)
