"""Engine preset ``classifieds``: the demo marketplace's markup (OLX/Gumtree-like ad pages)."""

from __future__ import annotations

from typing import ClassVar

from plugins.marketplace.page import AdPage


class ClassifiedsAdPage(AdPage):
    """OLX/Gumtree-like ad pages, as the bundled demo marketplace renders them.

    ``h1.ad-title``, ``span.price``, ``div.description`` (paragraphs),
    ``ul.attributes`` (``li > span`` pairs, or ``dl`` ``dt``/``dd`` pairs),
    ``div.location``, ``div.seller a.seller-name`` (to ``/user/<id>``),
    ``div.contact li`` (one contact per line), ``time.posted``,
    ``div.gallery img``, and a breadcrumb whose second-last crumb is the category.

    Detected by its ``<article class="ad" data-ad-id>`` wrapper.
    """

    name: ClassVar[str] = "classifieds"
    DETECT: ClassVar[str] = "//article[@data-ad-id][contains(concat(' ', normalize-space(@class), ' '), ' ad ')]"
    SELECTORS: ClassVar[dict[str, str]] = {
        "ad": "article.ad",
        "native_id": "article.ad::attr(data-ad-id)",
        "title": "h1.ad-title",
        "price": "span.price",
        "description": "div.description",
        "attribute_rows": "ul.attributes > li",
        "attribute_name": "span.attr-name",
        "attribute_value": "span.attr-value",
        "attribute_terms": "dl.attributes > dt",
        "location": "div.location",
        "seller": "div.seller a.seller-name",
        "contacts": "div.contact li",
        "posted": "time.posted",
        "images": "div.gallery img::attr(src)",
        "breadcrumb": "ol.breadcrumb > li, nav.breadcrumb li",
    }
