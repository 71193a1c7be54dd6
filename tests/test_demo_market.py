"""The demo marketplace generator and its JavaScript variant: determinism, counts, links, revisions, plants."""

from __future__ import annotations

import difflib
import html
import json
import re
import shutil
import subprocess
from datetime import datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import pytest
from parsel import Selector
from protego import Protego

from crawler.demo import market, market_js
from crawler.demo.base import REFERENCE_NOW, BuildOptions
from crawler.demo.world import PHONE_STYLES, format_phone, recruiters
from crawler.plugins import get_plugin_manager
from crawler.profiles import SiteProfile
from crawler.testkit import diff_listings, extract, html_response

BASE = "http://127.0.0.1:8472"
SITE = "demo-market"


@pytest.fixture(scope="module")
def platform() -> market.Marketplace:
    return market.build(BuildOptions())


@pytest.fixture(scope="module")
def pages(platform: market.Marketplace) -> dict:
    return platform.pages()


@pytest.fixture(scope="module")
def truth(platform: market.Marketplace) -> dict[str, dict]:
    return {item["native_id"]: item for item in platform.truth(BASE, SITE)}


def _key(href: str) -> str:
    parts = urlsplit(href)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _links(body: bytes) -> list[str]:
    selector = Selector(text=body.decode("utf-8"))
    hrefs = selector.css("a::attr(href), link::attr(href)").getall()
    return [h for h in hrefs if not h.startswith(("mailto:", "tel:", "#"))]


def _robots(pages: dict) -> Protego:
    return Protego.parse(pages["/robots.txt"].body.decode())


# ---------------------------------------------------------------------------
# The plain marketplace
# ---------------------------------------------------------------------------


def test_same_options_give_identical_pages_and_truth(pages: dict, platform: market.Marketplace) -> None:
    again = market.build(BuildOptions())
    assert again.pages() == pages
    assert again.truth(BASE, SITE) == platform.truth(BASE, SITE)
    assert market.build(BuildOptions(seed=8)).pages() != pages


def test_exact_counts_at_scale_1(platform: market.Marketplace, pages: dict, truth: dict) -> None:
    assert [(c.name, c.slug, len(c.ads), c.page_count) for c in platform.categories] == [
        ("Jobs", "jobs", 30, 3),
        ("Housing", "housing", 30, 3),
        ("Services", "services", 30, 3),
        ("For sale", "for-sale", 30, 3),
    ]
    assert len(truth) == 120
    assert {t["kind"] for t in truth.values()} == {"ad"}
    kinds = {"home": 0, "results": 0, "ad": 0, "user": 0, "other": 0}
    for path in pages:
        kind = (
            "home" if path == "/" else "results" if path.startswith("/c/") else "ad" if path.startswith("/ad/")
            else "user" if path.startswith("/user/") else "other"
        )  # fmt: skip
        kinds[kind] += 1
    assert kinds == {"home": 1, "results": 12, "ad": 120, "user": 56, "other": 4}  # other: robots + 3 static
    planted = [t for t in truth.values() if t.get("_truth", {}).get("persons")]
    assert len(planted) == 15
    assert sorted(t["category"] for t in planted) == ["Jobs"] * 12 + ["Services"] * 3
    assert len([t for t in truth.values() if "repost_of" in t.get("_truth", {})]) == 4
    assert len([t for t in truth.values() if "posted_at_tolerance_s" in t.get("_truth", {})]) == 8
    assert len([a for a in platform.ads if a.posted_attr is None]) == 21
    currencies = [t["price"]["currency"] for t in truth.values()]
    assert {c: currencies.count(c) for c in set(currencies)} == {
        "EUR": 44, "GBP": 21, "RON": 10, "PLN": 14, "USD": 10, None: 21,
    }  # fmt: skip
    assert (
        sorted(t["price"]["raw"] for t in truth.values() if not t["price"]["amount"])
        == ["Free"] * 4 + ["Negotiable"] * 17
    )


def test_scale_multiplies_categories() -> None:
    bigger = market.build(BuildOptions(scale=3))
    assert len(bigger.categories) == 12
    assert len(bigger.ads) == 360
    assert len({c.slug for c in bigger.categories}) == 12
    assert len([a for a in bigger.ads if a.persons]) == 45


def test_every_link_resolves_except_robots_disallowed(pages: dict) -> None:
    robots = _robots(pages)
    disallowed: set[str] = set()
    for path, page in pages.items():
        if not page.content_type.startswith("text/html"):
            continue
        for href in _links(page.body):
            key = _key(href)
            if key in pages:
                continue
            assert not robots.can_fetch(BASE + key, "*"), f"{path} links to {href}, which is not served"
            disallowed.add(key.split("?")[0])
    assert disallowed == {"/search", "/account/login"}


def test_robots_allows_every_listing(pages: dict, truth: dict) -> None:
    robots = _robots(pages)
    assert all(robots.can_fetch(t["url"], "*") for t in truth.values())
    assert not robots.can_fetch(BASE + "/search?q=flat", "*")
    assert not robots.can_fetch(BASE + "/account/login", "*")


def test_page_sizes_are_realistic(pages: dict) -> None:
    sizes = [len(p.body) for path, p in pages.items() if path.startswith(("/c/", "/ad/"))]
    assert min(sizes) > 5_000 and max(sizes) < 20_000


def test_revision_1_edits_a_fixed_subset_only(pages: dict, truth: dict, platform: market.Marketplace) -> None:
    revised = market.build(BuildOptions(revision=1))
    assert revised.edited == ["a10014", "a10020", "a10070", "a10148", "a10263", "a10300"]
    new_truth = {t["native_id"]: t for t in revised.truth(BASE, SITE)}
    assert set(new_truth) == set(truth)
    assert sorted(i for i in truth if truth[i] != new_truth[i]) == revised.edited
    changed_fields = {
        f for i in revised.edited for f in truth[i] if truth[i][f] != new_truth[i][f]
    }  # a price or a description, nothing else
    assert changed_fields <= {"price", "body"} and changed_fields
    new_pages = revised.pages()
    assert set(new_pages) == set(pages)
    changed = {path for path in pages if pages[path] != new_pages[path]}
    edited_paths = {f"/ad/{i}" for i in revised.edited}
    result_pages = {
        c.page_path(n // market.PER_PAGE + 1)
        for c in platform.categories
        for n, ad in enumerate(c.ads)
        if ad.id in revised.edited
    }
    assert edited_paths <= changed <= edited_paths | result_pages


def test_recruiter_phones_appear_in_several_forms(truth: dict) -> None:
    shown: dict[str, set[str]] = {}
    for person in recruiters():
        forms = {format_phone(person.phone, style) for style in PHONE_STYLES}
        for item in truth.values():
            text = "\n".join([item["body"], *item["contacts"]["raw"]])
            shown.setdefault(person.key, set()).update(f for f in forms if f in text)
    assert all(len(forms) >= 2 for forms in shown.values()), shown
    assert len([k for k, forms in shown.items() if forms]) == 6


def test_planted_ads_carry_their_recruiter(truth: dict) -> None:
    people = {p.key: p for p in recruiters()}
    for item in truth.values():
        for key in item.get("_truth", {}).get("persons", []):
            person = people[key]
            text = "\n".join([item["body"], *item["contacts"]["raw"]])
            forms = {format_phone(person.phone, style) for style in PHONE_STYLES}
            assert any(f in text for f in forms) or f"@{person.telegram}" in text


def test_reposts_are_near_duplicates_by_another_account(truth: dict) -> None:
    for item in truth.values():
        original_id = item.get("_truth", {}).get("repost_of")
        if not original_id:
            continue
        original = truth[original_id]
        assert original["author"]["id"] != item["author"]["id"]
        assert original["title"] == item["title"]
        assert original.get("_truth", {}).get("persons", []) == item["_truth"]["persons"]
        assert difflib.SequenceMatcher(None, original["body"], item["body"]).ratio() > 0.9
        assert any(original[f] != item[f] for f in ("body", "price", "contacts", "location"))


def test_hostile_text_is_escaped(pages: dict, truth: dict) -> None:
    for page in pages.values():
        assert b"<script>alert" not in page.body
        assert b"<img src=x" not in page.body
        assert b"Injected</h1>" not in page.body
    bodies = "\n".join(t["body"] for t in truth.values())
    assert "<script>alert('pwned')</script>" in bodies
    assert '</div></section><h1 class="ad-title">Injected</h1>' in bodies
    assert any(t["title"].endswith("<b>URGENT</b>") for t in truth.values())


def test_structured_data_agrees_with_the_truth(pages: dict, truth: dict) -> None:
    for native_id, item in truth.items():
        selector = Selector(text=pages[f"/ad/{native_id}"].body.decode())
        data = json.loads(selector.css('script[type="application/ld+json"]::text').get())
        assert data["@type"] == "Product" and data["name"] == item["title"] and data["sku"] == native_id
        if item["price"]["amount"] is not None:
            assert float(data["offers"]["price"]) == item["price"]["amount"]
        assert selector.css('meta[property="og:title"]::attr(content)').get() == item["title"]


def test_relative_dates_follow_the_build_time(platform: market.Marketplace, pages: dict, truth: dict) -> None:
    later = market.build(BuildOptions(now=REFERENCE_NOW + timedelta(days=2)))
    later_truth = {t["native_id"]: t for t in later.truth(BASE, SITE)}
    for ad in platform.ads:
        before = datetime.fromisoformat(truth[ad.id]["posted_at"])
        after = datetime.fromisoformat(later_truth[ad.id]["posted_at"])
        assert (after - before) == (timedelta(days=2) if ad.relative else timedelta())
    assert later.pages() == pages  # the page shows "3 days ago" either way


# ---------------------------------------------------------------------------
# The JavaScript variant
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app() -> market_js.MarketJS:
    return market_js.build(BuildOptions())


@pytest.fixture(scope="module")
def app_pages(app: market_js.MarketJS) -> dict:
    return app.pages()


JS_BASE = "http://127.0.0.1:8474"


def test_js_variant_is_deterministic_with_exact_counts(app: market_js.MarketJS, app_pages: dict) -> None:
    assert market_js.build(BuildOptions()).pages() == app_pages
    truth = app.truth(JS_BASE, "demo-market-js")
    assert len(truth) == 23
    assert len([t for t in truth if t.get("_truth", {}).get("persons")]) == 5
    assert len(app_pages) == 77  # with the infinite-scroll /feed
    assert sorted(p for p in app_pages if p.startswith("/api/ads")) == ["/api/ads?page=1", "/api/ads?page=2"]
    assert app_pages["/api/ads?page=1"].content_type == "application/json"


def test_js_json_holds_every_truth_ad(app: market_js.MarketJS, app_pages: dict) -> None:
    truth = {t["native_id"]: t for t in app.truth(JS_BASE, "demo-market-js")}
    listed = {}
    for number in (1, 2):
        data = json.loads(app_pages[f"/api/ads?page={number}"].body)
        listed.update({ad["id"]: ad for ad in data["ads"]})
    assert set(listed) == set(truth)
    for native_id, item in truth.items():
        assert JS_BASE + listed[native_id]["url"] == item["url"]
        assert listed[native_id]["url"] in app_pages
        ad = json.loads(app_pages[f"/api/ad/{native_id}"].body)
        assert ad["title"] == item["title"]
        assert ad["price"] == item["price"]["raw"]
        assert "\n".join(ad["description"]) == item["body"]
        assert dict(ad["attributes"]) == item["extra"]["attributes"]
        assert [c["text"] for c in ad["contacts"]] == item["contacts"]["raw"]
        assert JS_BASE + ad["seller"]["url"] == item["author"]["url"]
        assert ad["seller"]["url"] in app_pages
        assert ad["category"]["name"] == item["category"]


def test_js_initial_html_holds_no_ads(app: market_js.MarketJS, app_pages: dict) -> None:
    titles = [t["title"] for t in app.truth(JS_BASE, "demo-market-js")]
    robots = _robots(app_pages)
    for path, page in app_pages.items():
        if not page.content_type.startswith("text/html"):
            continue
        text = page.body.decode()
        assert not Selector(text=text).css("div.listing-card, h1.ad-title, article.ad"), path
        assert not [t for t in titles if t in text or html.escape(t) in text], path
        for href in _links(page.body):
            assert _key(href) in app_pages or not robots.can_fetch(JS_BASE + _key(href), "*")


# A minimal DOM for node: enough for the app's script (createElement, attributes, text, appendChild).
_NODE_DOM = r"""
const vm = require("vm");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const esc = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const VOID = new Set(["img", "br", "input", "meta", "link"]);
class Text { constructor(t) { this.data = String(t); } html() { return esc(this.data); } }
class El {
  constructor(tag) { this.tag = tag; this.attrs = new Map(); this.children = []; }
  setAttribute(n, v) { this.attrs.set(n, String(v)); }
  getAttribute(n) { return this.attrs.has(n) ? this.attrs.get(n) : null; }
  appendChild(c) { this.children.push(c); return c; }
  set textContent(t) { this.children = t ? [new Text(t)] : []; }
  inner() { return this.children.map((c) => c.html()).join(""); }
  html() {
    const attrs = [...this.attrs].map(([n, v]) => ` ${n}="${esc(v).replace(/"/g, "&quot;")}"`).join("");
    return VOID.has(this.tag) ? `<${this.tag}${attrs}>` : `<${this.tag}${attrs}>${this.inner()}</${this.tag}>`;
  }
}
async function render(path) {
  const url = new URL(path, "http://app.test");
  const app = new El("main");
  const body = new El("body");
  body.setAttribute("data-site", input.site);
  const document = {
    title: "", body, getElementById: (id) => (id === "app" ? app : null),
    createElement: (t) => new El(t), createTextNode: (t) => new Text(t),
  };
  const fetch = async (u) => {
    const found = input.api[u];
    return { ok: found !== undefined, status: found === undefined ? 404 : 200, json: async () => JSON.parse(found) };
  };
  const window = { location: { pathname: url.pathname, search: url.search } };
  vm.runInNewContext(input.script, { document, window, fetch, URLSearchParams });
  for (let i = 0; i < 100 && app.getAttribute("data-ready") === null; i++) await new Promise((r) => setImmediate(r));
  return { ready: app.getAttribute("data-ready"), html: app.inner() };
}
(async () => {
  const out = {};
  for (const path of input.render) out[path] = await render(path);
  process.stdout.write(JSON.stringify(out));
})();
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the app's script")
def test_js_app_renders_the_truth_for_the_extractor(app: market_js.MarketJS, app_pages: dict) -> None:
    shells = [p for p, page in app_pages.items() if p == "/" or p.startswith(("/?", "/ad.html"))]
    shell = app_pages["/"].body.decode()
    script = re.search(r"<script>(.*?)</script>", shell, re.S).group(1)
    api = {p: page.body.decode() for p, page in app_pages.items() if p.startswith("/api/")}
    payload = json.dumps({"script": script, "api": api, "render": shells, "site": "Bazario"})
    done = subprocess.run(["node", "-e", _NODE_DOM], input=payload, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    rendered = json.loads(done.stdout)
    assert {r["ready"] for r in rendered.values()} == {"1"}

    pm = get_plugin_manager()
    profile = SiteProfile(
        name="demo-market-js", platform_type="marketplace", start_urls=[JS_BASE + "/"], timezone=market.TIMEZONE
    )
    now = format_datetime(REFERENCE_NOW, usegmt=True)
    found, cards = [], set()
    for path in shells:
        body = app_pages[path].body.decode()
        head, rest = body.split('<main class="container" id="app">', 1)
        tail = rest.split("</main>", 1)[1]
        body = f'{head}<main class="container" id="app" data-ready="1">{rendered[path]["html"]}</main>{tail}'
        response = html_response(JS_BASE + path, body).replace(headers={"Date": now})
        if path.startswith("/ad.html"):
            found.extend(extract(pm, response, profile, "ad"))
        else:
            cards.update(response.css("div.listing-card a.listing-link::attr(href)").getall())
            assert all(_key(h) in app_pages for h in response.css("nav.pagination a::attr(href)").getall())
    assert diff_listings(app.truth(JS_BASE, "demo-market-js"), found) == []
    assert cards == {p for p in app_pages if p.startswith("/ad.html")}
