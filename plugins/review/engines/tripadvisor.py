"""TripAdvisor-style hotel review pages (``Hotel_Review-g<geo>-d<id>-Reviews[-or<offset>]-<name>.html``).

The "hsx" review list: ``div.review-container[data-reviewid]``, bubble
ratings as classes (``ui_bubble_rating bubble_40`` = 4.0 of 5), the title in
the review link, the date in ``span.ratingDate`` (its ``title`` holds the
absolute date when the text is relative), "Date of stay", and the manager's
answer in ``div.mgrRspnInline``. Pages are offsets (``-or5-``), five reviews
each. Detected by a ``data-reviewid`` block holding a bubble rating.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from crawler.extract import Node, clean, element_block_text, element_text
from plugins.review.page import BusinessPage
from plugins.review.parsing import class_score, first_integer, rating, strip_date_label

_STAY_LABEL = re.compile(r"^[^:]*:\s*")


class TripadvisorBusinessPage(BusinessPage):
    """A TripAdvisor location page: the hotel header on the first offset, five reviews per page."""

    engine = "tripadvisor"
    detect_xpath: ClassVar[str] = "//div[@data-reviewid][.//span[contains(@class, 'ui_bubble_rating')]]"
    css: ClassVar[dict[str, str]] = {
        "business_name": "h1#HEADING",
        "business_description": "#ABOUT_TAB [class*=ReadMore__content], #ABOUT_TAB .description",
        "category": "ul.breadcrumbs li.breadcrumb a",
        "address": ".blEntry.address",
        "aggregate": ".header_rating .ui_bubble_rating, .rating_and_popularity .ui_bubble_rating",
        "review_count": ".header_rating .reviewCount, .rating_and_popularity .reviewCount",
        "contacts": ".blEntry.phone, .blEntry.website",
        "review": "div.review-container[data-reviewid]",
        "review_title": ".quote .noQuotes, .quote a",
        "review_body": ".entry .partial_entry",
        "review_author": ".info_text > div:first-child, .username .scrname",
        "review_stars": ".ui_bubble_rating::attr(class)",
        "review_date": ".ratingDate",
        "date_of_stay": ".prw_reviews_stay_date_hsx, .stay_date",
        "owner_response": ".mgrRspnInline",
        "owner_response_text": ".partial_entry",
        "owner_response_date": ".responseDate",
    }

    def is_first_page(self) -> bool:
        return "-or" not in self.response.url or re.search(r"-or\d+-", self.response.url) is None

    def business_name(self) -> str | None:
        return element_text(self.all("business_name")[:1])

    def business_description(self) -> str | None:
        return element_block_text(self.all("business_description")[:1])

    def category(self) -> str | None:
        return element_text(self.all("category")[-1:])

    def address(self) -> str | None:
        return element_text(self.all("address")[:1], separator="")

    def aggregate_rating(self) -> dict[str, float | None]:
        bubbles = self.one("aggregate")
        return rating(class_score(bubbles.get("class")) if bubbles is not None else None)

    def review_count(self) -> int | None:
        text = element_text(self.all("review_count")[:1])
        return first_integer(text) if text else None

    def contacts(self) -> list[str]:
        return [text for text in (element_text([entry]) for entry in self.all("contacts")) if text]

    def reviews(self) -> list[Any]:
        # The same data-reviewid sits on the container and on the inner div.review: take the outer blocks only.
        return self.all("review")

    def review_id(self, node: Node) -> str | None:
        return node.get("data-reviewid") or None

    def review_title(self, node: Node) -> str | None:
        return element_text(self.all("review_title", node)[:1])

    def _outside_response(self, key: str, node: Node) -> list[Node]:
        return [
            found
            for found in self.all(key, node)
            if not any(a.get("class") == "mgrRspnInline" for a in found.iterancestors())
        ]

    def review_body(self, node: Node) -> str | None:
        return element_block_text(self._outside_response("review_body", node)[:1])

    def review_author(self, node: Node) -> dict[str, str | None]:
        name = element_text(self.all("review_author", node)[:1])
        return {"name": name} if name else {}

    def review_rating(self, node: Node) -> dict[str, float | None]:
        return rating(class_score(self.one("review_stars", node)))

    def review_date(self, node: Node, language: str | None) -> tuple[str | None, datetime | None]:
        date = self.one("review_date", node)
        if date is None:
            return None, None
        shown = strip_date_label(element_text([date]))
        return shown, self.parse_date(None, date.get("title") or shown, language)

    def owner_response(self, node: Node) -> dict[str, str | None] | None:
        block = self.one("owner_response", node)
        if block is None:
            return None
        return {
            "text": element_block_text(self.all("owner_response_text", block)[:1]),
            "posted_at_raw": strip_date_label(element_text(self.all("owner_response_date", block)[:1])),
        }

    def review_extra(self, node: Node) -> dict[str, Any]:
        shown = element_text(self.all("date_of_stay", node)[:1])
        stay = clean(_STAY_LABEL.sub("", shown, count=1)) if shown else None
        return {"date_of_stay": stay} if stay else {}
