"""The indicators enricher: lexicon matching, positions, switches, analyst files, and accuracy on a labelled set."""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path

import pytest

from crawler.demo.base import BuildOptions
from crawler.demo.server import PLATFORMS, ground_truth
from crawler.demo.world import RECRUITMENT_TEXTS, recruiters, recruitment_template
from crawler.models import Listing
from crawler.plugins import TrawlerPluginManager, get_plugin_manager
from crawler.query.counters import RISK_BANDS
from plugins.indicators import LexiconError, enrich, get_matcher
from plugins.indicators.lexicon import load_lexicon
from plugins.indicators.matcher import Matcher, fold

POSTINGS = Path(__file__).parent / "data" / "enrichment" / "postings.jsonl"


def _load() -> list[dict]:
    return [json.loads(line) for line in POSTINGS.read_text(encoding="utf-8").splitlines() if line.strip()]


def _ids(text: str, language: str | None, matcher: Matcher | None = None) -> set[str]:
    listing = {"body": text, "language": language}
    enrich(listing, matcher or get_matcher())
    return {m["id"] for m in listing["indicators"]}


def score(postings: list[dict], matcher: Matcher) -> tuple[Counter, Counter, Counter]:
    """True positives, false positives and false negatives per indicator id (a posting counts once per id)."""
    tp, fp, fn = Counter(), Counter(), Counter()
    for posting in postings:
        found = _ids(posting["text"], posting["lang"], matcher)
        expected = set(posting["indicators"])
        tp.update(found & expected)
        fp.update(found - expected)
        fn.update(expected - found)
    return tp, fp, fn


def test_labelled_set_shape() -> None:
    postings = _load()
    assert len(postings) >= 200
    assert sum(1 for p in postings if not p["indicators"]) >= 60
    assert {p["lang"] for p in postings} == {"en", "de", "fr", "nl", "es", "ro", "uk", "ru", "pl", "zh"}
    known = {ind.id for ind in load_lexicon()}
    assert {i for p in postings for i in p["indicators"]} <= known


def _report(name: str, tp: Counter, fp: Counter, fn: Counter) -> tuple[float, float]:
    total_tp, total_fp, total_fn = sum(tp.values()), sum(fp.values()), sum(fn.values())
    precision = total_tp / (total_tp + total_fp)
    recall = total_tp / (total_tp + total_fn)
    print(f"\n{name}: precision {precision:.3f} recall {recall:.3f} (tp {total_tp} fp {total_fp} fn {total_fn})")
    for ident in sorted(set(tp) | set(fp) | set(fn)):
        p = tp[ident] / (tp[ident] + fp[ident]) if tp[ident] + fp[ident] else 1.0
        r = tp[ident] / (tp[ident] + fn[ident]) if tp[ident] + fn[ident] else 1.0
        print(f"  {ident:22} precision {p:.2f} recall {r:.2f} (tp {tp[ident]} fp {fp[ident]} fn {fn[ident]})")
    return precision, recall


def test_precision_and_recall_on_labelled_set(capsys: pytest.CaptureFixture[str]) -> None:
    postings = _load()
    tuned = [p for p in postings if p.get("split") != "holdout"]
    holdout = [p for p in postings if p.get("split") == "holdout"]
    matcher = get_matcher()
    with capsys.disabled():
        all_precision, _all_recall = _report("indicators, all postings", *score(postings, matcher))
        precision, recall = _report("indicators, tuning set", *score(tuned, matcher))
        held_precision, held_recall = _report("indicators, held-out set", *score(holdout, matcher))
    assert all_precision >= 0.9
    assert precision >= 0.9 and recall >= 0.9
    # The held-out postings were written after the lexicon was tuned: the honest estimate, kept as a floor.
    assert held_precision >= 0.9 and held_recall >= 0.5
    clean = [p for p in tuned if not p["indicators"]]
    assert [p["text"] for p in clean if _ids(p["text"], p["lang"])] == []


def test_positions_map_back_to_the_original_text() -> None:
    listing = {
        "title": "STRASSE: Flüge BEZAHLT",
        "body": "Große Firma. Wir zahlen Deinen FLUG; der Reisepass wird einbehalten.",
        "contacts": {"raw": ["Telegram: no papers needed"]},
        "language": "de",
    }
    enrich(listing)
    assert listing["indicators"], listing
    fields = {"title": listing["title"], "body": listing["body"], "contacts.raw[0]": listing["contacts"]["raw"][0]}
    for match in listing["indicators"]:
        assert fields[match["field"]][match["start"] : match["end"]] == match["text"]
    assert [(m["id"], m["field"], m["text"]) for m in listing["indicators"]] == [
        ("travel_paid", "body", "Wir zahlen Deinen FLUG"),
        ("passport_retained", "body", "Reisepass wird einbehalten"),
    ]
    # "ß" folds to "ss": the offsets after it still point into the original text.
    folded, index = fold("Große Firma")
    assert folded == "grosse firma" and index is not None and index[folded.index("firma")] == 6


def test_positions_in_every_field_and_valid_listing() -> None:
    listing = {
        "site": "x",
        "platform_type": "forum",
        "kind": "post",
        "url": "https://example.org/1",
        "title": "Easy money",
        "body": "Ésçort agency. We pay your flight.",
        "contacts": {"raw": ["whatsapp only, cash in hand"]},
        "language": "en",
    }
    enrich(listing)
    got = [(m["id"], m["field"], m["start"], m["end"], m["text"]) for m in listing["indicators"]]
    assert got == [
        ("easy_money", "title", 0, 10, "Easy money"),
        ("sexual_services", "body", 0, 13, "Ésçort agency"),
        ("travel_paid", "body", 15, 33, "We pay your flight"),
        ("cash_in_hand", "contacts.raw[0]", 15, 27, "cash in hand"),
    ]
    assert listing["risk"] == {
        "score": 6.5,
        "reasons": [
            "sexual_services (sexual_exploitation, weight 2.5): 'Ésçort agency' in body",
            "travel_paid (travel_documents, weight 2.0): 'We pay your flight' in body",
            "cash_in_hand (labour_exploitation, weight 1.0): 'cash in hand' in contacts.raw[0]",
            "easy_money (labour_exploitation, weight 1.0): 'Easy money' in title",
        ],
    }
    model = Listing.model_validate(listing)
    assert model.risk is not None and model.risk.score == 6.5
    assert model.indicators[0].language == "en"


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("WE PAY YOUR FLIGHTS", "en", {"travel_paid"}),
        ("we paid the airfare", "en", set()),  # past tense of another verb form: not in the lexicon
        ("Dancers needed in bars far abroad", "en", {"dancer_abroad"}),
        ("Die Flüge werden übernommen", "de", {"travel_paid"}),
        ("DIE FLUGE WERDEN UBERNOMMEN", "de", {"travel_paid"}),
        ("Salariul reținut", "ro", {"wages_withheld"}),
        ("Salariul retinut", "ro", {"wages_withheld"}),
        ("Paszporty zatrzymane przez pracodawcę", "pl", {"passport_retained"}),
        ("паспорта забирает начальник", "ru", {"passport_retained"}),
        ("ЭСКОРТ-УСЛУГИ", "ru", {"sexual_services"}),
        ("护照由公司保管", "zh", {"passport_retained"}),
        ("Wir zahlen deinen Flug", None, {"travel_paid"}),  # no language: every lexicon
        ("Wir zahlen deinen Flug", "xx", {"travel_paid"}),  # a language without a lexicon: every lexicon
        ("молодих дівчат", "uk", {"young_women_wanted"}),
        ("Шукаємо МОЛОДИХ дівчат", "uk", {"young_women_wanted"}),
        ("ЖИЛЬЁ ПРЕДОСТАВЛЯЕМ, опыт не нужен", "ru", {"accommodation_provided", "no_experience"}),
        ("Fără experiență, cazare asigurată", "ro", {"no_experience", "accommodation_provided"}),
        ("Transport și viză plătite", "ro", {"travel_paid", "visa_arranged"}),
        ("Reise und Visum bezahlt", "de", {"travel_paid", "visa_arranged"}),
        ("Zakwaterowanie zapewnione, bez doświadczenia", "pl", {"accommodation_provided", "no_experience"}),
        ("No experience with this software", "en", set()),
        ("Travel insurance paid", "en", set()),
    ],
)
def test_case_accents_and_inflection(text: str, language: str | None, expected: set[str]) -> None:
    assert _ids(text, language) == expected


def test_clean_listing_gets_zero_score() -> None:
    listing = {"title": "Room to rent", "body": "Sunny room, bills included."}
    enrich(listing)
    assert listing["indicators"] == [] and listing["risk"] == {"score": 0.0, "reasons": []}


def test_turning_an_indicator_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAWLER_INDICATORS_OFF", "travel_paid, easy_money")
    listing = {"body": "We pay your flight. Easy money. Cash in hand.", "language": "en"}
    enrich(listing)
    assert [m["id"] for m in listing["indicators"]] == ["cash_in_hand"]
    monkeypatch.delenv("TRAWLER_INDICATORS_OFF")
    enrich(listing)
    assert [m["id"] for m in listing["indicators"]] == ["travel_paid", "easy_money", "cash_in_hand"]


def test_adding_indicators_from_a_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "extra.yaml").write_text(
        "language: en\n"
        "endings: [s]\n"
        "indicators:\n"
        "  - id: curfew\n"
        "    category: control\n"
        "    weight: 1.5\n"
        "    patterns: ['curfew at #', 'home by (ten|10) pm']\n"
        "  - id: travel_paid\n"  # adds a phrase to a built-in id; category and weight are inherited
        "    patterns: ['tickets on the house']\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("TRAWLER_INDICATORS_DIR", str(tmp_path))
    listing = {"body": "Curfews at 9 every night. Tickets on the house!", "language": "en"}
    enrich(listing)
    assert [(m["id"], m["category"], m["weight"], m["text"]) for m in listing["indicators"]] == [
        ("curfew", "control", 1.5, "Curfews at 9"),
        ("travel_paid", "travel_documents", 2.0, "Tickets on the house"),
    ]
    assert listing["risk"]["score"] == 3.5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("language: en\nindicators: [{id: x, category: c, weight: 1, patterns: ['a (b']}]\n", "'x' patterns[0]"),
        ("language: en\nindicators: [{id: x, category: c, weight: -1, patterns: [a]}]\n", "indicators[0] (id 'x')"),
        ("language: en\nindicators: [{id: x, category: c, weight: 1, patterns: []}]\n", "indicators[0] (id 'x')"),
        (
            "language: en\nindicators: [{id: ok, category: c, weight: 1, patterns: [a]}, {id: y, pattern: [a]}]\n",
            "indicators[1] (id 'y'): unknown key(s) ['pattern']",
        ),
        (
            "language: en\nindicators: [{id: travel_paid, category: debt, weight: 2.0, patterns: [a]}]\n",
            "indicators[0] (id 'travel_paid'): category/weight (debt, 2.0) differ",
        ),
        ("language: en\nindicators: [{id: nowhere, patterns: [a]}]\n", "id 'nowhere' has no category and weight"),
        ("language: en\nindicators: [{id: r, category: c, weight: 1, patterns: ['re:(']}]\n", "'r' patterns[0] 're:('"),
        ("language: en\nindicators:\n  - id: x\n   bad: indent\n", "cannot be read"),
    ],
)
def test_broken_lexicon_file_names_file_and_entry(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LexiconError) as err:
        Matcher(load_lexicon((str(tmp_path),)))
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_broken_file_during_a_crawl_raises_each_time(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("language: en\nindicators: [{id: x, patterns: [a]}]\n", encoding="utf-8")
    monkeypatch.setenv("TRAWLER_INDICATORS_DIR", str(tmp_path))
    for _ in range(2):
        with pytest.raises(LexiconError, match=r"bad\.yaml: id 'x' has no category and weight"):
            enrich({"body": "we pay your flight"})


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="does not exist"):
        load_lexicon((str(tmp_path / "nope"),))


# -- the demo generator's recruitment ads ---------------------------------------------------------------------------

# What each recruitment template of the demo generator (crawler/demo/world.py RECRUITMENT_TEXTS) says, in lexicon
# ids: hand labels by template key. The texts themselves are read from the generator's ground truth.
TEXTBOOK_AD = frozenset(
    {"travel_paid", "visa_arranged", "accommodation_provided", "no_experience", "young_women_wanted"}
)
DEMO_TEMPLATE_INDICATORS = {
    "recruitment:en:0": TEXTBOOK_AD,
    # "flight ticket paid by us, we keep your passport safe"
    "recruitment:en:1": frozenset({"travel_paid", "passport_retained"}),
    "recruitment:de:0": TEXTBOOK_AD,
    "recruitment:ro:0": TEXTBOOK_AD,
    "recruitment:es:0": TEXTBOOK_AD,
    "recruitment:uk:0": TEXTBOOK_AD,
    "recruitment:pl:0": TEXTBOOK_AD,
}
HIGH_RISK = dict(RISK_BANDS)["high"]
MEDIUM_RISK = dict(RISK_BANDS)["medium"]


@pytest.fixture(scope="module")
def demo_truth() -> list[dict]:
    """Every listing of the demo platforms as the generator wrote it (placeholder URLs: no server is needed)."""
    urls = {e.name: f"http://{e.name}.invalid" for e in PLATFORMS}
    return [item for items in ground_truth(BuildOptions(), urls).values() for item in items]


def _recruitment_key(item: dict) -> str | None:
    keys = [k for k in (item.get("_truth") or {}).get("text_templates", []) if k.startswith("recruitment:")]
    return keys[0] if keys else None


def _crawled(item: dict, pm: TrawlerPluginManager) -> dict:
    """The listing as a crawl's enrichment hook chain leaves it (language detected first, then indicators)."""
    raw = copy.deepcopy({k: v for k, v in item.items() if k != "_truth"})
    pm.hook.trawler_enrich_listing(listing=raw, profile=None)
    return raw


def test_every_demo_recruitment_template_is_labelled() -> None:
    templates = {recruitment_template(p, v) for p in recruiters() for v in range(len(RECRUITMENT_TEXTS[p.language]))}
    assert templates == set(DEMO_TEMPLATE_INDICATORS)


def test_demo_recruitment_ads_are_flagged_and_outrank_clean_postings(demo_truth: list[dict]) -> None:
    pm = get_plugin_manager()
    ads = [(item, key) for item in demo_truth if (key := _recruitment_key(item))]
    # Clean: no recruiter behind it, no planted text, no repost, and not on the forum, whose boards discuss
    # recruitment offers and quote their wording ("The offer says accommodation is included but...").
    clean = [
        item
        for item in demo_truth
        if item["platform_type"] != "forum"
        and not {"persons", "text_templates", "repost_of"} & set(item.get("_truth") or {})
    ]
    assert {key for _, key in ads} == set(DEMO_TEMPLATE_INDICATORS)
    assert len(clean) >= 200
    clean_crawled = [_crawled(item, pm) for item in clean]
    assert [(c["_id"], c["indicators"]) for c in clean_crawled if c["indicators"]] == []
    clean_risk = max(c["risk"]["score"] for c in clean_crawled)
    assert clean_risk == 0.0
    for item, key in ads:
        # The ad read in the language the generator wrote it in: every labelled indicator, and a high risk.
        listing = {k: v for k, v in item.items() if k != "_truth"} | {"language": key.split(":")[1]}
        enrich(listing, get_matcher())
        found = {m["id"] for m in listing["indicators"]}
        assert DEMO_TEMPLATE_INDICATORS[key] <= found, (item["_id"], found)
        assert listing["risk"]["score"] >= HIGH_RISK, (item["_id"], listing["risk"])
        # As a crawl stores it: the language plugin may take a mixed listing for English (a Romanian ad under an
        # English title), and then only the English lexicon is searched; it still ranks above every clean posting.
        assert _crawled(item, pm)["risk"]["score"] > clean_risk, item["_id"]


@pytest.mark.parametrize(
    ("text", "language", "score"),
    [
        ("Accommodation provided.", "en", 0.5),
        ("Keine Erfahrung nötig.", "de", 0.5),
        ("Cautam fete tinere.", "ro", 1.5),
        ("Sin experiencia, alojamiento incluido.", "es", 1.0),
        ("Young women wanted. No experience needed. Free accommodation.", "en", 2.5),
        ("Travel and visa paid, accommodation provided, no experience needed, young women wanted.", "en", 6.0),
    ],
)
def test_weak_recruitment_wording_alone_stays_low(text: str, language: str, score: float) -> None:
    listing = {"body": text, "language": language}
    enrich(listing, get_matcher())
    assert listing["risk"]["score"] == score
