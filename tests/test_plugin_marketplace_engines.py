"""The marketplace plugin's extraction layers: engine detection, presets, structured data, generic heuristics."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

import plugins.marketplace as plugin
from crawler.demo import market
from crawler.demo.base import REFERENCE_NOW, BuildOptions
from crawler.fixtures import Fixture, load_fixture
from crawler.models import Listing
from crawler.plugins import get_plugin_manager
from crawler.profiles import SiteProfile
from crawler.testkit import html_response
from plugins.marketplace import extractors
from plugins.marketplace.detect import detect_engine
from plugins.marketplace.engines import ENGINES, PRESETS
from plugins.marketplace.generic import url_native_id
from plugins.marketplace.structured import StructuredAdPage
from plugins.marketplace.text import find_date, lines_of, parse_shown, split_label

FIXTURES = Path(plugin.__file__).parent / "fixtures"
BASE = "https://ads.example.org"


def _fixture(name: str) -> Fixture:
    return load_fixture(FIXTURES / name)


def _profile(engine: str | None = None, timezone: str = "Europe/Berlin", **more: object) -> SiteProfile:
    return SiteProfile(
        name="site", platform_type="marketplace", start_urls=[BASE + "/"], timezone=timezone, engine=engine, **more
    )


def _page(body: str, path: str = "/ad/123", date: datetime = datetime(2024, 3, 12, 10, tzinfo=UTC)):
    response = html_response(BASE + path, body)
    return response.replace(headers={"Date": format_datetime(date, usegmt=True)})


def _extract(body: str, engine: str | None = None, path: str = "/ad/123", **more: object) -> dict:
    found = plugin.trawler_extract_listings(
        response=_page(body, path), profile=_profile(engine, **more), page_type="ad"
    )
    assert found is not None and len(found) == 1
    return found[0]


# ---------------------------------------------------------------------------
# Registration and the fixture corpus
# ---------------------------------------------------------------------------


def test_registers_its_fixture_folder() -> None:
    folders = get_plugin_manager().hook.trawler_register_fixtures()
    assert str(FIXTURES) in [folder for found in folders for folder in found]


def test_corpus_covers_every_layer() -> None:
    names = sorted(path.parent.name for path in FIXTURES.glob("*/fixture.json"))
    assert len(names) >= 8
    for prefix in ("craigslist-", "osclass-", "woocommerce-", "schemaorg-", "generic-"):
        assert len([name for name in names if name.startswith(prefix)]) >= 2, prefix


# ---------------------------------------------------------------------------
# Engine detection
# ---------------------------------------------------------------------------

DETECTED = {
    "craigslist-job-warehouse": "craigslist",
    "craigslist-room-share": "craigslist",
    "osclass-bender-job-ro": "osclass",
    "osclass-sigma-room-es": "osclass",
    "woocommerce-dokan-job-package": "woocommerce",
    "woocommerce-astra-sale": "woocommerce",
    "schemaorg-jobposting-board": None,
    "schemaorg-microdata-car-de": None,
    "schemaorg-jsonld-room-nl": None,
    "generic-phpboard-ua": None,
    "generic-smalltown-uk": None,
    "generic-kleinanzeigen-de": None,
    "generic-ogloszenia-pl": None,
    "generic-petites-annonces-fr": None,
}


@pytest.mark.parametrize(("name", "engine"), DETECTED.items())
def test_detects_the_engine_of_each_fixture(name: str, engine: str | None) -> None:
    preset = detect_engine(_fixture(name).response().selector.root)
    assert (preset.name if preset else None) == engine


def test_detects_the_demo_marketplace_as_the_classifieds_preset() -> None:
    platform = market.build(BuildOptions())
    pages = platform.pages()
    for ad in platform.ads[:10]:
        preset = detect_engine(html_response(BASE + ad.path, pages[ad.path].body).selector.root)
        assert preset is not None and preset.name == "classifieds"


def test_detects_nothing_on_an_unknown_page() -> None:
    page = "<html><head><title>Bike</title></head><body><h1>Bike</h1><p>Fine bike, 50 €.</p></body></html>"
    assert detect_engine(_page(page).selector.root) is None


def test_every_preset_has_a_detection_test_and_a_unique_name() -> None:
    assert [preset.name for preset in PRESETS] == list(ENGINES)[: len(PRESETS)]
    assert PRESETS[0].name == extractors.DEFAULT_ENGINE  # the demo's preset is tried first
    assert all(preset.DETECT for preset in PRESETS)


# ---------------------------------------------------------------------------
# Layer order: profile engine, detection, and layers 3-4 never on preset pages
# ---------------------------------------------------------------------------


def test_fallback_layers_never_run_on_preset_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a fallback layer ran on a page a preset reads")

    monkeypatch.setattr(extractors.GenericAdPage, "__init__", refuse)
    monkeypatch.setattr(extractors.StructuredAdPage, "__init__", refuse)
    platform = market.build(BuildOptions())
    ad = platform.ads[0]
    demo = html_response(BASE + ad.path, platform.pages()[ad.path].body)
    for engine in (None, "classifieds"):
        assert len(plugin.trawler_extract_listings(response=demo, profile=_profile(engine), page_type="ad")) == 1
    for name, engine in DETECTED.items():
        if engine is not None:
            fixture = _fixture(name)
            found = plugin.trawler_extract_listings(
                response=fixture.response(), profile=fixture.site_profile(), page_type="ad"
            )
            assert len(found) == 1


def test_a_forced_preset_reads_only_its_markup() -> None:
    fixture = _fixture("craigslist-room-share")
    craigslist = fixture.site_profile().model_copy(update={"engine": "craigslist"})
    osclass = fixture.site_profile().model_copy(update={"engine": "osclass"})
    response = fixture.response()
    [found] = plugin.trawler_extract_listings(response=response, profile=craigslist, page_type="ad")
    assert found["price"]["amount"] == 650.0
    assert plugin.trawler_extract_listings(response=response, profile=osclass, page_type="ad") == []


def test_forced_layers_run_alone() -> None:
    fixture = _fixture("schemaorg-jobposting-board")
    response = fixture.response()
    alone = {}
    for engine in ("generic", "structured", None):
        profile = fixture.site_profile().model_copy(update={"engine": engine})
        [alone[engine]] = plugin.trawler_extract_listings(response=response, profile=profile, page_type="ad")
    assert alone["structured"]["price"]["raw"] == "2800 EUR"  # as the data has it
    assert alone["generic"]["price"]["raw"] == "€2,800 – €3,400 / month"  # as the page shows it
    assert alone["structured"]["contacts"] == {"raw": []}
    assert alone["generic"]["posted_at"] == datetime(2024, 3, 8, 8, 5, 31, tzinfo=UTC)  # "4 days ago"
    assert alone[None]["posted_at"] == datetime(2024, 3, 8, 9, 15, tzinfo=UTC)  # the JSON-LD's exact time
    assert alone[None]["posted_at_raw"] == "4 days ago"


def test_profile_selectors_override_the_fallback_layers() -> None:
    body = "<html><body><h1>Van</h1><p class='txt'>Good van for sale, ask for details.</p><b id='p'>99 lei</b>"
    found = _extract(body + "</body></html>", selectors={"price": "#p", "title": "p.txt"})
    assert found["price"] == {"amount": 99.0, "currency": "RON", "raw": "99 lei"}
    assert found["title"] == "Good van for sale, ask for details."


# ---------------------------------------------------------------------------
# Generic heuristics
# ---------------------------------------------------------------------------

SHOP_HEADER = """<header id="masthead"><a href="/" rel="home">Shop</a>
<a class="cart"><span class="price-amount">€0.00</span></a></header>"""


def test_generic_title_from_h1_og_title_or_the_heading_the_title_tag_starts_with() -> None:
    og = """<html><head><meta property="og:title" content="Room for rent"></head><body>
    <h1><span class="sr-only">save</span><span class="price">$500</span> Room for rent <small>(Queens)</small></h1>
    <p>A quiet room near the subway station, utilities included, available now.</p></body></html>"""
    assert _extract(og, "generic")["title"] == "Room for rent"
    logo = """<html><head><title>Cleaners wanted - Daily Gazette</title></head><body>
    <div id="header"><h1><a href="/">Daily Gazette</a></h1></div>
    <div class="ad"><h2>Cleaners wanted</h2><p>Hotel cleaners wanted, accommodation provided, start today.</p></div>
    </body></html>"""
    assert _extract(logo, "generic")["title"] == "Cleaners wanted"


def test_generic_body_is_the_largest_text_block_without_headings_lists_count_half() -> None:
    page = f"""<html><body>{SHOP_HEADER}<h1>Job</h1>
    <div class="desc"><h2>Description</h2><p>First line of the real description of this job.</p>
    <p>Second line, with the salary and the phone number 0740 123 456.</p></div>
    <div class="tips"><ul><li>Never pay in advance to anyone who contacts you about this offer.</li>
    <li>Meet in public places and never hand over your documents.</li></ul></div>
    <footer><p>Copyright and a long footer text that is longer than everything else on this page, by far.</p></footer>
    </body></html>"""
    assert _extract(page, "generic")["body"] == (
        "First line of the real description of this job.\n"
        "Second line, with the salary and the phone number 0740 123 456."
    )


def test_generic_price_after_the_title_from_hints_labels_or_a_currency_amount() -> None:
    sale = f"""<html><body>{SHOP_HEADER}<h1>Trip</h1><p class="price"><del><span class="amount">£1,200.00</span></del>
    <span class="screen-reader-text">Current price is:</span><ins><span class="amount">£899.00</span></ins></p>
    <p>A trip package with flights and a visa, the description goes on here.</p>
    <div class="related"><span class="price">£10.00</span></div></body></html>"""
    assert _extract(sale, "generic")["price"] == {"amount": 899.0, "currency": "GBP", "raw": "£899.00"}
    labelled = """<html><body><h1>Work</h1><table><tr><td>Зарплата:</td><td><b>1200 &euro;</b> на місяць</td></tr>
    <tr><td>Місто:</td><td>Житомир</td></tr></table><p>Опис роботи, житло безкоштовно, виїзд щотижня.</p>
    </body></html>"""
    found = _extract(labelled, "generic")
    assert found["price"] == {"amount": 1200.0, "currency": "EUR", "raw": "1200 € на місяць"}
    assert found["location"] == {"raw": "Житомир"}
    scanned = """<html><body><h1>Pickers</h1><div><i class="bi bi-cash"></i> €2,800 / month</div>
    <p>We need pickers for the season, accommodation provided on the farm for €8 a day.</p></body></html>"""
    assert _extract(scanned, "generic")["price"]["raw"] == "€2,800 / month"


def test_generic_dates_from_time_hints_labels_and_relative_text() -> None:
    time = """<html><body><h1>Ad</h1><p class="info">posted: <time datetime="2024-05-13T08:47:19-0400">2024-05-13
    08:47</time></p><p>Text of the ad that is long enough to be the body of the page.</p></body></html>"""
    found = _extract(time, "generic", timezone="America/New_York")
    assert (found["posted_at"], found["posted_at_raw"]) == (
        datetime(2024, 5, 13, 12, 47, 19, tzinfo=UTC),
        "2024-05-13 08:47",
    )
    label = """<html><body><h1>Ad</h1><dl><dt>Inseriert am:</dt><dd>05.03.2024, 14:12 Uhr</dd><dt>Art:</dt><dd>Job</dd>
    </dl><p>Text of the ad that is long enough to be the body of the page.</p></body></html>"""
    found = _extract(label, "generic")
    assert (found["posted_at"], found["posted_at_raw"]) == (
        datetime(2024, 3, 5, 13, 12, tzinfo=UTC),
        "05.03.2024, 14:12 Uhr",
    )
    icon = """<html><body><h1>Ad</h1><span><i class="bi bi-clock"></i> 4 days ago</span>
    <p>Text of the ad that is long enough to be the body of the page.</p></body></html>"""
    assert _extract(icon, "generic")["posted_at"] == datetime(2024, 3, 8, 10, tzinfo=UTC)


def test_generic_author_from_labels_hints_and_profile_links() -> None:
    labelled = """<html><body><h1>Ad</h1><div class="meta">Ad ref: <b>AG-20931</b> | Posted by: <a href="/user/sandrak">
    Sandra K.</a> | Date posted: 11 March 2024</div><p>Text of the ad that is long enough to be the body.</p>
    </body></html>"""
    found = _extract(labelled, "generic", timezone="Europe/London")
    assert found["author"] == {"name": "Sandra K.", "id": "sandrak", "url": BASE + "/user/sandrak"}
    assert found["native_id"] == "AG-20931"
    assert found["posted_at"] == datetime(2024, 3, 11, tzinfo=UTC)
    vendor = """<html><body><h1>Ad</h1><p>Text of the ad that is long enough to be the body of the page.</p>
    <ul class="tabs"><li class="seller_tab"><a href="#tab-seller">Vendor Info</a></li></ul>
    <ul><li class="store-name">Store Name: Flex BV</li><li class="seller-name">Vendor:
    <a href="/store/flex/">Flex BV</a></li></ul></body></html>"""
    assert _extract(vendor, "generic")["author"] == {"name": "Flex BV", "id": "flex", "url": BASE + "/store/flex/"}
    weak = """<html><body><h1>Ad</h1><p>Text of the ad that is long enough to be the body of the page.</p>
    <div id="contact"><p class="name">Nombre: Marisol</p><p class="email">E-mail: m@example.es</p>
    <form><label>Tu nombre:</label><input name="n"></form></div></body></html>"""
    found = _extract(weak, "generic")
    assert found["author"] == {"name": "Marisol"}
    assert found["contacts"] == {"raw": ["E-mail: m@example.es"]}


def test_generic_contacts_are_contact_lines_not_numbers_in_the_text() -> None:
    page = """<html><body><div id="top"><a href="tel:+4920855577">0208 555 77</a></div><h1>Van</h1>
    <div class="text"><p>Call me on 0176 5550 3321 for this van, price negotiable, good condition.</p></div>
    <div class="kontakt"><p>Tel.: 0208 555 7710</p><p>Öffnungszeiten: Mo-Fr 9-18 Uhr</p></div>
    <ul><li><a href="mailto:info@example.de">info@example.de</a></li></ul></body></html>"""
    assert _extract(page, "generic")["contacts"] == {"raw": ["Tel.: 0208 555 7710", "info@example.de"]}


def test_generic_images_prefer_gallery_links_to_full_images() -> None:
    page = """<html><body><h1>Room</h1><div class="photos"><a href="/big/1.jpg"><img src="/small/1.jpg"></a>
    <a href="/big/2.jpg"><img src="/small/2.jpg"></a></div><img src="/img/logo.png">
    <p>Text of the ad that is long enough to be the body of the page.</p></body></html>"""
    assert _extract(page, "generic")["images"] == [BASE + "/big/1.jpg", BASE + "/big/2.jpg"]
    plain = page.replace('<a href="/big/1.jpg">', "<a>").replace('<a href="/big/2.jpg">', "<a>")
    assert _extract(plain, "generic")["images"] == [BASE + "/small/1.jpg", BASE + "/small/2.jpg"]


def test_generic_category_is_the_last_crumb_that_is_not_the_ad() -> None:
    page = """<html><body><nav class="woocommerce-breadcrumb"><a href="/">Home</a> / <a href="/c/jobs">Jobs</a> /
    Cleaner wanted</nav><h1>Cleaner wanted</h1><p>Text of the ad that is long enough to be the body.</p>
    </body></html>"""
    assert _extract(page, "generic")["category"] == "Jobs"
    listed = """<html><body><div class="path"><a href="/">Home</a> &raquo; <a href="/c/7">Work</a> &raquo;
    <a href="/c/71">Work abroad</a></div><h1>Ad</h1><p>Text of the ad that is long enough to be the body.</p>
    </body></html>"""
    assert _extract(listed, "generic")["category"] == "Work abroad"


def test_generic_attributes_leave_out_the_fields_a_listing_has() -> None:
    page = """<html><body><h1>Ad</h1><dl><dt>Preis:</dt><dd>450 €</dd><dt>Art:</dt><dd>Vollzeit</dd>
    <dt>Unterkunft:</dt><dd>wird gestellt</dd><dt>Geändert:</dt><dd>06.03.2024</dd></dl>
    <ul><li><span class="attr-name">Size</span><span class="attr-value">96 m²</span></li>
    <li><span class="attr-name">Rooms</span><span class="attr-value">3</span></li></ul>
    <p>Text of the ad that is long enough to be the body of the page.</p></body></html>"""
    assert _extract(page, "generic")["extra"] == {
        "attributes": {"Art": "Vollzeit", "Unterkunft": "wird gestellt", "Size": "96 m²", "Rooms": "3"}
    }


def test_generic_rating_from_an_aria_label() -> None:
    page = """<html><body><h1>Package</h1><div class="star-rating" aria-label="Rated 1.50 out of 5"></div>
    <p>Text of the ad that is long enough to be the body of the page.</p></body></html>"""
    assert _extract(page, "generic")["rating"] == {"value": 1.5, "raw": 1.5, "scale": 5.0}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://x.org/obyava.php?id=58213", "58213"),
        ("https://x.org/jobs/8841-fruit-pickers", "8841"),
        ("https://x.org/anzeige/77104/putzkraefte", "77104"),
        ("https://x.org/c/item_i4521", "4521"),
        ("https://x.org/2024/03/some-slug", "some-slug"),
        ("https://x.org/ad/a10063", "a10063"),
    ],
)
def test_url_native_ids(url: str, expected: str) -> None:
    assert url_native_id(url) == expected


def test_generic_never_fails_on_empty_or_bare_pages() -> None:
    for body in ("", "<html><body><p>hi</p></body></html>", "<html><body><table><tr><td></td></tr></table>"):
        assert plugin.trawler_extract_listings(response=_page(body), profile=_profile(), page_type="ad") == []
    text = "<html><body><div>A bare page with one paragraph of text that is long enough to be a body.</div></body>"
    found = _extract(text + "</html>")
    assert (found["title"], found["native_id"]) == (None, "123")
    assert found["body"].startswith("A bare page")


# ---------------------------------------------------------------------------
# Structured data
# ---------------------------------------------------------------------------

JOB_POSTING = """<html><head><script type="application/ld+json">{"@context": "https://schema.org",
 "@type": "JobPosting", "title": "Driver C+E", "description": "<p>Drive trucks.</p><ul><li>No experience</li></ul>",
 "datePosted": "2024-03-01", "identifier": {"@type": "PropertyValue", "value": "J-77"},
 "hiringOrganization": {"@type": "Organization", "name": "Trans Sp. z o.o.", "sameAs": "https://trans.example"},
 "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": "Łódź",
   "addressCountry": "PL"}},
 "baseSalary": {"@type": "MonetaryAmount", "currency": "PLN",
   "value": {"@type": "QuantitativeValue", "minValue": 9000, "maxValue": 11000, "unitText": "MONTH"}}}
</script></head><body><p>x</p></body></html>"""


def test_structured_maps_a_job_posting() -> None:
    found = StructuredAdPage(_page(JOB_POSTING), _profile(timezone="Europe/Warsaw")).listing()
    assert found["title"] == "Driver C+E"
    assert found["body"] == "Drive trucks.\nNo experience"
    assert found["native_id"] == "J-77"
    assert found["price"] == {"amount": 9000.0, "currency": "PLN", "raw": "9000 PLN"}
    assert found["author"] == {"name": "Trans Sp. z o.o.", "url": "https://trans.example"}
    assert found["location"] == {"raw": "Łódź, PL", "city": "Łódź", "country": "PL"}
    assert (found["posted_at"], found["posted_at_raw"]) == (datetime(2024, 2, 29, 23, tzinfo=UTC), "2024-03-01")


def test_structured_falls_back_to_opengraph_for_title_and_images() -> None:
    page = """<html><head><meta property="og:title" content="Sofa"><meta property="og:image" content="/s.jpg">
    </head><body><p>x</p></body></html>"""
    found = _extract(page, "structured")
    assert (found["title"], found["images"]) == ("Sofa", [BASE + "/s.jpg"])
    assert (
        plugin.trawler_extract_listings(
            response=_page("<html><body><p>x</p></body></html>"), profile=_profile("structured"), page_type="ad"
        )
        == []
    )


def test_structured_and_visible_values_merge() -> None:
    page = JOB_POSTING.replace(
        "<body><p>x</p></body>",
        """<body><h1>Driver C+E</h1><span class="date">Posted 11 days ago</span>
        <div class="salary">9 000 zł – 11 000 zł</div><p>Drive trucks.</p><ul><li>No experience</li></ul>
        <p><a href="/company/trans">Trans Sp. z o.o.</a></p></body>""",
    )
    found = _extract(page, timezone="Europe/Warsaw")
    assert found["price"] == {"amount": 9000.0, "currency": "PLN", "raw": "9 000 zł – 11 000 zł"}
    assert found["author"] == {"name": "Trans Sp. z o.o.", "id": "trans", "url": BASE + "/company/trans"}
    assert (found["posted_at"], found["posted_at_raw"]) == (datetime(2024, 2, 29, 23, tzinfo=UTC), "11 days ago")


# ---------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------


def test_numeric_dates_are_day_first_except_in_the_americas() -> None:
    now = datetime(2024, 3, 12, tzinfo=UTC)
    assert parse_shown("11/03/2024", timezone="Europe/Bucharest", now=now) == datetime(2024, 3, 10, 22, tzinfo=UTC)
    assert parse_shown("03/11/2024", timezone="America/Chicago", now=now) == datetime(2024, 3, 11, 5, tzinfo=UTC)
    assert parse_shown("28-02-2024", timezone="UTC", now=now) == datetime(2024, 2, 28, tzinfo=UTC)
    assert parse_shown("31/02/2024", timezone="UTC", now=now) is None
    assert find_date("Geplaatst op 28-02-2024") == "28-02-2024"
    assert find_date("Fecha de publicación: marzo 5, 2024") == "marzo 5, 2024"


def test_labels_and_lines() -> None:
    assert split_label("Telefon: 0740 123 456") == ("Telefon", "0740 123 456")
    assert split_label("Call 10:30 tomorrow") == ("Call 10", "30 tomorrow")  # a label is any short text before ":"
    assert split_label("0740: 123") == (None, "0740: 123")
    root = _page("<div>a<br>b<ul><li>c</li><li>d</li></ul><h2>e</h2>f</div>").selector.root
    assert lines_of(root.find(".//div")) == ["a", "b", "c", "d", "e", "f"]


def test_demo_pages_with_the_generic_layer_alone() -> None:
    """The heuristics alone read the demo's ads as its own preset does."""
    platform = market.build(BuildOptions())
    pages = platform.pages()
    truth = {item["_id"]: item for item in platform.truth(BASE, "demo-market")}
    profile = SiteProfile(
        name="demo-market",
        platform_type="marketplace",
        start_urls=[BASE + "/"],
        timezone=market.TIMEZONE,
        engine="generic",
    )
    for ad in platform.ads[:30]:
        response = html_response(BASE + ad.path, pages[ad.path].body).replace(
            headers={"Date": format_datetime(REFERENCE_NOW, usegmt=True)}
        )
        [found] = plugin.trawler_extract_listings(response=response, profile=profile, page_type="ad")
        found.update(site="demo-market", platform_type="marketplace")
        got = Listing.model_validate(found).content()
        truth_item = truth[f"demo-market:ad:{found['native_id']}"]
        expected = Listing.model_validate({k: v for k, v in truth_item.items() if k != "_truth"}).content()
        for field in (
            "title",
            "body",
            "author",
            "posted_at",
            "posted_at_raw",
            "price",
            "location",
            "category",
            "images",
        ):
            assert got[field] == expected[field], (ad.id, field)
