"""Small parsing helpers shared by extractors: text, dates, prices, ratings, fast element look-ups.

They sit on the crawl's hot path, so each takes the cheap road first (ISO
timestamps, cached look-ups) and the general library (dateparser,
price-parser) only when it has to.

Two families of text helpers: :func:`text_of` / :func:`block_text` take parsel
selectors (handy in tests and one-off code); :func:`element_text` /
:func:`element_block_text` give the same text from lxml elements. Extractors
use the latter with :func:`select` / :func:`first`, which run CSS compiled once
(:func:`compiled`) straight on ``response.selector.root`` and its elements:
parsel wraps every match (every text node too) in a new ``Selector`` and looks
its XPath up again on each call, which costs more than parsing the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from lxml import etree
from parsel import Selector, SelectorList
from parsel.csstranslator import css2xpath
from price_parser import Price as ParsedPrice

if TYPE_CHECKING:
    from scrapy.http import Response

Node = etree._Element
"""An lxml element: ``response.selector.root`` and what :func:`select` returns for element selectors."""

_SPACE = re.compile(r"\s+")
_BLOCK_TAGS = frozenset({"p", "br"})
# Parsel's default XPath namespaces: EXSLT regular expressions (``re:test(...)``).
_NAMESPACES = {"re": "http://exslt.org/regular-expressions"}
_CURRENCY_CODES = {
    "€": "EUR", "eur": "EUR", "euro": "EUR", "$": "USD", "usd": "USD", "us$": "USD", "£": "GBP", "gbp": "GBP",
    "lei": "RON", "ron": "RON", "zł": "PLN", "zl": "PLN", "pln": "PLN", "₴": "UAH", "грн": "UAH", "uah": "UAH",
    "₽": "RUB", "руб": "RUB", "rub": "RUB", "chf": "CHF", "kč": "CZK", "czk": "CZK", "¥": "CNY", "cny": "CNY",
}  # fmt: skip


def clean(text: str | None) -> str | None:
    """Collapse white space; ``None`` for empty text."""
    if text is None:
        return None
    text = _SPACE.sub(" ", text).strip()
    return text or None


def text_of(node: Selector | SelectorList | None, separator: str = " ") -> str | None:
    """All text under ``node``, white space collapsed."""
    if node is None:
        return None
    return clean(separator.join(node.xpath(".//text()").getall()))


def block_text(node: Selector | SelectorList | None) -> str | None:
    """Text under ``node`` keeping paragraph breaks (``<p>``/``<br>``) as newlines."""
    if node is None:
        return None
    parts: list[str] = []
    for piece in node.xpath(".//text() | .//br | .//p"):
        root = piece.root
        if isinstance(root, str):
            parts.append(root)
        else:
            parts.append("\n")
    lines = [_SPACE.sub(" ", line).strip() for line in "".join(parts).split("\n")]
    text = "\n".join(line for line in lines if line)
    return text or None


# -- fast element look-ups ------------------------------------------------------


@lru_cache(maxsize=1024)
def compiled_xpath(xpath: str) -> etree.XPath:
    """An XPath expression compiled once (cached by its text); results are plain ``str`` and elements."""
    return etree.XPath(xpath, namespaces=_NAMESPACES, smart_strings=False)


@lru_cache(maxsize=1024)
def compiled(css: str) -> etree.XPath:
    """A CSS selector compiled once (cached by its text) to an lxml XPath, as parsel's ``Selector.css`` would.

    Parsel's ``::text`` and ``::attr(name)`` are allowed. Run on an element, it
    matches that element itself too (``descendant-or-self``), like parsel.
    Profile-supplied selector strings go through here, so each is compiled once.
    """
    return compiled_xpath(css2xpath(css))


def select(node: Node, css: str) -> list[Any]:
    """What ``css`` matches under ``node``: elements, or strings for ``::text`` / ``::attr()``."""
    return compiled(css)(node)


def first(node: Node, css: str) -> Any | None:
    """The first match of ``css`` under ``node``, or ``None``."""
    found = compiled(css)(node)
    return found[0] if found else None


def select_xpath(node: Node, xpath: str) -> list[Any]:
    """What the XPath expression ``xpath`` (relative to ``node``) matches, compiled once."""
    return compiled_xpath(xpath)(node)


def element_text(elements: Iterable[Node], separator: str = " ") -> str | None:
    """All text under the elements, white space collapsed: :func:`text_of` for lxml elements.

    Strings among ``elements`` (``::text`` / ``::attr()`` matches) add nothing,
    as with :func:`text_of`.
    """
    return clean(
        separator.join(text for element in elements if not isinstance(element, str) for text in element.itertext())
    )


def element_block_text(elements: Iterable[Node]) -> str | None:
    """Text keeping paragraph breaks (``<p>``/``<br>``) as newlines: :func:`block_text` for lxml elements."""
    parts: list[str] = []
    for root in elements:
        if isinstance(root, str):
            continue
        # Comments and processing instructions come as one event each: only their tail is page text.
        for event, element in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
            if event == "start":
                if element is not root and element.tag in _BLOCK_TAGS:
                    parts.append("\n")
                if element.text:
                    parts.append(element.text)
            elif element is not root and element.tail:
                parts.append(element.tail)
    lines = (clean(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line) or None


def last_path_segment(url: str) -> str | None:
    """The last segment of a URL's path (``/user/u1075/`` -> ``u1075``), ``None`` if there is none."""
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1] or None


# -- dates --------------------------------------------------------------------------


def fetch_time(response: Response) -> datetime:
    """When the page was fetched (its ``Date`` header) in UTC, else now: the base for relative dates.

    The header survives in snapshots, so re-extracting an old page later
    resolves its "3 hours ago" to the same moment. A header without a zone
    (``-0000``) is UTC.
    """
    header = response.headers.get(b"Date")
    if header:
        try:
            moment = parsedate_to_datetime(header.decode("latin-1"))
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return datetime.now(UTC)


# Month names that mean the same month in every language listed (dateparser's reading too).
_MONTH_NAMES_BY_LANGUAGE = {
    "en": "january february march april may june july august september october november december",
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "ro": "ianuarie februarie martie aprilie mai iunie iulie august septembrie octombrie noiembrie decembrie",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
}


def _month_table() -> dict[str, tuple[int, frozenset[str]]]:
    """Month name -> (month number, the languages that use the name)."""
    table: dict[str, tuple[int, frozenset[str]]] = {}
    for language, names in _MONTH_NAMES_BY_LANGUAGE.items():
        for number, name in enumerate(names.split(), start=1):
            month, languages = table.get(name, (number, frozenset()))
            if month != number:
                raise ValueError(f"{name!r} names two months")  # it could not take the fast path
            table[name] = (number, languages | {language})
    return table


_MONTHS = _month_table()
_DAY_MONTH_YEAR = re.compile(r"([0-9]{1,2})\.? ([^\W\d_]+) ([0-9]{4})(?:,? ([0-9]{1,2}):([0-9]{2}))?")


def _day_month_year(text: str, timezone: str, languages: tuple[str, ...] | None) -> datetime | None:
    """``"09. Oktober 2026 14:05"``, ``"12 March 2026"`` in ``timezone``, as dateparser reads them, without it.

    ``None`` whenever the answer is not certain to be dateparser's (another
    form, a month name outside :data:`_MONTHS` or not in ``languages``, an
    invalid date, a local time in a daylight-saving gap or overlap, a zone
    that is not an IANA name): the caller then asks dateparser.
    """
    found = _DAY_MONTH_YEAR.fullmatch(text)
    if found is None or (timezone != "UTC" and "/" not in timezone):
        return None
    month = _MONTHS.get(found.group(2).lower())
    if month is None or (languages and month[1].isdisjoint(languages)):
        return None
    day, year = int(found.group(1)), int(found.group(3))
    hour, minute = (int(found.group(4)), int(found.group(5))) if found.group(4) else (0, 0)
    if not 1970 <= year <= 2099:
        return None
    try:
        local = datetime(year, month[0], day, hour, minute, tzinfo=ZoneInfo(timezone))
    except (ValueError, KeyError):  # an invalid date or time; an unknown zone (ZoneInfoNotFoundError)
        return None
    if local.utcoffset() != local.replace(fold=1).utcoffset():
        return None  # the wall-clock time is skipped or repeated there: leave the choice to dateparser
    return local.astimezone(UTC)


@lru_cache(maxsize=4096)
def _parse_absolute(text: str, timezone: str, languages: tuple[str, ...] | None) -> datetime | None:
    import dateparser

    settings = {"TIMEZONE": timezone, "RETURN_AS_TIMEZONE_AWARE": True, "PREFER_DAY_OF_MONTH": "first"}
    found = dateparser.parse(text, languages=list(languages) if languages else None, settings=settings)
    return found.astimezone(UTC) if found else None


def parse_datetime(
    text: str | None,
    *,
    now: datetime | None = None,
    timezone: str = "UTC",
    languages: tuple[str, ...] | None = None,
) -> datetime | None:
    """Parse an absolute or relative date as shown on a page, to an aware UTC datetime.

    ISO 8601 (as in ``<time datetime>``) and a day, month name and year
    ("09. Oktober 2026 14:05", "12 March 2026") take fast paths; dateparser
    reads the rest. Relative dates ("3 hours ago", "vor 2 Tagen") are resolved
    against ``now`` (the fetch time).
    """
    text = clean(text)
    if not text:
        return None
    try:
        found = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        pass
    else:
        if found.tzinfo is None:
            found = found.replace(tzinfo=ZoneInfo(timezone))
        return found.astimezone(UTC)
    if now is not None and _looks_relative(text):
        import dateparser

        # "yesterday, 03:13" names a wall-clock time: resolve it in the site's zone with that day's offset.
        # "3 hours ago" is a duration: resolve it in UTC, so a daylight-saving change in between is no error.
        zone = ZoneInfo(timezone) if _CLOCK_TIME.search(text) else UTC
        base = now.astimezone(zone).replace(tzinfo=None)
        settings = {"RELATIVE_BASE": base, "RETURN_AS_TIMEZONE_AWARE": False}
        found = dateparser.parse(text, languages=list(languages) if languages else None, settings=settings)
        return found.replace(tzinfo=zone).astimezone(UTC) if found else None
    return _day_month_year(text, timezone, languages) or _parse_absolute(text, timezone, languages)


_RELATIVE_WORDS = re.compile(
    r"ago|yesterday|today|hour|minute|vor |gestern|heute|il y a|hier|aujourd|hace|ayer|hoy|geleden|gisteren|"
    r"acum|ieri|azi|назад|вчера|сегодня|temu|wczoraj|dzisiaj|тому|вчора|前|昨天|今天",
    re.IGNORECASE,
)


_CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")


def _looks_relative(text: str) -> bool:
    return bool(_RELATIVE_WORDS.search(text))


def round_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0) + (timedelta(minutes=1) if moment.second >= 30 else timedelta())


def parse_price(text: str | None) -> dict[str, object]:
    """``{"amount", "currency", "raw"}`` from a price as shown; currency as an ISO 4217 code where known."""
    text = clean(text)
    if not text:
        return {}
    parsed = ParsedPrice.fromstring(text)
    currency = parsed.currency
    if currency:
        currency = _CURRENCY_CODES.get(currency.lower().rstrip("."), currency.upper())
    amount = float(parsed.amount) if parsed.amount is not None else None
    return {"amount": amount, "currency": currency, "raw": text}


def normalise_rating(raw: float | None, scale: float | None) -> dict[str, float | None]:
    """A rating on any scale as ``{"value" (0-5), "raw", "scale"}``."""
    if raw is None or not scale:
        return {}
    return {"value": round(raw * 5.0 / scale, 2), "raw": raw, "scale": scale}
