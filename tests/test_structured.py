"""Structured data: schema.org items wherever they sit (JSON-LD @graph, nested, microdata), OpenGraph."""

from __future__ import annotations

from crawler.structured import number, opengraph, schema_items, text
from crawler.testkit import html_response

PAGE = """<html><head>
<meta property="og:title" content="Flat in Leeds"><meta property="og:image" content="http://x/1.jpg">
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
  {"@type": "Product", "name": "Flat", "offers": {"@type": "Offer", "price": "950", "priceCurrency": "GBP"}}]}
</script></head><body>
<div itemscope itemtype="https://schema.org/Review"><span itemprop="author">Bob</span>
<div itemprop="reviewRating" itemscope itemtype="https://schema.org/Rating"><meta itemprop="ratingValue" content="4,5">
</div></div><script type="application/ld+json">{ broken json</script></body></html>"""


def test_schema_items_are_found_in_graphs_nested_and_in_microdata() -> None:
    response = html_response("http://x/ad/1", PAGE)
    (product,) = schema_items(response, "Product")
    assert text(product["name"]) == "Flat"
    (offer,) = schema_items(response, "Offer")
    assert (number(offer["price"]), text(offer["priceCurrency"])) == (950.0, "GBP")
    (review,) = schema_items(response, "Review")
    assert text(review["author"]) == "Bob"
    (rating,) = schema_items(response, "Rating")
    assert number(rating["ratingValue"]) == 4.5


def test_opengraph_and_pages_without_structured_data() -> None:
    assert opengraph(html_response("http://x/ad/1", PAGE)) == {
        "og:title": "Flat in Leeds",
        "og:image": "http://x/1.jpg",
    }
    plain = html_response("http://x/", "<html><body><p>nothing</p></body></html>")
    assert schema_items(plain, "Product") == [] and opengraph(plain) == {}


def test_text_and_number_accept_the_shapes_schema_org_uses() -> None:
    assert text([{"@value": "a"}, "b"]) == "a"
    assert text({"@type": "Person", "name": "Ann"}) == "Ann"
    assert text("  ") is None and number("n/a") is None and number(3) == 3.0
