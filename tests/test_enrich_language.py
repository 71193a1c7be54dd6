"""The language enricher: detection on a hand-labelled set of short postings and reviews, and the hook's contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.models import Listing
from plugins import language
from plugins.language import LANGUAGES, detect, trawler_enrich_listing

DATA = Path(__file__).parent / "data" / "enrichment" / "languages.jsonl"
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(rows: list[dict], min_chars: int = 0) -> dict[str, float]:
    """Accuracy (an abstention counts as wrong), coverage and precision of the answers, over texts >= min_chars."""
    picked = [r for r in rows if len(r["text"]) >= min_chars]
    answers = [(detect(r["text"]), r["lang"]) for r in picked]
    given = [(got, want) for got, want in answers if got is not None]
    correct = sum(got == want for got, want in given)
    return {
        "n": len(picked),
        "accuracy": correct / len(picked),
        "coverage": len(given) / len(picked),
        "precision": correct / len(given) if given else 1.0,
    }


def test_labelled_set_is_big_and_varied():
    assert len(ROWS) >= 120
    assert len({r["lang"] for r in ROWS}) >= 10
    assert {r["lang"] for r in ROWS} <= set(LANGUAGES)


def test_accuracy_on_labelled_set():
    long = score(ROWS, 40)
    assert long["n"] == 126
    assert long["accuracy"] >= 0.9
    assert long["precision"] >= 0.95
    every = score(ROWS)
    assert every["precision"] >= 0.95  # short texts are left unset rather than guessed wrong


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Caut fete pentru munca in strainatate, salariu bun, plata saptamanal.", "ro"),
        ("Szukamy młodych dziewczyn do pracy w klubie za granicą.", "pl"),
        ("Naghahanap kami ng mga kasambahay para sa Dubai, libre ang pamasahe.", "tl"),
        ("我一到就被收走了护照，已经两个月没有发工资了。", "zh"),
        ("Call me", None),  # too short
        ("+44 7700 900123 https://example.com/jobs/12345 anna@example.com", None),  # no words at all
        ("", None),
        (None, None),
    ],
)
def test_detect(text, expected):
    assert detect(text) == expected


def test_noise_does_not_decide():
    text = "Wir suchen Mädchen für die Arbeit in einer Bar, Unterkunft frei. WhatsApp +49 151 23456789 www.jobs.example"
    assert detect(text) == "de"


def test_hook_fills_an_empty_language_from_title_and_body():
    listing = {"title": "Trabajo en el campo", "body": "Se paga en efectivo, no hacen falta papeles ni experiencia."}
    trawler_enrich_listing(listing, None)
    assert listing["language"] == "es"


def test_hook_keeps_the_extractors_language_and_leaves_short_texts():
    declared = {"title": "Looking for girls to work in a club abroad, good pay", "language": "de"}
    trawler_enrich_listing(declared, None)
    assert declared["language"] == "de"
    short = {"title": "Hi", "body": "Call me"}
    trawler_enrich_listing(short, None)
    assert "language" not in short
    trawler_enrich_listing({}, None)  # nothing to read: no error


def test_enriched_listing_validates():
    listing = {
        "site": "s",
        "platform_type": "forum",
        "kind": "post",
        "url": "https://x.example/1",
        "body": ROWS[0]["text"],
    }
    trawler_enrich_listing(listing, None)
    assert Listing.model_validate(listing).language == "en"


def test_model_is_loaded_once():
    assert language.identifier() is language.identifier()
