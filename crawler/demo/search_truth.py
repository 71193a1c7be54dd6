"""Ground truth for search tests: which words and phrases a demo listing holds, and the country it is in.

The analyst search (crawler/query) matches whole words, case- and accent-insensitively, in a listing's title,
body, author name, place and category. These functions answer the same questions from a ground-truth listing
(``server.ground_truth``) with their own small reading of the text, so a test can say which postings a word or
a phrase must find without asking the search. Words are runs of letters or runs of digits (``a10125`` is the
two words ``a`` and ``10125``), compared without case or accents (``nötig`` is ``notig``); a phrase is a run of
consecutive words.

:func:`city_of` and :func:`country_of` give the city and country the generator placed a marketplace ad or a
review-site business in, from the generator's own tables of cities. One of its city names is also a city in
other countries (:data:`AMBIGUOUS_CITIES`): a reader of the page cannot tell which country it is in.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

from crawler.demo import reviews, world

# (section, field) of the listing fields whose text is searched; a section of None is a top-level field.
SEARCHED_FIELDS = ((None, "title"), (None, "body"), ("author", "name"), ("location", "raw"), (None, "category"))
AMBIGUOUS_CITIES = frozenset({"Valencia"})  # a city in Spain and in Venezuela (and elsewhere)
_WORD = re.compile(r"[^\W\d_]+|\d+")


def fold(text: str) -> str:
    """Lower case, accents removed: ``"Nötig"`` → ``"notig"``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of ``text`` in order, folded."""
    return _WORD.findall(fold(text))


def searched_text(item: dict[str, Any]) -> str:
    """The text of a truth listing that a word search looks at, one field a line."""
    parts = []
    for section, name in SEARCHED_FIELDS:
        holder = item.get(section) if section else item
        value = holder.get(name) if isinstance(holder, dict) else None
        if isinstance(value, str) and value:
            parts.append(value)
    return "\n".join(parts)


def has_words(item: dict[str, Any], query: str) -> bool:
    """Whether every word of ``query`` occurs in the listing, anywhere."""
    found = set(words(searched_text(item)))
    return all(w in found for w in words(query))


def has_phrase(item: dict[str, Any], phrase: str) -> bool:
    """Whether the words of ``phrase`` occur in the listing one after the other."""
    wanted = words(phrase)
    text = words(searched_text(item))
    n = len(wanted)
    return bool(wanted) and any(text[i : i + n] == wanted for i in range(len(text) - n + 1))


@cache
def _city_countries() -> dict[str, str]:
    """Every city the generator places people, sellers and businesses in → its ISO country code."""
    places = {city: country for country, city in world._CITIES}
    places |= {person.city: person.country for person in world.recruiters()}
    places |= {city: code for city, code, *_ in reviews._CITIES}
    return places


@cache
def _country_codes() -> dict[str, str]:
    return {name: code for _, code, name, *_ in reviews._CITIES}


def city_of(item: dict[str, Any]) -> str | None:
    """The city of an ad's place (``"Krakow, Kazimierz"`` → ``"Krakow"``) or of a business's address."""
    address = (item.get("extra") or {}).get("address")
    if isinstance(address, dict) and address.get("city"):
        return address["city"]
    raw = (item.get("location") or {}).get("raw")
    return raw.split(",")[0].strip() if item.get("kind") == "ad" and isinstance(raw, str) else None


def country_of(item: dict[str, Any]) -> str | None:
    """The ISO country of an ad's place (``"Krakow, Kazimierz"``) or of a business's address; None otherwise."""
    address = (item.get("extra") or {}).get("address")
    if isinstance(address, dict) and address.get("country"):
        return _country_codes().get(address["country"])
    city = city_of(item)
    return _city_countries().get(city) if city else None
