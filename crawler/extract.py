"""Small parsing helpers shared by extractors: text, dates, prices, ratings.

They sit on the crawl's hot path, so each takes the cheap road first (ISO
timestamps, cached look-ups) and the general library (dateparser,
price-parser) only when it has to.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from parsel import Selector, SelectorList
from price_parser import Price as ParsedPrice

_SPACE = re.compile(r"\s+")
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

    ISO 8601 (as in ``<time datetime>``) takes a fast path. Relative dates
    ("3 hours ago", "vor 2 Tagen") are resolved against ``now`` (the fetch time).
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
    return _parse_absolute(text, timezone, languages)


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
