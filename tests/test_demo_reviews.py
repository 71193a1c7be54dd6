"""The "reviews" demo platform generator: determinism, sizes, links, revisions, planted recruiters."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urldefrag, urlsplit
from urllib.robotparser import RobotFileParser

import pytest

from crawler.demo.base import BuildOptions
from crawler.demo.reviews import REVIEWS_PER_PAGE, build
from crawler.demo.world import PHONE_STYLES, format_phone, recruiters

BASE = "http://127.0.0.1:8473"
SITE = "demo-reviews"
_HREF = re.compile(rb'<(?:a|link)\b[^>]*?\bhref="([^"]*)"')


@pytest.fixture(scope="module")
def site():
    return build(BuildOptions())


@pytest.fixture(scope="module")
def pages(site):
    return site.pages()


@pytest.fixture(scope="module")
def truth(site):
    return site.truth(BASE, SITE)


def robots(pages) -> RobotFileParser:
    parser = RobotFileParser()
    parser.parse(pages["/robots.txt"].body.decode().splitlines())
    return parser


def links(body: bytes) -> list[str]:
    out = []
    for raw in _HREF.findall(body):
        href = urldefrag(raw.decode().replace("&amp;", "&"))[0]
        if href.startswith("/"):
            out.append(href)
    return out


def test_build_is_deterministic(pages, truth):
    again = build(BuildOptions())
    assert again.pages() == pages
    assert again.truth(BASE, SITE) == truth


def test_other_seed_gives_another_site(pages):
    assert build(BuildOptions(seed=8)).pages() != pages


def test_exact_counts_at_scale_1(site, pages, truth):
    assert len(site.categories) == 3
    assert [c.scale for c in site.categories] == [5, 5, 10]
    assert len(site.businesses) == 21
    assert Counter(item["kind"] for item in truth) == {"business": 21, "review": 188}
    assert len(truth) == 209
    kinds = Counter(path.split("/")[1].split("?")[0] or "/" for path in pages)
    # latest: the latest-activity feed, 188 reviews at 20 a page
    assert kinds == {"/": 1, "robots.txt": 1, "categories": 1, "about": 1, "c": 6, "biz": 35, "user": 43, "latest": 10}
    assert len(pages) == 98
    assert sum(1 for item in truth if item.get("_truth", {}).get("persons")) == 12
    counts = sorted(len(b.reviews) for b in site.businesses)
    assert counts[0] == 0 and counts[-1] == 25
    assert max(b.review_pages for b in site.businesses) == 4


def test_scale_multiplies_the_site():
    bigger = build(BuildOptions(scale=3))
    assert len(bigger.categories) == 9
    assert len(bigger.businesses) == 63
    assert len({c.slug for c in bigger.categories}) == 9


def test_every_link_resolves_or_is_disallowed(pages):
    parser = robots(pages)
    disallowed_seen = set()
    for path, page in pages.items():
        if not page.content_type.startswith("text/html"):
            continue
        for href in links(page.body):
            if not parser.can_fetch("*", BASE + href):
                disallowed_seen.add(urlsplit(href).path)
                continue
            assert href in pages, f"{path} links to missing {href}"
    assert disallowed_seen == {"/write-review", "/login"}
    assert not any(not parser.can_fetch("*", BASE + p) for p in pages)


def test_truth_is_consistent(truth, pages):
    parser = robots(pages)
    ids = [item["_id"] for item in truth]
    assert len(ids) == len(set(ids))
    businesses = {item["_id"] for item in truth if item["kind"] == "business"}
    for item in truth:
        path = item["url"].removeprefix(BASE)
        assert path in pages and parser.can_fetch("*", item["url"])
        if item["kind"] == "review":
            assert item["parent_id"] in businesses
            assert item["rating"]["scale"] in (5.0, 10.0) and 0 <= item["rating"]["value"] <= 5


def test_pages_are_realistic_html(site, pages):
    sizes = [len(page.body) for path, page in pages.items() if path.startswith(("/biz/", "/c/"))]
    assert min(sizes) > 5_000 and max(sizes) < 20_000
    first = site.businesses[0]
    body = pages[first.page_path(1)].body.decode()
    assert '<h1 class="biz-name">' in body and "application/ld+json" in body and '"AggregateRating"' in body
    hotel = next(b for b in site.businesses if b.category.scale == 10 and b.reviews)
    assert re.search(r'class="review-score">\d+/10<', pages[hotel.page_path(1)].body.decode())


def test_generated_text_is_escaped(pages):
    joined = b"\n".join(page.body for page in pages.values())
    assert b"alert(" in joined
    assert b"<script>alert" not in joined
    assert b"&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in joined
    assert b"<img src=x" not in joined
    assert b"M\xc3\xbcller &amp; S\xc3\xb6hne &quot;Wellness&quot; &lt;Spa&gt;" in joined


def test_dates_languages_and_owner_responses(site, truth):
    reviews = site.reviews
    assert Counter(r.date_mode for r in reviews) == {"time": 163, "text": 15, "relative": 10}
    assert {"en", "de", "fr", "ro"} <= {r.language for r in reviews}
    relative = [item for item in truth if item.get("_truth", {}).get("posted_at_tolerance_s")]
    assert len(relative) == 10
    assert sum(1 for item in truth if "owner_response" in item.get("extra", {})) == 49


def test_relative_dates_follow_now():
    from datetime import UTC, datetime

    a = build(BuildOptions(now=datetime(2026, 11, 1, 12, 0, tzinfo=UTC)))
    b = build(BuildOptions(now=datetime(2027, 1, 1, 12, 0, tzinfo=UTC)))
    assert a.pages() == b.pages()
    moved = [
        (x, y)
        for x, y in zip(a.truth(BASE, SITE), b.truth(BASE, SITE), strict=True)
        if x.get("posted_at") != y.get("posted_at")
    ]
    assert len(moved) == 10
    assert all(x["_truth"]["posted_at_tolerance_s"] for x, _ in moved)


def test_revision_edits_a_fixed_subset(site, pages, truth):
    edited_site = build(BuildOptions(revision=1))
    assert edited_site.edited == build(BuildOptions(revision=1)).edited
    assert len(edited_site.edited) == 10
    old = {item["_id"]: item for item in truth}
    new = {item["_id"]: item for item in edited_site.truth(BASE, SITE)}
    assert old.keys() == new.keys()
    changed = {key for key in old if old[key] != new[key]}
    assert changed == {f"{SITE}:{kind}:{native_id}" for kind, native_id in edited_site.edited}
    for key in changed:
        diff = {f for f in old[key] if old[key][f] != new[key][f]}
        assert diff == {"body"}
    # Only the pages showing an edited listing change.
    related = set()
    by_slug = {b.slug: b for b in edited_site.businesses}
    by_review = {r.id: r for r in edited_site.reviews}
    for kind, native_id in edited_site.edited:
        if kind == "business":
            business = by_slug[native_id]
            related |= {business.page_path(p) for p in range(1, business.review_pages + 1)}
        else:
            review = by_review[native_id]
            related.add(review.business.page_path(review.business.page_of(review)))
    new_pages = edited_site.pages()
    assert new_pages.keys() == pages.keys()
    assert {path for path in pages if pages[path] != new_pages[path]} == related


def test_planted_recruiters(site, pages, truth):
    joined = b"\n".join(page.body for page in pages.values()).decode()
    planted = [item for item in truth if item.get("_truth", {}).get("persons")]
    keys = {key for item in planted for key in item["_truth"]["persons"]}
    assert keys == {"R2", "R3", "R4"}
    by_key = {p.key: p for p in recruiters()}
    for key in keys:
        forms = {style for style in PHONE_STYLES if format_phone(by_key[key].phone, style) in joined}
        assert len(forms) >= 2, (key, forms)
    agencies = [item for item in planted if item["kind"] == "business"]
    assert len(agencies) == 3 and all(item["category"] == "Employment agencies" for item in agencies)
    for agency in agencies:
        phone = by_key[agency["_truth"]["persons"][0]].phone
        displayed = agency["contacts"]["raw"][0]
        assert displayed in {format_phone(phone, s) for s in PHONE_STYLES}
        assert displayed not in (format_phone(phone, "international"), format_phone(phone, "national"))
    exploitation = [item for item in planted if item["kind"] == "review" and item["rating"]["raw"] == 1.0]
    assert len(exploitation) == 6
    assert len({item["language"] for item in exploitation}) >= 3
    assert any("passport" in item["body"] or "Pass" in item["body"] for item in exploitation)
    share = len(planted) / len(truth)
    assert 0.04 < share < 0.15


def test_review_pages_hold_at_most_eight_reviews(site):
    for business in site.businesses:
        pages_used = Counter(business.page_of(r) for r in business.reviews)
        assert all(count <= REVIEWS_PER_PAGE for count in pages_used.values())


def test_latest_feed_links_every_row_to_its_review(site, pages):
    from crawler.demo.reviews import FEED_LIMIT, FEED_PER_PAGE

    feed = site.feed()
    assert len(feed) == min(len(site.reviews), FEED_LIMIT) == 188
    assert [r.posted_at for r in feed] == sorted((r.posted_at for r in site.reviews), reverse=True)[:FEED_LIMIT]
    rows = re.compile(rb'<li class="feed-item" data-review-id="(\d+)">.*?<a class="feed-review" href="([^"]+)"', re.S)
    seen = []
    for page in range(1, site.feed_pages + 1):
        found = rows.findall(pages[site.feed_path(page)].body)
        assert len(found) == min(FEED_PER_PAGE, len(feed) - (page - 1) * FEED_PER_PAGE)
        seen += found
    by_id = {r.id: r for r in site.reviews}
    assert [int(review_id) for review_id, _ in seen] == [int(r.id) for r in feed]
    for review_id, href in seen:
        review = by_id[review_id.decode()]
        path, anchor = href.decode().split("#")
        assert path == review.business.page_path(review.business.page_of(review))
        assert f'id="{anchor}"'.encode() in pages[path].body


def test_an_edit_marks_the_review_and_heads_the_feed_but_leaves_the_lists(site, pages):
    from crawler.demo.reviews import FEED_PER_PAGE

    edited = build(BuildOptions(change_fraction=0.01))
    by_id = {r.id: r for r in edited.reviews}
    changed = [by_id[native] for kind, native in edited.changed]
    assert {kind for kind, _ in edited.changed} == {"review"} and len(changed) == 2
    # Newest edit first, at the top of the feed; the rest of the feed keeps its order.
    assert edited.feed()[: len(changed)] == sorted(changed, key=lambda r: r.edited_at, reverse=True)
    assert [r.id for r in edited.feed()[len(changed) :]] == [
        r.id for r in site.feed() if r.id not in {c.id for c in changed}
    ][: len(edited.feed()) - len(changed)]
    new_pages = edited.pages()
    differ = {path for path in pages if pages[path] != new_pages[path]}
    review_pages = {r.business.page_path(r.business.page_of(r)) for r in changed}
    # Feed rows shift down from the top to where the edited reviews were: the pages after that stay the same.
    old_positions = [[r.id for r in site.feed()].index(review.id) for review in changed]
    shifted = max(old_positions) // FEED_PER_PAGE + 1
    assert differ == review_pages | {edited.feed_path(p) for p in range(1, shifted + 1)}
    assert differ.isdisjoint(path for path in pages if path.startswith(("/c/", "/categories")) or path == "/")
    for review in changed:
        body = new_pages[review.business.page_path(review.business.page_of(review))].body
        assert f'id="review-{review.id}"'.encode() in body and b'class="review-edited">Edited <time' in body
