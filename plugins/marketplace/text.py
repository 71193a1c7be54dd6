"""Text helpers for the new presets and the fallback layers: block-aware lines, labels, dates as shown.

:func:`crawler.extract.element_block_text` breaks lines at ``<p>``/``<br>``
only (the demo preset's output depends on it); real descriptions also use
lists, headings and ``<div>`` lines, so :func:`lines_of` breaks at every block
element and can leave out sub-trees (a craigslist QR-code box, a "Description"
heading) without copying the tree.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from crawler.extract import Node, clean, parse_datetime

BLOCK_TAGS = frozenset(
    [
        "p",
        "br",
        "div",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "tr",
        "table",
        "tbody",
        "thead",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "figure",
        "figcaption",
        "form",
        "hr",
        "address",
        "fieldset",
    ]
)
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "button", "select", "option", "textarea", "svg"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_CELL_TAGS = frozenset({"td", "th"})
_BREAK = "\x00"


def lines_of(root: Node, skip: Callable[[Node], bool] | None = None) -> list[str]:
    """The text under ``root`` as cleaned, non-empty lines, a new line at every block element.

    ``skip(element)`` true leaves that element's sub-tree out (its tail text stays). Line breaks in the
    page's source are white space, as a browser shows them.
    """
    parts: list[str] = []

    def walk(element: Node) -> None:
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in SKIP_TAGS or (skip is not None and skip(child)):
                if child.tail:
                    parts.append(child.tail)
                continue
            block = tag in BLOCK_TAGS
            if block:
                parts.append(_BREAK)
            elif tag in _CELL_TAGS:
                parts.append(" ")
            if child.text:
                parts.append(child.text)
            walk(child)
            if block:
                parts.append(_BREAK)
            if child.tail:
                parts.append(child.tail)

    if root.text:
        parts.append(root.text)
    walk(root)
    return [line for line in (clean(piece) for piece in "".join(parts).split(_BREAK)) if line]


def text_of(root: Node, skip: Callable[[Node], bool] | None = None) -> str | None:
    """The text under ``root`` on one line (see :func:`lines_of`)."""
    return clean(" ".join(lines_of(root, skip))) or None


def unescape(text: str | None) -> str | None:
    """Entities decoded, twice if need be: WooCommerce's JSON-LD double-encodes (``&amp;#8211;``)."""
    if text is None:
        return None
    for _ in range(2):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


_LABEL = re.compile(r"^\s*([^:|]{1,40}?)\s*:\s*(.*)$", re.DOTALL)


def split_label(text: str | None) -> tuple[str | None, str | None]:
    """``"Telefon: 0740 123 456"`` -> ``("Telefon", "0740 123 456")``; ``(None, text)`` without a label."""
    if not text:
        return None, text
    found = _LABEL.match(text)
    if found is None or not found.group(2).strip() or re.search(r"\d{3}", found.group(1)):
        return None, clean(text)
    return clean(found.group(1)), clean(found.group(2))


def strip_label(text: str | None) -> str | None:
    """The text without a leading ``"Label:"``."""
    return split_label(text)[1]


def normalised(text: str | None) -> str:
    """Lower-case letters and digits only: to compare two renderings of the same text."""
    return re.sub(r"\W+", "", (text or "").casefold())


# -- contacts -----------------------------------------------------------------------

PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d\s().\-/]{5,}\d(?![\w])")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
HANDLE = re.compile(r"(?<![\w.])@[A-Za-z0-9_]{3,}")


def has_phone(text: str) -> bool:
    return any(sum(ch.isdigit() for ch in match) >= 7 for match in PHONE.findall(text))


def looks_like_contact(text: str) -> bool:
    """A phone number (7+ digits), an e-mail address or a messenger handle."""
    return has_phone(text) or bool(EMAIL.search(text)) or bool(HANDLE.search(text))


# -- dates as shown -------------------------------------------------------------------

_MONTH = r"[^\W\d_]{3,}\.?"
_AT = r"(?:,?\s+(?:à|a las|alle|at|um|om|o|la|в)\s+|,?\s+)"
"""What joins a date and its time: "03/03/2024 à 17:45", "05.03.2024, 14:12", "11 March 2024 at 09:30"."""
DATE_PATTERN = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    rf"|\d{{1,2}}[./-]\d{{1,2}}[./-]\d{{2,4}}(?:{_AT}\d{{1,2}}[:h]\d{{2}}(?:\s*Uhr)?)?"
    rf"|\d{{1,2}}\.?\s+{_MONTH},?\s+\d{{4}}(?:{_AT}\d{{1,2}}:\d{{2}})?"
    rf"|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}(?:{_AT}\d{{1,2}}:\d{{2}})?"
    r"|(?:\d+|an?|one)\s+(?:second|minute|hour|day|week|month|year)s?\s+ago"
    r"|vor\s+\d+\s+\w+|hace\s+\d+\s+\w+|il y a\s+\d+\s+\w+|acum\s+\d+\s+\w+|\d+\s+\w+\s+(?:temu|назад|тому|geleden)"
    r"|(?:yesterday|today|gestern|heute|ayer|hoy|hier|aujourd'hui|ieri|azi|astăzi|wczoraj|dzisiaj|gisteren|vandaag"
    r"|вчора|сьогодні|вчера|сегодня)(?:,?\s+\d{1,2}:\d{2})?",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    rf"^(\d{{1,2}})[./-](\d{{1,2}})[./-](\d{{2}}|\d{{4}})(?:{_AT}(\d{{1,2}})[:h](\d{{2}}))?(?:\s*Uhr)?$", re.IGNORECASE
)


def find_date(text: str | None) -> str | None:
    """The first date-looking part of ``text`` ("Geplaatst op 28-02-2024" -> "28-02-2024")."""
    if not text:
        return None
    found = DATE_PATTERN.search(text)
    return found.group(0) if found else None


def parse_shown(text: str | None, *, timezone: str, now: datetime) -> datetime | None:
    """A date as a page shows it, in the site's zone: numeric dates day first (month first in the Americas)."""
    text = clean(text)
    if not text:
        return None
    found = _NUMERIC.match(text)
    if found:
        first, second, year, hour, minute = (int(g) if g else 0 for g in found.groups())
        day, month = (second, first) if timezone.startswith("America/") else (first, second)
        year += 2000 if year < 100 else 0
        try:
            local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(timezone))
        except (ValueError, KeyError):
            return None
        return local.astimezone(UTC)
    text = re.sub(r"\s*Uhr$", "", text)
    text = re.sub(r"(\d{4}),?\s+(?:à|a las|alle|at|um|om|o|la|в)\s+(\d{1,2}:\d{2})", r"\1 \2", text)
    return parse_datetime(text, now=now, timezone=timezone)


def first_text(values: Iterable[str | None]) -> str | None:
    return next((value for value in values if value), None)
