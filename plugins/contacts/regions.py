"""The countries a listing's national phone numbers ("0721 234 567") are read in, most likely first.

A national number carries no country code, and the same digits are valid in
several countries (0721... is a Romanian mobile and a Karlsruhe landline). The
evidence, strongest first:

1. the country the listing is located in (the location plugin's result): a London ad on a German site writes
   London numbers; for an ambiguous place ("Valencia"), each country it may be in;
2. the countries of the language it is written in, except English: a recruiter writing Romanian gives a Romanian
   number, whatever the site's country;
3. the site profile's ``country``;
4. for English, the main English-speaking countries, last: English is written everywhere, so it says little.

Before all of these comes the language of the line the number is written in, when it is not English: a German
agency's page with a Romanian paragraph ("Sunati la 0721 234 567") gives a Romanian number. A contact line too
short to have a language is read first in the countries the listing's other numbers were read in.

Each number is read in these countries in turn and the first reading that is valid wins
(see :func:`plugins.contacts.phones.find_phones`); the country used is kept on the mention.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from crawler.language import detect

# ISO 639-1 -> the countries where a national number in a text of that language most likely comes from.
LANGUAGE_COUNTRIES: dict[str, tuple[str, ...]] = {
    "bg": ("BG",), "cs": ("CZ",), "da": ("DK",), "de": ("DE", "AT", "CH"), "el": ("GR", "CY"), "es": ("ES",),
    "et": ("EE",), "fi": ("FI",), "fr": ("FR", "BE", "CH"), "hr": ("HR",), "hu": ("HU",), "it": ("IT",),
    "lt": ("LT",), "lv": ("LV",), "nl": ("NL", "BE"), "pl": ("PL",), "pt": ("PT", "BR"), "ro": ("RO", "MD"),
    "ru": ("RU", "UA", "BY", "KZ"), "sk": ("SK",), "sl": ("SI",), "sr": ("RS",), "sv": ("SE",), "tr": ("TR",),
    "uk": ("UA",), "vi": ("VN",), "zh": ("CN", "TW", "HK"), "th": ("TH",), "tl": ("PH",), "id": ("ID",),
}  # fmt: skip
WEAK_LANGUAGES: dict[str, tuple[str, ...]] = {"en": ("GB", "US", "IE")}
SENTENCE_WINDOW = 200  # characters before a number whose language is its own line's


def phone_regions(listing: dict[str, Any], profile: Any) -> tuple[str, ...]:
    language = listing.get("language") or ""
    location = listing.get("location") or {}
    candidates = [
        location.get("country"),
        *(location.get("candidates") or ()),
        *LANGUAGE_COUNTRIES.get(language, ()),
        getattr(profile, "country", None),
        *WEAK_LANGUAGES.get(language, ()),
    ]
    return merge(candidates)


def merge(*groups: tuple[str, ...] | list[str | None]) -> tuple[str, ...]:
    out: list[str] = []
    for group in groups:
        out += [country for country in group if country and country not in out]
    return tuple(out)


def regions_at(text: str, listing_regions: tuple[str, ...]) -> Callable[[int], tuple[str, ...]]:
    """Countries for a number at an offset of ``text``: its own line's language first, then the listing's.

    A German agency's page with a Romanian paragraph ("Sunati la 0721 234 567") gives a Romanian number.
    """

    def at(start: int) -> tuple[str, ...]:
        line = text[max(0, start - SENTENCE_WINDOW) : start].rsplit("\n", 1)[-1]
        local = detect(line)
        return merge(LANGUAGE_COUNTRIES.get(local or "", ()), listing_regions)

    return at
