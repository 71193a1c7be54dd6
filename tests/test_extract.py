"""The shared parsing helpers: dates (absolute, relative, across daylight saving), prices, ratings, text, look-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from parsel import Selector

from crawler import extract as extract_module
from crawler.extract import (
    block_text,
    compiled,
    element_block_text,
    element_text,
    fetch_time,
    first,
    last_path_segment,
    normalise_rating,
    parse_datetime,
    parse_price,
    select,
    text_of,
)
from crawler.testkit import html_response

NOW = datetime(2026, 10, 25, 1, 10, tzinfo=UTC)  # ten minutes after Berlin left summer time


@pytest.mark.parametrize(
    ("text", "zone", "languages", "expected"),
    [
        ("2026-03-09T14:05:00+01:00", "UTC", None, datetime(2026, 3, 9, 13, 5, tzinfo=UTC)),
        ("2026-03-09T14:05:00", "Europe/Berlin", None, datetime(2026, 3, 9, 13, 5, tzinfo=UTC)),
        ("Mon Mar 09, 2026 2:05 pm", "UTC", ("en",), datetime(2026, 3, 9, 14, 5, tzinfo=UTC)),
        ("09. März 2026 14:05", "Europe/Berlin", ("de",), datetime(2026, 3, 9, 13, 5, tzinfo=UTC)),
        ("gestern, 03:13", "Europe/Berlin", ("de",), datetime(2026, 10, 24, 1, 13, tzinfo=UTC)),
        ("3 hours ago", "Europe/Berlin", ("en",), datetime(2026, 10, 24, 22, 10, tzinfo=UTC)),
        ("vor 2 Tagen", "Europe/Berlin", ("de",), datetime(2026, 10, 23, 1, 10, tzinfo=UTC)),
        ("not a date at all", "UTC", ("en",), None),
        ("", "UTC", None, None),
    ],
)
def test_parse_datetime(text: str, zone: str, languages: tuple[str, ...] | None, expected: datetime | None) -> None:
    assert parse_datetime(text, now=NOW, timezone=zone, languages=languages) == expected


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [("€ 1.250", 1250.0, "EUR"), ("1 250,00 zł", 1250.0, "PLN"), ("£950/month", 950.0, "GBP"),
     ("2500 lei", 2500.0, "RON"), ("$1,200", 1200.0, "USD"), ("Negotiable", None, None)],
)  # fmt: skip
def test_parse_price(text: str, amount: float | None, currency: str | None) -> None:
    assert parse_price(text) == {"amount": amount, "currency": currency, "raw": text}


def test_normalise_rating_keeps_the_original_scale() -> None:
    assert normalise_rating(8, 10) == {"value": 4.0, "raw": 8, "scale": 10}
    assert normalise_rating(None, 5) == {}


def test_text_helpers_collapse_space_and_keep_paragraphs() -> None:
    response = html_response("http://x/", "<div id=a><p>One  <b>two</b></p><p>three<br>four</p></div>")
    node = response.css("#a")
    assert text_of(node) == "One two three four"
    assert block_text(node) == "One two\nthree\nfour"


@pytest.mark.parametrize(
    "markup",
    [
        "<div>a<p>b <b>c</b></p>d<br>e<!-- x --></div>",
        "<div> <p>x\n y</p>\n<p> z </p>tail<br><br>w</div>",
        "<div></div>",
        "<div>one<!-- hidden -->two <script>var s;</script><p>three\xa0 four</p><ul><li>x</li><li>y</li></ul></div>",
    ],
)
def test_element_text_helpers_match_the_shared_ones(markup: str) -> None:
    node = Selector(text=markup).css("div")
    assert element_block_text([node[0].root]) == block_text(node)
    assert element_text([node[0].root]) == text_of(node)
    # Text-node and attribute matches carry no text of their own for either family.
    strings = Selector(text=markup).css("div::text")
    assert element_text(strings.getall()) == text_of(strings)
    assert element_block_text(strings.getall()) == block_text(strings)


def test_compiled_selectors_run_like_parsel() -> None:
    html = "<div class='post' id='p1'><h3><a href='/t?u=2'>Re: <b>hi</b></a></h3><p class='x y'>text</p></div>"
    response = html_response("http://x/", html)
    root = response.selector.root
    post = first(root, "div.post")
    assert post is not None and post.get("id") == "p1"
    assert first(post, "div.post") is post  # descendant-or-self, as parsel's css() on a selector
    assert select(root, "h3 a::attr(href)") == response.css("h3 a::attr(href)").getall() == ["/t?u=2"]
    assert select(root, "h3 a::text") == response.css("h3 a::text").getall()
    assert element_text(select(post, "p.y")) == "text"
    assert first(root, "span.none") is None
    assert compiled("h3 a") is compiled("h3 a")  # compiled once per selector string


def test_last_path_segment() -> None:
    assert last_path_segment("http://x/user/u1075/") == "u1075"
    assert last_path_segment("/biz/some-place?page=2") == "some-place"
    assert last_path_segment("http://x/") is None


def test_fetch_time_reads_the_date_header() -> None:
    now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    dated = html_response("http://x/", b"").replace(headers={"Date": "Sun, 01 Nov 2026 12:00:00 GMT"})
    assert fetch_time(dated) == now
    assert fetch_time(dated).tzinfo is UTC
    unzoned = dated.replace(headers={"Date": "Sun, 01 Nov 2026 12:00:00 -0000"})
    assert fetch_time(unzoned) == now  # no zone given: UTC, not the machine's local time
    offset = dated.replace(headers={"Date": "Sun, 01 Nov 2026 13:00:00 +0100"})
    assert fetch_time(offset) == now and fetch_time(offset).tzinfo is UTC
    for response in (html_response("http://x/", b""), dated.replace(headers={"Date": "yesterday-ish"})):
        assert abs(fetch_time(response) - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("text", "zone", "languages"),
    [
        ("09. Oktober 2026 14:05", "Europe/Berlin", None),
        ("9. März 2026 02:30", "Europe/Berlin", ("de",)),
        ("12 March 2026", "Europe/Berlin", ("en",)),
        ("1 iulie 2025", "Europe/Bucharest", ("ro",)),
        ("31 décembre 2025", "UTC", ("fr",)),
        ("5 MAI 2026, 23:59", "America/New_York", None),
    ],
)
def test_day_month_year_fast_path_agrees_with_dateparser(text: str, zone: str, languages: tuple | None) -> None:
    fast = extract_module._day_month_year(text, zone, languages)
    assert fast is not None
    assert fast == extract_module._parse_absolute.__wrapped__(text, zone, languages)
    assert parse_datetime(text, timezone=zone, languages=languages) == fast


@pytest.mark.parametrize(
    ("text", "zone", "languages"),
    [
        ("25. Oktober 2026 02:30", "Europe/Berlin", None),  # happens twice that night
        ("29. März 2026 02:30", "Europe/Berlin", None),  # never happens that night
        ("12 March 2026", "Europe/Berlin", ("de",)),  # not a German month name
        ("31. Februar 2026", "Europe/Berlin", None),
        ("12 Smarch 2026", "UTC", None),
        ("12 March 2026", "CET", None),  # an abbreviation, which dateparser may read its own way
        ("Mon Mar 09, 2026 2:05 pm", "UTC", ("en",)),
    ],
)
def test_day_month_year_leaves_doubtful_dates_to_dateparser(text: str, zone: str, languages: tuple | None) -> None:
    assert extract_module._day_month_year(text, zone, languages) is None
