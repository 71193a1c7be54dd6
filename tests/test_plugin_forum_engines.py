"""The forum plugin beyond its demo preset: engine detection, the structured-data layer, the generic heuristics."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
from scrapy.http import HtmlResponse

from crawler.demo import forum
from crawler.demo.base import BuildOptions
from crawler.fixtures import Fixture, discover, run
from crawler.models import Listing
from crawler.plugins import get_plugin_manager
from crawler.profiles import SiteProfile
from crawler.testkit import diff_listings, extract, html_response
from plugins.forum import extractors, page_info
from plugins.forum.date_text import find_date, is_joined_label
from plugins.forum.dates import numeric_date, relative_day
from plugins.forum.detect import detect_engine
from plugins.forum.engines import ENGINES, MyBB, PhpBB, XenForo
from plugins.forum.generic import GenericForum, find_post_blocks
from plugins.forum.ids import page_number, post_id_from_url, topic_id_from_url, user_id_from_url
from plugins.forum.spider import ForumSpider

PM = get_plugin_manager()
FIXTURES = {f.path.name: f for f in discover(PM) if f.platform_type == "forum"}
PRESET_PAGES = {
    "xenforo-thread-first-page": "xenforo",
    "xenforo-thread-page-2": "xenforo",
    "discourse-topic-first-page": "discourse",
    "discourse-topic-page-2": "discourse",
    "mybb-thread-first-page": "mybb",
    "mybb-thread-page-2": "mybb",
    "phpbb-prosilver-topic-detected": "phpbb",
}
NO_PRESET_PAGES = (
    "nodebb-topic-microdata",
    "invision-topic-jsonld",
    "generic-handmade-board-ua",
    "generic-phpbb2-subsilver-de",
)
SCORED = ("title", "body", "author", "posted_at")
NOW = "Thu, 14 Mar 2024 10:00:00 GMT"


def _profile(**fields: object) -> SiteProfile:
    return SiteProfile.model_validate(
        {"name": "t", "platform_type": "forum", "start_urls": ["https://forum.example/"], "timezone": "UTC", **fields}
    )


def _page(url: str, html: str) -> HtmlResponse:
    response = html_response(url, html)
    response.headers[b"Date"] = NOW
    return response


def _with_engine(fixture: Fixture, engine: str | None) -> Fixture:
    return Fixture(**{**fixture.__dict__, "profile": {**fixture.profile, "engine": engine}})


# --- the corpus ------------------------------------------------------------------------------------------------


def test_corpus_covers_every_preset_and_both_fallback_layers() -> None:
    assert len(FIXTURES) >= 8
    assert set(PRESET_PAGES) | set(NO_PRESET_PAGES) <= set(FIXTURES)
    assert set(PRESET_PAGES.values()) == set(ENGINES)
    assert all("engine" not in f.profile for f in FIXTURES.values()), "fixtures rely on detection"


# --- detection -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "engine"), [*PRESET_PAGES.items(), *((n, None) for n in NO_PRESET_PAGES)])
def test_engine_detected_on_fixture_pages(name: str, engine: str | None) -> None:
    assert detect_engine(FIXTURES[name].response().selector.root) == engine


def test_demo_pages_are_detected_as_phpbb() -> None:
    platform = forum.build(BuildOptions())
    paths = ["/", "/viewforum.php?f=2", next(p for p in platform.pages() if p.startswith("/viewtopic.php"))]
    for path in paths:
        response = html_response(f"http://127.0.0.1:9{path}", platform.pages()[path].body)
        assert detect_engine(response.selector.root) == PhpBB.name, path


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><p>Nothing to see</p></body></html>",
        "<html><head><meta name='generator' content='WordPress 6.4'></head><body><article>Blog</article></body></html>",
        "<html><body><div class='post'>no id</div><div id='posts'><p>x</p></div></body></html>",
    ],
)
def test_unknown_pages_are_detected_as_none(html: str) -> None:
    assert detect_engine(html_response("https://example.org/", html).selector.root) is None


@pytest.mark.parametrize(
    ("name", "strip", "engine"),
    [
        ("xenforo-thread-first-page", ('id="XF"', 'id="XF-custom"'), "xenforo"),
        ("discourse-topic-page-2", ('name="generator"', 'name="x-generator"'), "discourse"),
        ("mybb-thread-page-2", ("/jscripts/general.js", "/js/general.min.js"), "mybb"),
        ("phpbb-prosilver-topic-detected", ('id="phpbb"', 'id="my-style"'), "phpbb"),
    ],
)
def test_custom_styles_are_detected_by_their_post_markup(name: str, strip: tuple[str, str], engine: str) -> None:
    """A style that drops the root marks still renders the engine's post containers (the deep checks)."""
    fixture = FIXTURES[name]
    body = fixture.body().decode().replace(*strip)
    assert detect_engine(html_response(fixture.url, body).selector.root) == engine


def test_engine_for_prefers_the_profile_then_the_page() -> None:
    xenforo = FIXTURES["xenforo-thread-first-page"].response()
    assert isinstance(extractors.engine_for(_profile()), PhpBB)  # no page yet: the default preset
    assert isinstance(extractors.engine_for(_profile(), xenforo), XenForo)
    assert isinstance(extractors.engine_for(_profile(engine="mybb"), xenforo), MyBB)
    assert extractors.engine_for(_profile(engine="generic"), xenforo) is None
    assert extractors.engine_for(_profile(), FIXTURES["nodebb-topic-microdata"].response()) is None
    overridden = extractors.engine_for(_profile(selectors={"post": "article.message"}), xenforo)
    assert overridden.s["post"] == "article.message" and overridden.s["content"] == XenForo.SELECTORS["content"]


# --- layers ----------------------------------------------------------------------------------------------------


def test_layers_3_and_4_never_run_on_preset_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("a fallback layer ran on a page a preset handles")

    monkeypatch.setattr(extractors, "structured_listings", forbidden)
    monkeypatch.setattr(GenericForum, "extract_topic_page", forbidden)
    for name in PRESET_PAGES:
        fixture = FIXTURES[name]
        found = extract(PM, fixture.response(), fixture.site_profile(), "thread")  # a raise would be swallowed: None
        assert found is not None and diff_listings(fixture.expected(), found) == []
    board_page = html_response("https://x.example/viewforum.php?f=2", FIXTURES[name].body().replace(b"post", b"p"))
    assert extractors.extract_listings(board_page, _profile(engine="phpbb"), "thread") == []


def test_forced_layers_and_unknown_engines() -> None:
    xenforo = FIXTURES["xenforo-thread-first-page"]
    generic = extract(PM, xenforo.response(), _with_engine(xenforo, "generic").site_profile(), "thread")
    assert {item["native_id"] for item in generic} == {item["native_id"] for item in xenforo.expected()}
    mybb = FIXTURES["mybb-thread-first-page"]
    assert extract(PM, mybb.response(), _with_engine(mybb, "structured").site_profile(), "thread") == []
    assert extract(PM, mybb.response(), _with_engine(mybb, "vbulletin").site_profile(), "thread") is None
    assert extract(PM, mybb.response(), _with_engine(mybb, "xenforo").site_profile(), "thread") == []


def _by_id(listings: list[dict]) -> dict[str, dict]:
    """Listings validated as the fixture check does, by id, as JSON-ready content."""
    validated = [Listing.model_validate({k: v for k, v in item.items() if k != "_truth"}) for item in listings]
    return {listing.id: listing.content() for listing in validated}


def _field_scores(engine: str, names: list[str]) -> dict[str, tuple[float, float]]:
    """Field-level (recall, precision) of one layer alone on the named fixtures."""
    counts = {field: [0, 0, 0, 0] for field in SCORED}  # right, expected, right among produced, produced
    for name in names:
        fixture = _with_engine(FIXTURES[name], engine)
        want = _by_id(fixture.expected())
        got = _by_id(run(PM, fixture))
        for field, tally in counts.items():
            empty = (None, {"name": None, "id": None, "url": None})
            for key, value in want.items():
                if value[field] not in empty:
                    tally[1] += 1
                    tally[0] += key in got and got[key][field] == value[field]
            for key, value in got.items():
                if value[field] not in empty:
                    tally[3] += 1
                    tally[2] += key in want and want[key][field] == value[field]
    return {field: (t[0] / max(t[1], 1), t[2] / max(t[3], 1)) for field, t in counts.items()}


def test_generic_layer_alone_reads_every_fixture() -> None:
    """The acceptance target: the generic heuristics, with no preset, on all markups (presets' pages included)."""
    for field, (recall, precision) in _field_scores("generic", sorted(FIXTURES)).items():
        assert recall >= 0.9 and precision >= 0.9, (field, recall, precision)


def test_structured_layer_alone_reads_pages_with_schema_org() -> None:
    pages = ["nodebb-topic-microdata", "invision-topic-jsonld", "discourse-topic-first-page", "xenforo-thread-page-2"]
    for field, (recall, precision) in _field_scores("structured", pages).items():
        assert recall == precision == 1.0, field


def test_generic_layer_alone_reads_the_demo_forum() -> None:
    platform = forum.build(BuildOptions())
    profile = _profile(name="demo-forum", timezone="Europe/Berlin", engine="generic")
    found = []
    for path, page in platform.pages().items():
        if path.startswith("/viewtopic.php"):
            response = html_response(f"http://127.0.0.1:9{path}", page.body)
            response.headers[b"Date"] = format_datetime(platform.options.now, usegmt=True)
            found.extend(extract(PM, response, profile, "thread"))
    assert diff_listings(platform.truth("http://127.0.0.1:9", "demo-forum"), found) == []


# --- generic heuristics on small pages -------------------------------------------------------------------------

BOARD = """<html><head><title>Jobs in Malta - hotel work? - Small Board</title></head><body>
<h1>Small Board</h1><div class="crumbs"><a href="/">Home</a> / <a href="/board/7">Malta</a></div>
<h2>Jobs in Malta - hotel work?</h2><p class="stats">Views: 1,204 | Replies: 2</p>
<div class="thread">
 <div class="entry" id="e501"><span class="author"><a href="/member/alina.55">alina</a></span>
  <span class="when">Posted: 02/11/2024 09:15</span>
  <div class="words">Is the hotel job real?<br>They want 300 EUR.</div>
  <div class="sig">Alina from Chisinau</div></div>
 <div class="entry" id="e502"><span class="author"><a href="/member/mark.9">mark</a></span>
  <span class="when">Posted: 02/11/2024 10:40</span>
  <div class="words"><blockquote><b>alina wrote:</b> They want 300 EUR.</blockquote>
  Never pay.<br>__________<br>Mark, Valletta</div></div>
 <div class="entry" id="e503"><span class="author">Guest Ana</span><span class="author-info">Joined: 01/01/2020</span>
  <span class="when">Posted: 03/11/2024 18:02</span>
  <div class="words">Same offer here, via Viber +356 7912 3456.</div></div>
</div>
<ul class="latest"><li><a href="/t/9">Other topic</a> by <a href="/member/zed.3">zed</a> 01/11/2024</li>
<li><a href="/t/8">Old topic</a> by <a href="/member/ann.4">ann</a> 30/10/2024</li>
<li><a href="/t/6">Older topic</a> by <a href="/member/bo.5">bo</a> 29/10/2024</li>
<li><a href="/t/5">Oldest topic</a> by <a href="/member/cy.6">cy</a> 28/10/2024</li></ul>
</body></html>"""


def test_generic_reads_an_unknown_board() -> None:
    found = extract(PM, _page("https://board.example/topic/42", BOARD), _profile(), "thread")
    by_id = {item["native_id"]: item for item in found}
    assert [item["kind"] for item in found] == ["thread", "post", "post", "post"]
    assert by_id["42"]["title"] == "Jobs in Malta - hotel work?"
    assert by_id["42"]["category"] == "Malta"
    assert by_id["42"]["extra"] == {"reply_count": 2, "view_count": 1204}
    first, second, third = by_id["501"], by_id["502"], by_id["503"]
    assert first["author"] == {"name": "alina", "id": "55", "url": "https://board.example/member/alina.55"}
    assert first["body"] == "Is the hotel job real?\nThey want 300 EUR."
    assert first["extra"] == {"post_number": 1, "quotes": [], "signature": "Alina from Chisinau"}
    # "03/11/2024" alone is ambiguous; "02/11/2024" too: no part above 12, so slashes read month-first.
    assert first["posted_at"] == datetime(2024, 2, 11, 9, 15, tzinfo=UTC)
    assert first["posted_at_raw"] == "02/11/2024 09:15"
    assert second["body"] == "Never pay." and second["extra"]["signature"] == "Mark, Valletta"
    assert second["extra"]["quotes"] == ["They want 300 EUR."]
    assert third["author"] == {"name": "Guest Ana", "id": None, "url": None}
    assert third["posted_at"] == datetime(2024, 3, 11, 18, 2, tzinfo=UTC)  # not the "Joined:" date


def test_generic_selector_overrides() -> None:
    html = BOARD.replace('class="author', 'class="x').replace('href="/member/', 'href="/p/')
    profile = _profile(engine="generic")
    assert extract(PM, _page("https://board.example/topic/42", html), profile, "thread") == []
    profile = _profile(engine="generic", selectors={"post": "div.entry", "content": "div.words"})
    found = extract(PM, _page("https://board.example/topic/42", html), profile, "thread")
    assert [item["native_id"] for item in found] == ["42", "501", "502", "503"]
    assert found[1]["body"] == "Is the hotel job real?\nThey want 300 EUR."


def test_generic_single_post_topic() -> None:
    html = BOARD.split('<div class="entry" id="e502">')[0] + "</div></div></body></html>"
    blocks = find_post_blocks(html_response("https://board.example/topic/42", html).selector.root)
    assert [block[0].get("id") for block in blocks] == ["e501"]


def test_page_title_is_the_heading_the_title_tag_repeats() -> None:
    root = html_response("https://board.example/topic/42", BOARD).selector.root
    assert page_info.topic_title(root) == "Jobs in Malta - hotel work?"  # not the site name in <h1>


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Verfasst am: 11.03.2024, 14:05    Titel: Re: x", "11.03.2024, 14:05"),
        ("Mon Mar 11, 2024 2:05 pm", "Mon Mar 11, 2024 2:05 pm"),
        ("by anna » 10 Mar 2024, 09:41", "10 Mar 2024, 09:41"),
        ("Вчора о 21:40", "Вчора о 21:40"),
        ("Yesterday at 9:12 PM", "Yesterday at 9:12 PM"),
        ("posted 29 minutes ago", "29 minutes ago"),
        ("Posts: 12", None),
        ("Departure Sunday 17.03, bus", None),
    ],
)
def test_find_date(text: str, date: str | None) -> None:
    assert find_date(text) == date


def test_registration_dates_are_not_post_dates() -> None:
    assert is_joined_label("Joined:") and is_joined_label("З нами з:") and is_joined_label("Anmeldungsdatum: ")
    assert not is_joined_label("Verfasst am:")


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("11.03.2024, 14:05", None, "2024-03-11T13:05:00+00:00"),  # dots: day first, whatever the hint
        ("03-14-2024, 09:15 AM", None, "2024-03-14T08:15:00+00:00"),  # 14 cannot be a month
        ("03-04-2024, 09:15 PM", False, "2024-03-04T20:15:00+00:00"),  # MyBB's m-d-Y
        ("2024-03-11 14:05", None, "2024-03-11T13:05:00+00:00"),
        ("Posted today", None, None),
    ],
)
def test_numeric_dates(text: str, day_first: bool | None, expected: str | None) -> None:
    found = numeric_date(text, "Europe/Berlin", day_first)
    assert (found.isoformat() if found else None) == expected


def test_relative_days_on_the_board_calendar() -> None:
    now = datetime(2024, 3, 14, 10, 0, tzinfo=UTC)  # a Thursday
    assert relative_day("Yesterday at 9:12 PM", now, "Europe/London").isoformat() == "2024-03-13T21:12:00+00:00"
    assert relative_day("Monday at 6:40 PM", now, "Europe/London").isoformat() == "2024-03-11T18:40:00+00:00"
    assert relative_day("Вчора о 21:40", now, "Europe/Kyiv").isoformat() == "2024-03-13T19:40:00+00:00"
    assert relative_day("12.03.2024 14:05", now, "UTC") is None


@pytest.mark.parametrize(
    ("url", "topic", "post", "user", "page"),
    [
        ("https://x/threads/slug.4567/page-2", "4567", None, None, 2),
        ("https://x/t/slug/2841?page=2", "2841", None, None, 2),
        ("https://x/showthread.php?tid=1187&pid=9921#pid9921", "1187", "9921", None, None),
        ("https://x/viewtopic.php?p=88102#p88102", None, "88102", None, None),
        ("https://x/topic/8812-slug/#comment-456", "8812", "456", None, None),
        ("https://x/members/viktor-k.1234/", None, None, "1234", None),
        ("https://x/forum/user.php?id=1902", None, None, "1902", None),
        ("https://x/u/anna_k", None, None, "anna_k", None),
    ],
)
def test_ids_from_urls(url: str, topic: str | None, post: str | None, user: str | None, page: int | None) -> None:
    assert topic_id_from_url(url) == topic
    assert post_id_from_url(url) == post
    assert user_id_from_url(url) == user
    assert page_number(url) == page


# --- navigation --------------------------------------------------------------------------------------------------


def test_spider_navigates_by_the_detected_preset_or_generic_patterns() -> None:
    spider = type("S", (ForumSpider,), {"name": "t", "profile": _profile()})()
    assert isinstance(spider.navigator(FIXTURES["mybb-thread-page-2"].response()), MyBB)
    board = _page(
        "https://old.example/forum/",
        "<html><body><a href='section.php?id=4'>Poland</a><a href='topic.php?id=553'>Warehouse job</a>"
        "<a href='/about'>About</a></body></html>",
    )
    requests = list(spider.parse_board(board))
    assert {r.url for r in requests} == {
        "https://old.example/forum/section.php?id=4",
        "https://old.example/forum/topic.php?id=553",
    }
