"""The shared parsing helpers: dates (absolute, relative, across daylight saving), prices, ratings, text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crawler.extract import block_text, normalise_rating, parse_datetime, parse_price, text_of
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
