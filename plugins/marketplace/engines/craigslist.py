"""Engine preset ``craigslist``: craigslist posting pages (classic and current markup)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from crawler.extract import clean, element_text, fetch_time, parse_price
from plugins.marketplace.page import AdPage, parse_posted
from plugins.marketplace.text import lines_of, split_label

_POST_ID = re.compile(r"post id:\s*(\d+)", re.IGNORECASE)
_URL_ID = re.compile(r"/(\d{6,})\.html")


class CraigslistAdPage(AdPage):
    """A craigslist posting: ``span#titletextonly``, ``span.price``, ``section#postingbody``...

    The body drops the print-only "QR Code Link to This Post" box craigslist
    puts inside ``#postingbody``. ``p.attrgroup`` spans become
    ``extra.attributes`` when labelled ("compensation: $18/hr") and
    ``extra.tags`` otherwise ("private room"); a job's compensation stands in
    for the price. Postings are anonymous: no author, no contact lines (the
    phone numbers in the text are left to enrichment).

    Detected by ``section#postingbody`` or ``span#titletextonly``.
    """

    name: ClassVar[str] = "craigslist"
    DETECT: ClassVar[str] = "//section[@id='postingbody'] | //span[@id='titletextonly']"
    SELECTORS: ClassVar[dict[str, str]] = {
        "native_id": "[data-pid]::attr(data-pid)",
        "post_info": "p.postinginfo",
        "title": "#titletextonly",
        "price": ".postingtitletext .price",
        "housing": ".postingtitletext .housing",
        "title_location": ".postingtitletext > small",
        "description": "section#postingbody",
        "description_noise": ".print-information, .print-qrcode-container, a.showcontact",
        "attribute_spans": ".attrgroup span",
        "location": "div.mapaddress",
        "posted": ".postinginfos time.date, #display-date time, time.timeago",
        "images": "figure.iw .slide img::attr(src), #thumbs a::attr(href)",
        "breadcrumb": "ul.breadcrumbs li.crumb a",
    }

    def native_id(self) -> str | None:
        found = self.one("native_id")
        if isinstance(found, str) and found.strip():
            return found.strip()
        for info in self.all("post_info"):
            match = _POST_ID.search(element_text([info]) or "")
            if match:
                return match.group(1)
        match = _URL_ID.search(self.response.url)
        return match.group(1) if match else super().native_id()

    def body(self) -> str | None:
        section = self.one("description")
        if section is None:
            return None
        noise = set(self.all("description_noise", section))
        return "\n".join(lines_of(section, noise.__contains__)) or None

    def _spans(self) -> tuple[dict[str, str], list[str]]:
        if not hasattr(self, "_span_cache"):
            labelled: dict[str, str] = {}
            tags: list[str] = []
            for span in self.all("attribute_spans"):
                if span.getparent() is not None and span.getparent().tag == "span":
                    continue  # a span inside a span: part of its parent's text
                label, value = split_label(element_text([span]))
                if label and value:
                    labelled[label] = value
                elif value:
                    tags.append(value)
            self._span_cache = (labelled, tags)
        return self._span_cache

    def attributes(self) -> dict[str, str]:
        return self._spans()[0]

    def price(self) -> dict[str, Any]:
        shown = element_text(self.all("price")[:1])
        if not shown:
            shown = next((v for k, v in self.attributes().items() if k.lower() in ("compensation", "pay")), None)
        return parse_price(shown)

    def location(self) -> dict[str, Any]:
        address = element_text(self.all("location")[:1])
        if not address:
            address = clean((element_text(self.all("title_location")[:1]) or "").strip(" ()")) or None
        return {"raw": address} if address else {}

    def posted(self) -> tuple[datetime | None, str | None]:
        node = self.one("posted")
        if node is None:
            return None, None
        shown = element_text([node])
        now = fetch_time(self.response)
        return parse_posted(node.get("datetime"), shown, timezone=self.profile.timezone, now=now), shown

    def category(self) -> str | None:
        crumbs = self.all("breadcrumb")
        return element_text(crumbs[-1:]) if crumbs else None

    def contacts(self) -> dict[str, Any]:
        return {"raw": []}

    def extra(self) -> dict[str, Any]:
        labelled, tags = self._spans()
        found: dict[str, Any] = {}
        if labelled:
            found["attributes"] = labelled
        if tags:
            found["tags"] = tags
        housing = clean((element_text(self.all("housing")[:1]) or "").strip(" /-"))
        if housing:
            found["housing"] = housing
        return found
