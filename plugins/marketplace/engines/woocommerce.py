"""Engine preset ``woocommerce``: WooCommerce single-product pages (any theme; Dokan/WCFM vendors)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from crawler.extract import clean, element_text, last_path_segment, normalise_rating, parse_price, select_xpath
from plugins.marketplace.page import AdPage
from plugins.marketplace.text import HEADINGS, lines_of

_PRODUCT_ID = re.compile(r"^product-(\d+)$")
_POST_ID = re.compile(r"\bpostid-(\d+)\b")
_RATED = re.compile(r"([\d.]+)\s+out of\s+([\d.]+)")
_LOCATION_KEYS = re.compile(
    r"^(location|city|town|region|area|place|ort|standort|stadt|locatie|plaats|lieu|ville)$", re.IGNORECASE
)


class WooCommerceAdPage(AdPage):
    """A WooCommerce product page: the core templates, which every theme keeps.

    ``h1.product_title``; ``.summary .price`` (on sale, the ``<ins>`` amount is
    the price and the ``<del>`` one goes to ``extra.original_price``); the
    Description tab as the body (the short description when there is no
    tab, ``extra.summary`` otherwise); ``table.shop_attributes`` rows as
    ``extra.attributes`` (a "Location" row is also the location); the
    category from ``.product_meta .posted_in``, tags and SKU beside it; the
    star rating; gallery links to the full images. A vendor (Dokan, WCFM,
    WC Vendors) is the author; a single-shop site has none. WooCommerce
    shows no posting date.

    Detected by the ``generator`` meta tag ("WooCommerce x.y") or the
    ``woocommerce`` class WordPress puts on ``<body>``.
    """

    name: ClassVar[str] = "woocommerce"
    DETECT: ClassVar[str] = (
        "/html/head/meta[@name='generator'][starts-with(@content, 'WooCommerce')]"
        " | /html/body[contains(concat(' ', normalize-space(@class), ' '), ' woocommerce ')]"
    )
    SELECTORS: ClassVar[dict[str, str]] = {
        "product": "div.product[id^='product-']",
        "title": "h1.product_title, .summary h1",
        "price": ".summary .price",
        "description": "#tab-description, .woocommerce-Tabs-panel--description",
        "summary": ".woocommerce-product-details__short-description",
        "attribute_rows": "table.shop_attributes tr",
        "attribute_name": "th",
        "attribute_value": "td",
        "seller": ".seller-name a, .wcfmmp_sold_by_wrapper a, .wcvendors_sold_by_in_loop a, .dokan-vendor-name a",
        "images": ".woocommerce-product-gallery__image a::attr(href)",
        "breadcrumb": ".woocommerce-breadcrumb a",
        "category": ".product_meta .posted_in a",
        "tags": ".product_meta .tagged_as a",
        "sku": ".product_meta .sku",
        "rating": ".summary .star-rating",
    }

    def native_id(self) -> str | None:
        product = self.one("product")
        found = _PRODUCT_ID.match(product.get("id", "")) if product is not None else None
        body = self.root.find("body")
        if found is None and body is not None:
            found = _POST_ID.search(body.get("class", ""))
        return found.group(1) if found else last_path_segment(self.response.url)

    def _amount(self, current: bool) -> dict[str, Any]:
        box = self.one("price")
        if box is None:
            return {}
        query = ".//ins//*[contains(@class, 'amount')]" if current else ".//del//*[contains(@class, 'amount')]"
        amounts = select_xpath(box, query)
        if current and not amounts:
            amounts = select_xpath(box, ".//*[contains(@class, 'amount')][not(ancestor::del)]")
        if not amounts and current:
            return parse_price(element_text([box]))
        return parse_price(clean("".join(amounts[0].itertext())) if amounts else None)

    def price(self) -> dict[str, Any]:
        return self._amount(current=True)

    def _long_description(self) -> str | None:
        panel = self.one("description")
        if panel is None:
            return None
        return "\n".join(lines_of(panel, lambda element: element.tag in HEADINGS)) or None

    def _summary(self) -> str | None:
        box = self.one("summary")
        if box is None:
            return None
        return "\n".join(lines_of(box)) or None

    def body(self) -> str | None:
        return self._long_description() or self._summary()

    def location(self) -> dict[str, Any]:
        found = next((v for k, v in self.attributes().items() if _LOCATION_KEYS.match(k)), None)
        return {"raw": found} if found else {}

    def posted(self) -> tuple[datetime | None, str | None]:
        return None, None

    def category(self) -> str | None:
        found = element_text(self.all("category")[:1])
        if found:
            return found
        crumbs = self.all("breadcrumb")
        return element_text(crumbs[-1:]) if len(crumbs) >= 2 else None

    def contacts(self) -> dict[str, Any]:
        return {"raw": []}

    def attributes(self) -> dict[str, str]:
        if not hasattr(self, "_attributes"):
            self._attributes = super().attributes()
        return self._attributes

    def rating(self) -> dict[str, Any]:
        stars = self.one("rating")
        if stars is None:
            return {}
        found = _RATED.search(stars.get("aria-label") or element_text([stars]) or "")
        return normalise_rating(float(found.group(1)), float(found.group(2))) if found else {}

    def extra(self) -> dict[str, Any]:
        found = super().extra()
        if self._long_description():
            summary = self._summary()
            if summary:
                found["summary"] = summary
        original = self._amount(current=False)
        if original.get("amount") is not None:
            found["original_price"] = original
        tags = [text for text in (element_text([tag]) for tag in self.all("tags")) if text]
        if tags:
            found["tags"] = tags
        sku = element_text(self.all("sku")[:1])
        if sku:
            found["sku"] = sku
        return found

    def listing(self) -> dict[str, Any] | None:
        found = super().listing()
        if found is not None:
            found["rating"] = self.rating()
        return found
