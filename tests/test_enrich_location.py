"""The location enricher: country and city from ``location.raw`` on a hand-labelled set, and the hook's contract."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from crawler.models import Listing
from plugins.location import resolve, trawler_enrich_listing
from plugins.location.gazetteer import fold, gazetteer

DATA = Path(__file__).parent / "data" / "enrichment" / "locations.jsonl"
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def _same_city(got: str | None, want: str | None) -> bool:
    # "Iasi" and "Iaşi" are the same label: the data set is hand-written, GeoNames spells with diacritics
    return (got is None) == (want is None) and (got is None or fold(got) == fold(want))


def score(rows: list[dict]) -> dict[str, float]:
    """Precision and recall of the country and of the city over the labelled set."""
    counts = {"country": [0, 0, 0], "city": [0, 0, 0]}  # correct answers, answers given, answers expected
    for row in rows:
        country, city = resolve(row["raw"], row["country_hint"])
        for name, got, want, same in (
            ("country", country, row["country"], country == row["country"]),
            ("city", city, row["city"], _same_city(city, row["city"])),
        ):
            counts[name][0] += got is not None and same
            counts[name][1] += got is not None
            counts[name][2] += want is not None
    result = {}
    for name, (correct, given, expected) in counts.items():
        result[f"{name}_precision"] = correct / given
        result[f"{name}_recall"] = correct / expected
    return result


def test_labelled_set_is_big_and_has_negatives():
    assert len(ROWS) >= 100
    assert sum(r["country"] is None for r in ROWS) >= 20


def test_precision_and_recall_on_labelled_set():
    result = score(ROWS)
    assert result["country_precision"] >= 0.95
    assert result["country_recall"] >= 0.8
    assert result["city_precision"] >= 0.95
    assert result["city_recall"] >= 0.8


@pytest.mark.parametrize(
    ("raw", "hint", "expected"),
    [
        ("London, UK", None, ("GB", "London")),
        ("Berlin-Mitte", None, ("DE", "Berlin")),
        ("10115 Berlin", None, ("DE", "Berlin")),
        ("Kraków, małopolskie", None, ("PL", "Kraków")),
        ("KRAKOW", None, ("PL", "Kraków")),
        ("Cluj-Napoca, Cluj", None, ("RO", "Cluj-Napoca")),
        ("Warszawa", None, ("PL", "Warsaw")),
        ("Valencia", "ES", ("ES", "Valencia")),
        ("Valencia", "VE", ("VE", "Valencia")),
        ("Valencia", None, (None, None)),  # Spain or Venezuela: not sure
        ("Camden, London", None, ("GB", "London")),  # the district is also a US city
        ("Hafenstraße 12, 20095 Hamburg, Germany", None, ("DE", "Hamburg")),
        ("Paris, TX", None, ("US", "Paris")),
        ("Deutschland", None, ("DE", None)),
        ("Remote", None, (None, None)),
        ("Anywhere in EU", None, (None, None)),
        ("near the station", None, (None, None)),
        ("Downtown", None, (None, None)),
    ],
)
def test_resolve(raw, hint, expected):
    assert resolve(raw, hint) == expected


def test_known_country_rules_out_other_countries():
    assert resolve("Valencia", None, "VE") == ("VE", "Valencia")
    assert resolve("Berlin, Germany", None, "FR") == (None, None)


def test_hook_fills_country_and_city_and_keeps_raw():
    listing = {"location": {"raw": "Valencia, Ruzafa", "country": None, "city": None}}
    trawler_enrich_listing(listing, SimpleNamespace(country="ES"))
    assert listing["location"] == {"raw": "Valencia, Ruzafa", "country": "ES", "city": "Valencia"}


def test_hook_keeps_what_the_extractor_found():
    listing = {"location": {"raw": "Milano", "city": "Milano (MI)"}}
    trawler_enrich_listing(listing, None)
    assert listing["location"] == {"raw": "Milano", "city": "Milano (MI)", "country": "IT"}
    full = {"location": {"raw": "Paris", "country": "FR", "city": "Paris 11e"}}
    trawler_enrich_listing(full, None)
    assert full["location"] == {"raw": "Paris", "country": "FR", "city": "Paris 11e"}


def test_hook_reads_only_raw():
    for listing in (
        {"body": "Work in Berlin"},
        {"location": {}},
        {"location": {"raw": ""}},
        {"location": {"raw": None}},
        {"location": None},
        {"location": {"raw": "Remote"}},
    ):
        before = json.dumps(listing, sort_keys=True)
        trawler_enrich_listing(listing, None)
        assert json.dumps(listing, sort_keys=True) == before


def test_enriched_listing_validates():
    listing = {
        "site": "s", "platform_type": "marketplace", "kind": "ad", "url": "https://x.example/1", "title": "Job",
        "location": {"raw": "80331 München"},
    }  # fmt: skip
    trawler_enrich_listing(listing, None)
    assert Listing.model_validate(listing).location.model_dump() == {
        "raw": "80331 München", "country": "DE", "city": "Munich", "candidates": []
    }  # fmt: skip


def test_an_ambiguous_place_keeps_the_countries_it_may_be_in():
    listing = {"location": {"raw": "Valencia"}}
    trawler_enrich_listing(listing, None)
    # Valencia, Venezuela is the larger city: too close to Valencia, Spain to choose; the phone plugin weighs both
    assert listing["location"] == {"raw": "Valencia", "candidates": ["VE", "ES", "PH", "US"]}
    certain = {"location": {"raw": "Valencia, Spain"}}
    trawler_enrich_listing(certain, None)
    assert certain["location"] == {"raw": "Valencia, Spain", "country": "ES", "city": "Valencia"}


def test_index_is_built_once():
    assert gazetteer() is gazetteer()
