"""Engine preset ``osclass``: item pages of Osclass, the open-source PHP classifieds script (Bender, Sigma)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from crawler.extract import clean, element_text, fetch_time, last_path_segment
from plugins.marketplace.page import AdPage
from plugins.marketplace.text import lines_of, parse_shown, split_label, strip_label

_URL_ID = re.compile(r"_i(\d+)(?:[/?#]|$)|[?&]id=(\d+)")
_SEPARATORS = " »›>/|\u00a0"


class OsclassAdPage(AdPage):
    """An Osclass item page as the Bender theme and its derivatives (Sigma) render it.

    ``#item-content h1`` holds ``span.price`` and the title in ``<strong>``;
    ``.item-header`` the "Published date: ..." line (the date format is a site
    setting: numeric dates are read day first, month first in the Americas);
    ``#item_location`` "Location: city, region, country"; ``#description``
    the text, with the custom fields (``#custom_fields .meta``, our
    ``extra.attributes``) and the contact buttons inside it; the sidebar's
    ``#contact`` the publisher's name (a link to the public profile for
    registered users) and the e-mail/phone lines.

    Detected by the ``generator`` meta tag ("Osclass x.y") or the
    ``oc-content/themes`` / ``oc-includes`` asset paths in the head.
    """

    name: ClassVar[str] = "osclass"
    DETECT: ClassVar[str] = (
        "/html/head/meta[@name='generator'][starts-with(@content, 'Osclass')]"
        " | /html/head/link[contains(@href, '/oc-content/themes/')]"
        " | /html/head/script[contains(@src, '/oc-includes/osclass/')]"
    )
    SELECTORS: ClassVar[dict[str, str]] = {
        "native_id": "form input[name=id]::attr(value)",
        "title": "#item-content h1 strong",
        "heading": "#item-content h1",
        "price": "#item-content h1 .price, #item-content .price",
        "description": "#item-content #description",
        "description_noise": "#custom_fields, .contact_button, #useful_info",
        "attribute_rows": "#custom_fields .meta",
        "location": "#item_location li, #item_location",
        "seller": "#contact .name a",
        "seller_line": "#contact .name",
        "contacts": "#contact .phone, #contact .email, #contact .mobile",
        "posted": "#item-content .item-header .publish",
        "images": ".item-photos a::attr(href), .item-photos img::attr(src)",
        "breadcrumb": "ul.breadcrumb > li",
    }

    def native_id(self) -> str | None:
        found = self.one("native_id")
        if isinstance(found, str) and found.strip().isdigit():
            return found.strip()
        match = _URL_ID.search(self.response.url)
        return (match.group(1) or match.group(2)) if match else last_path_segment(self.response.url)

    def title(self) -> str | None:
        found = element_text(self.all("title")[:1])
        if found:
            return found
        heading = self.one("heading")
        if heading is None:
            return None
        prices = set(self.all("price", heading))
        return clean(" ".join(lines_of(heading, prices.__contains__))) or None

    def body(self) -> str | None:
        description = self.one("description")
        if description is None:
            return None
        noise = set(self.all("description_noise", description))
        return "\n".join(lines_of(description, noise.__contains__)) or None

    def location(self) -> dict[str, Any]:
        found = strip_label(element_text(self.all("location")[:1]))
        return {"raw": found} if found else {}

    def author(self) -> dict[str, Any]:
        if self.one("seller") is not None:
            return super().author()
        name = strip_label(element_text(self.all("seller_line")[:1]))
        return {"name": name} if name else {}

    def posted(self) -> tuple[datetime | None, str | None]:
        label = self.one("posted")
        line = label.getparent() if label is not None else None
        if line is None:
            return None, None
        shown = split_label(element_text([line]))[1]
        now = fetch_time(self.response)
        return parse_shown(shown, timezone=self.profile.timezone, now=now), shown

    def category(self) -> str | None:
        crumbs = self.all("breadcrumb")
        if len(crumbs) < 3:
            return None
        return clean((element_text(crumbs[-2:-1]) or "").strip(_SEPARATORS)) or None

    def attributes(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for row in self.all("attribute_rows"):
            label, value = split_label(element_text([row]))
            if label:
                found[label] = value or ""
        return found

    def images(self) -> list[str]:
        links = self.all("images")
        full = [src for src in links if isinstance(src, str) and "_thumbnail" not in src and "_preview" not in src]
        return list(dict.fromkeys(self.response.urljoin(src.strip()) for src in full if src.strip()))
