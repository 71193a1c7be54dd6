"""Next pages in all the forms lists take."""

from __future__ import annotations

import pytest

from crawler.navigation import next_page_urls
from crawler.testkit import html_response

BASE = "https://board.example/list?page=3"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<head><link rel="next" href="/list?page=4"></head><body></body>', ["https://board.example/list?page=4"]),
        ('<a rel="prev" href="?page=2">prev</a><a rel="next nofollow" href="?page=4">4</a>',
         ["https://board.example/list?page=4"]),
        ('<nav><a href="?page=2">Zurück</a> <a href="?page=4">Weiter</a></nav>', ["https://board.example/list?page=4"]),
        ('<a href="/list?page=4" aria-label="Next page"><i class="icon"></i></a>', ["https://board.example/list?page=4"]),
        ('<ul><li><a href="?p=2">2</a></li><li class="active"><span>3</span></li><li><a href="?p=4">4</a></li>'
         '<li><a href="?p=5">5</a></li></ul>', ["https://board.example/list?p=4"]),
        ('<button class="btn" data-url="/api/list?cursor=eyJpZCI6OTl9">Load more</button>',
         ["https://board.example/api/list?cursor=eyJpZCI6OTl9"]),
        ('<a class="pager-next" href="/list?after=t3_abc">›</a>', ["https://board.example/list?after=t3_abc"]),
        ('<a href="/list?page=4">Następna</a>', ["https://board.example/list?page=4"]),
        ('<a href="/thread/1">Next steps for workers abroad</a><span class="current">3</span>', []),
        ('<nav><a href="?page=2">2</a><span class="current">3</span></nav>', []),
    ],
)  # fmt: skip
def test_next_page_is_found(html: str, expected: list[str]) -> None:
    assert next_page_urls(html_response(BASE, f"<html>{html}</html>")) == expected
