"""Trustpilot company pages (``/review/<domain>?page=N``), as its Next.js front end renders them.

Class names there are CSS-module hashes (``styles_reviewCard__hcAvl``) that
change with every release, so the preset keys on the ``data-*`` attributes
Trustpilot puts on every field (``data-service-review-card-paper``,
``data-consumer-name-typography``, ``data-service-review-rating``...), which
have been stable for years. Detected by those attributes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from crawler.extract import Node, clean, element_block_text, element_text, last_path_segment
from plugins.review.page import BusinessPage
from plugins.review.parsing import bare_score, first_integer, number, parse_out_of, rating

_EXPERIENCE_LABEL = re.compile(r"^[^:]*:\s*")


class TrustpilotBusinessPage(BusinessPage):
    """A Trustpilot business unit page: the company header on page 1, twenty review cards per page."""

    engine = "trustpilot"
    detect_xpath: ClassVar[str] = "//article[@data-service-review-card-paper] | //*[@data-service-review-rating]"
    css: ClassVar[dict[str, str]] = {
        "business_name": "h1 span[class*=displayName], h1",
        "business_description": "[data-business-unit-description-typography]",
        "category": "nav[aria-label=Breadcrumb] li a",
        "address": "ul[class*=contactInfoAddressList] li",
        "aggregate": "[data-rating-typography]::text",
        "aggregate_stars": "h1 ~ * img[alt*='out of'], [class*=summary] img[alt*='out of']",
        "review_count": "a[href='#reviews-section'] span",
        "contacts": "[data-company-contact-info] a",
        "review": "article[data-service-review-card-paper]",
        "review_link": "a[href*='/reviews/']::attr(href)",
        "review_title": "[data-service-review-title-typography]",
        "review_body": "[data-service-review-text-typography]",
        "review_author": "a[data-consumer-profile-link]",
        "review_author_name": "[data-consumer-name-typography]",
        "review_stars": "[data-service-review-rating]::attr(data-service-review-rating)",
        "review_stars_image": "img[alt*='out of']::attr(alt)",
        "review_date": "time[data-service-review-date-time-ago]",
        "date_of_experience": "[data-service-review-date-of-experience-typography]",
        "owner_response_text": "[data-service-review-business-reply-text-typography]",
        "owner_response_date": "time[data-service-review-business-reply-date-time-ago]",
    }

    def business_name(self) -> str | None:
        return element_text(self.all("business_name")[:1])

    def business_description(self) -> str | None:
        return element_block_text(self.all("business_description")[:1])

    def category(self) -> str | None:
        links = self.all("category")
        return element_text(links[-1:]) if len(links) > 1 else None

    def address(self) -> str | None:
        lines = [element_text([item]) for item in self.all("address")]
        return ", ".join(line for line in lines if line) or None

    def aggregate_rating(self) -> dict[str, float | None]:
        found = bare_score(self.one("aggregate"))
        if found is None:
            image = self.one("aggregate_stars")
            found = parse_out_of(image.get("alt")) if image is not None else None
        return rating((found[0], 5.0) if found else None)

    def review_count(self) -> int | None:
        text = element_text(self.all("review_count")[:1])
        return first_integer(text) if text else None

    def contacts(self) -> list[str]:
        return [text for text in (element_text([a]) for a in self.all("contacts")) if text]

    def review_id(self, node: Node) -> str | None:
        href = self.one("review_link", node)
        return last_path_segment(href) if href else None

    def review_title(self, node: Node) -> str | None:
        return element_text(self.all("review_title", node)[:1])

    def review_body(self, node: Node) -> str | None:
        return element_block_text(self.all("review_body", node)[:1])

    def review_author(self, node: Node) -> dict[str, str | None]:
        link = self.one("review_author", node)
        if link is None:
            return {}
        name = element_text(self.all("review_author_name", link)[:1]) or element_text([link])
        href = link.get("href")
        if not href:
            return {"name": name}
        return {"name": name, "id": last_path_segment(href), "url": self.response.urljoin(href)}

    def review_rating(self, node: Node) -> dict[str, float | None]:
        stars = self.one("review_stars", node)
        if stars and stars.strip().replace(".", "", 1).isdigit():
            return rating((number(stars.strip()), 5.0))
        return rating(parse_out_of(self.one("review_stars_image", node)))

    def review_date(self, node: Node, language: str | None) -> tuple[str | None, datetime | None]:
        date = self.one("review_date", node)
        if date is None:
            return None, None
        shown = element_text([date])
        return shown, self.parse_date(date.get("datetime"), shown, language)

    def owner_response(self, node: Node) -> dict[str, str | None] | None:
        text = element_block_text(self.all("owner_response_text", node)[:1])
        if not text:
            return None
        return {"text": text, "posted_at_raw": element_text(self.all("owner_response_date", node)[:1])}

    def review_extra(self, node: Node) -> dict[str, Any]:
        shown = element_text(self.all("date_of_experience", node)[:1], separator="")
        experience = clean(_EXPERIENCE_LABEL.sub("", shown, count=1)) if shown else None
        return {"date_of_experience": experience} if experience else {}
