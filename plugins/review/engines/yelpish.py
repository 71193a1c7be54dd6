"""The demo platform's markup (Yelp/Trustpilot-style): ``/biz/<slug>?page=N``, ``h1.biz-name``, ``article.review``.

Detected by ``h1.biz-name`` or ``article.review`` elements carrying a
``data-review-id``. Its output is the demo's ground truth, so any change here
must keep ``tests/test_plugin_review.py`` passing unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

from crawler.extract import Node, clean, element_block_text, element_text, last_path_segment, normalise_rating, select
from plugins.review.page import BusinessPage
from plugins.review.parsing import first_integer, number, parse_out_of


class YelpishBusinessPage(BusinessPage):
    """Yelp-style markup as the demo renders it.

    Ratings: the aggregate in an ``aria-label`` ("4.2 out of 5", "8.4 out of
    10"); a review's stars in ``data-rating`` (5-point) or as text "8/10".
    Dates: ``<time datetime>`` on most reviews, shown text ("2 weeks ago",
    "12. März 2026") on the others, parsed in the review's ``lang``.
    """

    engine = "yelpish"
    detect_xpath: ClassVar[str] = "//h1[@class='biz-name'] | //article[@data-review-id][@class='review']"
    css: ClassVar[dict[str, str]] = {
        "business_name": "h1.biz-name",
        "business_description": "div.biz-description",
        "category": "a.biz-category",
        "address": "div.biz-contact address",
        "aggregate": ".biz-rating [aria-label]::attr(aria-label)",
        "review_count": ".biz-rating .review-count",
        "contacts": "div.biz-contact .contact-item a",
        "current_page": "nav.review-pagination [aria-current=page]::text",
        "review": "article.review",
        "review_title": ".review-title",
        "review_body": "div.review-text",
        "review_author": "a.author-name",
        "review_stars": "[data-rating]::attr(data-rating)",
        "review_score": ".review-score::text",
        "review_date": ".review-date",
        "owner_response": "div.owner-response",
        "owner_response_text": ".owner-response-text",
        "owner_response_date": "time",
    }

    def business_id(self) -> str | None:
        parts = urlsplit(self.response.url).path.rstrip("/").split("/")
        return parts[-1] if len(parts) >= 3 and parts[-2] == "biz" and parts[-1] else None

    def is_first_page(self) -> bool:
        current = self.one("current_page")
        if current and current.strip().isdigit():
            return int(current) == 1
        page = parse_qs(urlsplit(self.response.url).query).get("page", ["1"])[0]
        return page in ("", "1")

    def business_name(self) -> str | None:
        return element_text(self.all("business_name")[:1])

    def business_description(self) -> str | None:
        return element_block_text(self.all("business_description")[:1])

    def category(self) -> str | None:
        return element_text(self.all("category")[:1])

    def address(self) -> str | None:
        # Parts are separate elements with the punctuation between them: join the text as it is.
        return element_text(self.all("address")[:1], separator="")

    def address_parts(self) -> dict[str, str]:
        node = self.one("address")
        if node is None:
            return {}
        names = {"street": ".street-address", "postal_code": ".postal-code", "city": ".locality",
                 "country": ".country-name"}  # fmt: skip
        parts = {name: element_text(select(node, css)[:1]) for name, css in names.items()}
        return {name: value for name, value in parts.items() if value}

    def aggregate_rating(self) -> dict[str, float | None]:
        found = parse_out_of(self.one("aggregate"))
        return normalise_rating(*found) if found else {}

    def review_count(self) -> int:
        return first_integer(element_text(self.all("review_count")[:1]))

    def contacts(self) -> list[str]:
        return [text for text in (element_text([a]) for a in self.all("contacts")) if text]

    def review_id(self, node: Node) -> str | None:
        found = node.get("data-review-id") or (node.get("id") or "").removeprefix("review-")
        return found or None

    def review_title(self, node: Node) -> str | None:
        return element_text(self.all("review_title", node)[:1])

    def review_body(self, node: Node) -> str | None:
        return element_block_text(self.all("review_body", node)[:1])

    def review_language(self, node: Node) -> str | None:
        body = self.one("review_body", node)
        return clean(body.get("lang")) if body is not None else None

    def review_author(self, node: Node) -> dict[str, str | None]:
        link = self.one("review_author", node)
        if link is None:
            return {}
        name, href = element_text([link]), link.get("href")
        if not href:
            return {"name": name}
        return {"name": name, "id": last_path_segment(href), "url": self.response.urljoin(href)}

    def review_rating(self, node: Node) -> dict[str, float | None]:
        stars = self.one("review_stars", node)
        if stars:
            return normalise_rating(number(stars), 5.0)
        found = parse_out_of(self.one("review_score", node))
        return normalise_rating(*found) if found else {}

    def review_date(self, node: Node, language: str | None) -> tuple[str | None, datetime | None]:
        date = self.one("review_date", node)
        if date is None:
            return None, None
        shown = element_text([date])
        return shown, self.parse_date(date.get("datetime"), shown, language)

    def owner_response(self, node: Node) -> dict[str, str | None] | None:
        block = self.one("owner_response", node)
        if block is None:
            return None
        return {
            "text": element_block_text(self.all("owner_response_text", block)[:1]),
            "posted_at_raw": element_text(self.all("owner_response_date", block)[:1]),
        }
