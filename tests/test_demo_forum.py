"""The demo forum generator: determinism, sizes, links, robots, revisions, planted recruiters."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from parsel import Selector
from protego import Protego

from crawler.demo import forum
from crawler.demo.base import BuildOptions
from crawler.demo.world import PHONE_STYLES, format_phone, recruiters

BASE = "http://127.0.0.1:8471"
SITE = "demo-forum"


@pytest.fixture(scope="module")
def platform() -> forum.ForumPlatform:
    return forum.build(BuildOptions())


@pytest.fixture(scope="module")
def pages(platform: forum.ForumPlatform) -> dict:
    return platform.pages()


@pytest.fixture(scope="module")
def truth(platform: forum.ForumPlatform) -> list[dict]:
    return platform.truth(BASE, SITE)


@pytest.fixture(scope="module")
def robots(pages: dict) -> Protego:
    return Protego.parse(pages["/robots.txt"].body.decode())


def _html_pages(pages: dict) -> dict[str, str]:
    return {
        path: page.body.decode("utf-8") for path, page in pages.items() if page.content_type.startswith("text/html")
    }


def test_build_is_deterministic(pages: dict, truth: list[dict]) -> None:
    again = forum.build(BuildOptions())
    assert again.pages() == pages
    assert again.truth(BASE, SITE) == truth
    other_seed = forum.build(BuildOptions(seed=8)).pages()
    assert other_seed["/"].body != pages["/"].body


def test_sizes_at_scale_1(platform: forum.ForumPlatform, pages: dict, truth: list[dict]) -> None:
    assert [b.name for b in platform.boards] == ["Jobs abroad", "Travel & visas", "Off-topic (Deutsch)"]
    assert [len(b.topics) for b in platform.boards] == [8, 8, 8]
    assert len(platform.posts) == 341
    assert Counter(path.split("?")[0] for path in pages) == {
        "/viewtopic.php": 45,
        "/viewforum.php": 7,  # 1 category + 3 boards x 2 pages
        "/": 1,
        "/robots.txt": 1,
        "/app.php/help/faq": 1,
    }
    assert len(truth) == 365
    assert Counter(item["kind"] for item in truth) == {"thread": 24, "post": 341}
    assert len({item["_id"] for item in truth}) == 365
    sizes = [len(t.posts) for t in platform.topics]
    assert min(sizes) == 1 and max(sizes) == 35
    assert max(len(t.page_starts) for t in platform.topics) == 4
    assert sum("persons" in item.get("_truth", {}) for item in truth) == 44
    assert sum(not post.has_time for post in platform.posts) == 32
    assert {post.topic.board.lang for post in platform.posts if not post.has_time} == {"de"}
    assert sum("posted_at_tolerance_s" in item.get("_truth", {}) for item in truth) == 6
    for path, page in pages.items():
        if path.startswith("/view"):
            assert 5_000 < len(page.body) < 30_000, path


def test_counts_do_not_depend_on_build_time() -> None:
    later = forum.build(BuildOptions(now=datetime(2027, 3, 1, 23, 50, tzinfo=UTC)))
    assert len(later.posts) == 341
    assert sum(not post.has_time for post in later.posts) == 32
    assert len(later.pages()) == 55


def test_scale_grows_boards() -> None:
    bigger = forum.build(BuildOptions(scale=3))
    assert len(bigger.categories) == 3
    assert len(bigger.boards) == 9
    assert len(bigger.topics) == 72
    assert {b.lang for b in bigger.boards} == {"en", "de", "ro"}


def test_every_link_resolves_or_is_disallowed(pages: dict, robots: Protego, platform) -> None:
    seen_disallowed: set[str] = set()
    members_only = platform.protected_pages()
    for path, html in _html_pages({**pages, **members_only}).items():
        for href in Selector(text=html).css("a::attr(href)").getall():
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                assert parts.netloc != "127.0.0.1", href
                continue  # external links (phpbb.com)
            if not parts.path:
                continue  # same-page anchors
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in pages or target in members_only:
                assert robots.can_fetch(BASE + target, "*"), target
            else:
                assert not robots.can_fetch(BASE + target, "*"), f"{path} links to missing {target}"
                seen_disallowed.add(target)
    assert "/search.php?search_id=active_topics" in seen_disallowed
    assert "/ucp.php?mode=login&redirect=index.php" in seen_disallowed
    index_links = Selector(text=pages["/"].body.decode()).css("a::attr(href)").getall()
    assert any(link.startswith("/search.php?") for link in index_links)
    assert any(link.startswith("/ucp.php?mode=login") for link in index_links)


def test_truth_urls_are_served_and_allowed(pages: dict, truth: list[dict], robots: Protego) -> None:
    for item in truth:
        parts = urlsplit(item["url"])
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        assert target in pages, item["url"]
        assert robots.can_fetch(item["url"], "*")
    assert not any(path.startswith(("/search.php", "/ucp.php", "/memberlist.php")) for path in pages)


def test_generated_text_is_escaped(pages: dict, truth: list[dict]) -> None:
    html = "".join(_html_pages(pages).values())
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;you have won&#x27;)&lt;/script&gt;" in html
    assert "<b>URGENT</b>" not in html and "&lt;b&gt;URGENT&lt;/b&gt; &amp; more" in html
    assert any("<script>alert" in (item["body"] or "") for item in truth)


def test_dates_in_several_formats(pages: dict, platform: forum.ForumPlatform) -> None:
    html = "".join(_html_pages(pages).values())
    for fragment in (" hours ago</time>", " pm</time>", ", 2026 ", "gestern, ", "heute, ", "vor "):
        assert fragment in html, fragment
    texts = [forum.forum_pages.date_text(p, platform.options.now) for p in platform.posts if not p.has_time]
    assert any(". " in t and "2026" in t for t in texts)  # "09. März 2026 14:05"


def test_revision_1_edits_a_fixed_subset(platform: forum.ForumPlatform, pages: dict, truth: list[dict]) -> None:
    edited = forum.build(BuildOptions(revision=1))
    new_pages = edited.pages()
    assert set(new_pages) == set(pages)
    changed_pages = {path for path in pages if pages[path] != new_pages[path]}
    assert changed_pages == {post.page_path for post in platform.edited_posts}
    assert len(platform.edited_posts) == 17
    old = {item["_id"]: item for item in truth}
    new = {item["_id"]: item for item in edited.truth(BASE, SITE)}
    assert set(old) == set(new)
    changed = {key for key in old if old[key] != new[key]}
    assert changed == platform.edited_ids(SITE)
    assert len(changed) == 18
    for key in changed:
        assert new[key]["body"].startswith(old[key]["body"])
        assert new[key]["body"].split("\n")[-1].startswith("EDIT:")


def test_recruiter_phones_appear_in_several_formats(pages: dict, truth: list[dict]) -> None:
    html = "".join(_html_pages(pages).values())
    by_key = {person.key: person for person in recruiters()}
    persons = Counter(key for item in truth for key in item.get("_truth", {}).get("persons", []))
    assert set(persons) == set(by_key)
    for key, person in by_key.items():
        shown = {style for style in PHONE_STYLES if format_phone(person.phone, style) in html}
        assert len(shown) >= 2, (key, shown)
    assert any("@" + p.telegram in html for p in by_key.values())
    for item in truth:
        assert item.get("contacts") is None  # a forum has no contact element: phones stay in the text


def test_threads_carry_first_post_fields(truth: list[dict]) -> None:
    by_id = {item["_id"]: item for item in truth}
    for item in truth:
        if item["kind"] != "post":
            continue
        thread = by_id[item["parent_id"]]
        assert item["category"] == thread["category"]
        if item["extra"]["post_number"] == 1:
            assert item["body"] == thread["body"]
            assert item["author"] == thread["author"]
            assert item["title"] == thread["title"]
        else:
            assert item["title"] == "Re: " + thread["title"]
