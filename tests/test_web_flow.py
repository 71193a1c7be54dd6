"""An analyst's path through the web page, in the system Chromium, over a real crawl of the demo platforms.

One crawl of the three demo platforms with the default plugins (a module fixture), the app of tests/webapp.py
served by uvicorn on a free port, and a browser driven with the keyboard and the mouse: log in, search a
recruiter's phone number written in a form the generator never uses, open their forum post, follow its phone
to the entity page, find their ads and front business on the other sites, open one, go back, search a word
and download the CSV export. Every expected value comes from the generator's ground truth
(``crawler.demo.contact_truth``, ``crawler.demo.search_truth``), never from the crawl's output.

A screenshot of each page (1280x800) is saved under the test's tmp dir as ``web-<page>.png``; when
``$TRAWLER_SCREENSHOTS_DIR`` is set, the search, listing and entity pages are also written there
(``TRAWLER_SCREENSHOTS_DIR=docs`` remakes the pictures of the README). No console error, no failed request
and no CSP violation may happen on the way.
"""

from __future__ import annotations

import csv
import itertools
import math
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import uvicorn
from playwright.sync_api import Page, sync_playwright
from pymongo.database import Database

from crawler.browser import CHROMIUM_ARGS, chromium_path
from crawler.demo.contact_truth import Planted, contact_book, own_text, planted_in
from crawler.demo.search_truth import has_words
from crawler.demo.server import build_all
from crawler.storage import embedded
from crawler.storage.schema import AUDIT_LOG
from crawler.web.links import entity_href, listing_href
from crawler.web.routes.api_query import search_params
from crawler.web.search_form import MANY, export_href, parse
from tests.conftest import MongoServer, crawl_demo, start_demo
from tests.webapp import PASSWORDS, add_accounts, make_app

SITES = ("demo-forum", "demo-market", "demo-reviews")
RECRUITER = "R3"  # the recruiter whose phone the generator writes on all three platforms
# Their phone as an analyst might type it: spacing and brackets the generator never writes.
TYPED_PHONE = "+40 (721) 234-567"
WORD = "passport"
VIEWPORT = {"width": 1280, "height": 800}
DOC_SHOTS = ("search", "listing", "entity")  # the pages pictured in README.md
# Link types the generator plants (a WhatsApp handle made of a phone number is the enricher's own addition).
PLANTED_TYPES = ("phone:", "email:", "handle:telegram:")
# Reports every CSP violation as a console error (Chromium reports some of them only as a DOM event).
CSP_WATCH = """
window.__cspWatch = true;
document.addEventListener('securitypolicyviolation',
  e => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
"""


@dataclass
class Flow:
    base: str
    db: Database
    truth: dict[str, dict[str, Any]]  # listing id -> ground-truth listing, of the crawled sites
    planted: dict[str, dict[str, str]]  # listing id -> {entity id: owner} of the contact values written in it
    book: list[Planted]

    def holding(self, entity: str) -> set[str]:
        return {i for i, values in self.planted.items() if entity in values}

    def phone_of(self, owner: str) -> Planted:
        return next(p for p in self.book if p.owner == owner and p.entity.startswith("phone:"))


def _serve(app: Any, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    return server, thread


@pytest.fixture(scope="module")
def flow(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    running = start_demo()
    name = "web_flow"
    client = mongo.client()
    try:
        crawl_demo(mongo, running, name, tmp_path_factory.mktemp("var"), list(SITES))
        truth = {item["_id"]: item for site, items in running.truth().items() if site in SITES for item in items}
        book = contact_book(build_all(running.options, tuple(running.server.urls)))
    finally:
        running.server.stop()
    planted = {listing_id: planted_in(item, book) for listing_id, item in truth.items()}
    db = client[name]
    add_accounts(db)
    port = embedded.free_port()
    server, thread = _serve(make_app(mongo, name, tmp_path_factory.mktemp("web")), port)
    try:
        yield Flow(f"http://127.0.0.1:{port}", db, truth, planted, book)
    finally:
        server.should_exit = True
        thread.join(20)
        client.drop_database(name)
        client.close()


# -- ground truth --------------------------------------------------------------------------------------------------


def _posted(item: dict[str, Any]) -> tuple[float, float]:
    """(posted time in epoch seconds, how far off the stored one may be); undated: first seen, after all."""
    if not item.get("posted_at"):
        return math.inf, 0.0
    tolerance = float((item.get("_truth") or {}).get("posted_at_tolerance_s", 0))
    return datetime.fromisoformat(item["posted_at"]).timestamp(), tolerance


def newest_first(flow: Flow, ids: set[str]) -> list[str]:
    """The order the search gives (newest first); the ids must be far enough apart in time to have one order."""
    ordered = sorted(ids, key=lambda i: (_posted(flow.truth[i])[0], i), reverse=True)
    for a, b in itertools.pairwise(ordered):
        (ta, tol_a), (tb, tol_b) = _posted(flow.truth[a]), _posted(flow.truth[b])
        assert ta - tb > tol_a + tol_b, f"{a} and {b}: too close in time to expect an order"
    return ordered


def assert_newest_first(flow: Flow, ids: list[str]) -> None:
    """Each listing posted no earlier than the next, give or take what relative dates ("3 hours ago") allow."""
    for a, b in itertools.pairwise(ids):
        (ta, tol_a), (tb, tol_b) = _posted(flow.truth[a]), _posted(flow.truth[b])
        assert ta + tol_a + tol_b >= tb, f"{a} before {b}"


# -- the browser ---------------------------------------------------------------------------------------------------


class Shots:
    """Screenshots of each page into the test's tmp dir; those of the README also into $TRAWLER_SCREENSHOTS_DIR."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        wanted = os.environ.get("TRAWLER_SCREENSHOTS_DIR")
        self.docs = Path(wanted) if wanted else None
        self.taken: list[str] = []

    def take(self, page: Page, name: str) -> None:
        image = page.screenshot()
        (self.tmp_path / f"web-{name}.png").write_bytes(image)
        if self.docs and name in DOC_SHOTS:
            self.docs.mkdir(parents=True, exist_ok=True)
            (self.docs / f"web-{name}.png").write_bytes(image)
        self.taken.append(name)


def _words(text: str) -> str:
    return " ".join(text.split())


def _result_ids(page: Page) -> list[str]:
    return page.locator("ol.result-list > li.result").evaluate_all("els => els.map(e => e.dataset.id)")


def _entity_rows(page: Page) -> list[str]:
    return page.locator("table.entity-listings tbody tr").evaluate_all("els => els.map(e => e.dataset.listing)")


def _search_with_keyboard(page: Page, field: str, text: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r".*/search$"))
    page.click(f"#{field}")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/search\?.*{field}="))


def test_an_analyst_follows_a_recruiter_across_the_platforms_and_exports(flow: Flow, tmp_path: Path) -> None:
    phone = flow.phone_of(RECRUITER)
    assert TYPED_PHONE not in phone.forms
    assert not any(TYPED_PHONE in own_text(item) for item in flow.truth.values())
    with_phone = flow.holding(phone.entity)
    by_site = {site: {i for i in with_phone if i.startswith(f"{site}:")} for site in SITES}
    assert all(by_site.values()), by_site  # the premise: the phone is on every platform
    post = min(i for i in by_site["demo-forum"] if ":post:" in i)
    business = next(i for i in by_site["demo-reviews"] if ":business:" in i)
    with_word = {i for i, item in flow.truth.items() if has_words(item, WORD)}
    assert len(with_word) > 20  # more than one page: the export must hold every match, not the page

    shots = Shots(tmp_path)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        context.add_init_script(CSP_WATCH)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        page.on(
            "console",
            lambda msg: (
                problems.append(f"console {msg.type}: {msg.text} {msg.location}")
                if msg.type in ("error", "warning") and not msg.location.get("url", "").endswith("/favicon.ico")
                else None
            ),
        )
        page.on(
            "response",
            lambda r: (
                problems.append(f"HTTP {r.status} {r.url}")
                if r.status >= 400 and not r.url.endswith("/favicon.ico")
                else None
            ),
        )
        base = flow.base

        # Log in with the keyboard: the username field has the focus, Tab moves on, Enter submits.
        page.goto(f"{base}/search")
        page.wait_for_url(f"{base}/login")
        assert page.evaluate("window.__cspWatch") is True
        assert page.evaluate("document.activeElement.id") == "username"
        shots.take(page, "login")
        page.keyboard.type("ann")
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORDS["ann"])
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/")
        assert _words(page.locator(".who").inner_text()) == "ann (analyst)"
        page.wait_for_selector("canvas#collected-canvas[data-drawn='yes']")
        shots.take(page, "dashboard")

        # The phone, typed as nobody wrote it, finds exactly the recruiter's listings, newest first.
        _search_with_keyboard(page, "contact", TYPED_PHONE)
        expected = newest_first(flow, with_phone)
        assert _result_ids(page) == expected
        assert page.locator("#results-h .total").inner_text() == str(len(expected))
        assert page.locator("details.filters").get_attribute("open") is None  # no filter set: kept closed
        for listing_id in expected:
            row = page.locator(f"li.result[data-id='{listing_id}']")
            assert _words(row.locator("h3").inner_text()) == _words(flow.truth[listing_id]["title"])
            assert row.locator("ul.meta > li").first.inner_text() == flow.truth[listing_id]["site"]
        shots.take(page, "search")

        # Their forum post: its contact links are exactly the values planted in it.
        page.locator(f"li.result[data-id='{post}'] h3 a").click()
        page.wait_for_url(f"{base}{listing_href(post)}")
        assert _words(page.locator("h1").inner_text()) == _words(flow.truth[post]["title"])
        linked = page.locator("section.contacts a.entity-link").evaluate_all(
            "els => els.map(a => decodeURIComponent(new URL(a.href).pathname.slice('/entities/'.length)))"
        )
        assert {e for e in linked if e.startswith(PLANTED_TYPES)} == set(flow.planted[post])
        shots.take(page, "listing")

        # Its phone's entity page lists every listing with the phone, oldest first, on all three platforms.
        number = phone.entity.split(":", 1)[1]
        page.locator("section.contacts").get_by_role("link", name=number, exact=True).click()
        page.wait_for_url(f"{base}{entity_href(phone.entity)}")
        assert _words(page.locator("h1").inner_text()) == f"phone number {number}"
        rows = _entity_rows(page)
        assert rows == expected[::-1]
        for site in ("demo-market", "demo-reviews"):
            assert {r for r in rows if r.startswith(f"{site}:")} == by_site[site]
        sites = page.locator("dl.entity-facts dd").nth(4).inner_text()
        assert _words(sites) == f"{len(expected)} on 3 sites: {', '.join(SITES)}"
        shots.take(page, "entity")

        # The recruiter's front business on the review site, and back.
        page.locator(f"tr[data-listing='{business}'] a").click()
        page.wait_for_url(f"{base}{listing_href(business)}")
        assert _words(page.locator("h1").inner_text()) == _words(flow.truth[business]["title"])
        assert page.locator("dl.fields code").first.inner_text() == business
        shots.take(page, "linked-listing")
        page.go_back()
        page.wait_for_url(f"{base}{entity_href(phone.entity)}")
        assert _entity_rows(page) == expected[::-1]

        # A word search, then its CSV export: every match (not only the page shown), exactly.
        _search_with_keyboard(page, "q", WORD)
        assert page.locator("#results-h .total").inner_text() == str(len(with_word))
        shown = _result_ids(page)
        assert len(shown) == 20 and set(shown) <= with_word
        export = page.get_by_role("link", name=f"Export all {len(with_word)} as CSV")
        assert export.get_attribute("href") == f"/api/v1/export?format=csv&q={WORD}"
        shots.take(page, "search-word")
        with page.expect_download() as download_info:
            export.click()
        download = download_info.value
        assert download.suggested_filename == "listings.csv"
        with open(download.path(), encoding="utf-8", newline="") as handle:
            exported = list(csv.DictReader(handle))
        assert sorted(r["id"] for r in exported) == sorted(with_word)
        assert_newest_first(flow, [r["id"] for r in exported])
        for row in exported:
            item = flow.truth[row["id"]]
            assert (row["site"], row["kind"], row["url"], row["title"]) == (
                item["site"], item["kind"], item["url"], item.get("title") or "",
            )  # fmt: skip
            phones = sorted(e.split(":", 1)[1] for e in flow.planted[row["id"]] if e.startswith("phone:"))
            assert sorted(row["phones"].lstrip("'").split()) == phones  # "'+44..": the spreadsheet formula guard

        assert problems == []
        # The watch itself works: a script the page did not ship is refused and reported.
        page.evaluate("document.body.append(Object.assign(document.createElement('script'), {text: '1'}))")
        deadline = time.monotonic() + 10
        while len(problems) < 2 and time.monotonic() < deadline:  # the reports arrive asynchronously
            page.wait_for_timeout(50)
        assert sorted(p.removeprefix("console error: ")[:38] for p in problems) == [
            "CSP violation: script-src-elem inline ",  # CSP_WATCH's report
            "Executing inline script violates the f",  # Chromium's own
        ], problems
        browser.close()

    assert shots.taken == ["login", "dashboard", "search", "listing", "entity", "linked-listing", "search-word"]
    assert all((tmp_path / f"web-{name}.png").stat().st_size > 10_000 for name in shots.taken)
    audited = [
        (e["action"], e["params"])
        for e in flow.db[AUDIT_LOG].find({"actor": "ann", "action": {"$in": ["export", "entity.view"]}}).sort("_id")
    ]
    assert audited == [
        ("entity.view", {"id": phone.entity}),
        ("entity.view", {"id": phone.entity}),  # the page again, after going back
        ("export", {"text": WORD, "format": "csv"}),
    ]


def test_the_export_link_asks_the_api_for_the_same_search_without_its_page() -> None:
    form = parse(
        [
            ("q", "visa paid"),
            ("site", "demo-forum"),
            ("site", "demo-market"),
            ("has_contacts", "true"),
            ("posted_until", "2026-09-30"),  # a bare day: the whole day
            ("min_risk", "1.5"),
            ("sort", "risk"),
            ("limit", "50"),
            ("cursor", "abc"),
        ]
    )
    link = export_href(form.params)
    assert link == (
        "/api/v1/export?format=csv&q=visa+paid&site=demo-forum&site=demo-market&min_risk=1.5&posted_until=2026-09-30T23%3A59%3A59.999999Z"
        + "&has_contacts=true&sort=risk"
    )
    query = parse_qs(urlsplit(link).query)
    assert query.pop("format") == ["csv"]
    asked = search_params(**{k: v if k in MANY else v[0] for k, v in query.items()})
    assert asked == form.params.model_copy(update={"limit": 20, "cursor": None})
