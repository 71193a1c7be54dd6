"""WordPress pages using the "Site Reviews" plugin (``glsr-*`` classes), e.g. one page per reviewed business.

The plugin renders its shortcodes and blocks the same way under every theme:
``div.glsr-review#review-<id>`` with ``glsr-review-title``, ``-rating``
(``data-rating`` and full/half/empty star spans), ``-date`` (in the site's
date format, or relative), ``-content``, ``-author``, ``-response``; the
``site_reviews_summary`` shortcode gives the average and the count; paging
is ``?reviews-page=N``. The business itself is the WordPress post around
them (``h1.entry-title``, the content's paragraphs, the post's category);
its address and contact box are theme- and site-specific, so profiles name
them with ``selectors`` (``address``, ``contacts``). Detected by the
``glsr-review`` class or the plugin's asset path.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from crawler.extract import Node, clean, element_block_text, element_text, select
from plugins.review.page import BusinessPage
from plugins.review.parsing import bare_score, number, parse_out_of, rating, review_count, strip_date_label

_LABEL = re.compile(r"^[^\d:]{1,24}:\s*")


def strip_label(text: str | None) -> str | None:
    """``"Adresă: str. Ismail 98"`` -> ``"str. Ismail 98"``: the value without a short leading label."""
    return clean(_LABEL.sub("", text, count=1)) if text else None


class SiteReviewsBusinessPage(BusinessPage):
    """A WordPress post with Site Reviews' summary and review list (widgets in the sidebar left out)."""

    engine = "sitereviews"
    detect_xpath: ClassVar[str] = (
        "//div[contains(concat(' ', @class, ' '), ' glsr-review ')] | //link[contains(@href, '/plugins/site-reviews/')]"
    )
    css: ClassVar[dict[str, str]] = {
        "business_name": "h1.entry-title, h1.wp-block-post-title, main h1",
        "business_description": ".entry-content > p, .wp-block-post-content > p",
        "category": ".cat-links a, a[rel~=category]",
        "address": "address",
        "contacts": ".entry-content a[href^='tel:'], .entry-content a[href^='mailto:']",
        "aggregate": ".glsr-summary-rating .glsr-tag-value",
        "aggregate_stars": ".glsr-summary-stars [data-rating]::attr(data-rating)",
        "review_count": ".glsr-summary-text",
        "review": ".glsr:not([data-from=widget]) .glsr-review",
        "review_title": ".glsr-review-title .glsr-tag-value",
        "review_body": ".glsr-review-content .glsr-tag-value, .glsr-review-content",
        "review_author": ".glsr-review-author .glsr-tag-value",
        "review_stars": ".glsr-review-rating [data-rating]::attr(data-rating)",
        "review_star_icons": ".glsr-review-rating .glsr-star",
        "review_date": ".glsr-review-date .glsr-tag-value",
        "owner_response": ".glsr-review-response",
        "owner_response_text": ".glsr-tag-value",
    }

    def business_name(self) -> str | None:
        return element_text(self.all("business_name")[:1])

    def business_description(self) -> str | None:
        paragraphs = (element_block_text([p]) for p in self.all("business_description"))
        return "\n".join(text for text in paragraphs if text) or None

    def category(self) -> str | None:
        return element_text(self.all("category")[:1])

    def address(self) -> str | None:
        return strip_label(element_text(self.all("address")[:1]))

    def aggregate_rating(self) -> dict[str, float | None]:
        shown = element_text(self.all("aggregate")[:1])
        found = bare_score(shown) or parse_out_of(shown)
        if found is None:
            stars = self.one("aggregate_stars")
            found = (number(stars), 5.0) if stars else None
        return rating((found[0], 5.0) if found else None)

    def review_count(self) -> int | None:
        return review_count(element_text(self.all("review_count")[:1]))

    def contacts(self) -> list[str]:
        return [text for text in (element_text([item]) for item in self.all("contacts")) if text]

    def review_id(self, node: Node) -> str | None:
        return (node.get("id") or "").removeprefix("review-") or None

    def review_title(self, node: Node) -> str | None:
        return element_text(self.all("review_title", node)[:1])

    def review_body(self, node: Node) -> str | None:
        return element_block_text(self.all("review_body", node)[:1])

    def review_author(self, node: Node) -> dict[str, str | None]:
        name = element_text(self.all("review_author", node)[:1])
        return {"name": name} if name else {}

    def review_rating(self, node: Node) -> dict[str, float | None]:
        stars = self.one("review_stars", node)
        if stars:
            return rating((number(stars), 5.0))
        icons = self.all("review_star_icons", node)
        if not icons:
            return {}
        classes = [icon.get("class", "") for icon in icons]
        value = sum(1.0 if "full" in c else 0.5 if "half" in c else 0.0 for c in classes)
        return rating((value, float(len(icons))))

    def review_date(self, node: Node, language: str | None) -> tuple[str | None, datetime | None]:
        shown = strip_date_label(element_text(self.all("review_date", node)[:1]))
        return shown, self.parse_date(None, shown, language or self.page_language())

    def page_language(self) -> str | None:
        """The site's language (``<html lang="ro-RO">``), a hint for its textual dates."""
        lang = self.root.get("lang") or ""
        return lang.split("-")[0].lower() or None

    def owner_response(self, node: Node) -> dict[str, str | None] | None:
        block = self.one("owner_response", node)
        if block is None:
            return None
        text = element_block_text(select(block, self.selectors["owner_response_text"])[:1])
        return {"text": text} if text else None

    def review_extra(self, node: Node) -> dict[str, Any]:
        return {}
