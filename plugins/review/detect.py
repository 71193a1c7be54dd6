"""Which layer reads a page: the engine preset whose markup it carries, else structured data, else heuristics.

Detection runs on the tree the response has already parsed, with one
compiled XPath per preset (:attr:`BusinessPage.detect_xpath`, checked in
:data:`~plugins.review.engines.ENGINES` order) and, only when no preset
matched, one more for schema.org review data. A few tens of microseconds
per page: the demo page is recognised by the first check.
"""

from __future__ import annotations

from crawler.extract import Node, select_xpath
from plugins.review.engines import ENGINES

# schema.org review data in JSON-LD (by its text) or microdata/RDFa (by the declared type).
_STRUCTURED_XPATH = (
    "//script[@type='application/ld+json'][contains(., 'Review') or contains(., 'AggregateRating')]"
    " | //*[@itemtype][contains(@itemtype, 'Review') or contains(@itemtype, 'AggregateRating')]"
    " | //*[@typeof][contains(@typeof, 'Review') or contains(@typeof, 'AggregateRating')]"
)


def detect_engine(root: Node) -> str | None:
    """The name of the first engine preset whose markup is on the page, or ``None``."""
    for name, engine in ENGINES.items():
        if select_xpath(root, engine.detect_xpath):
            return name
    return None


def has_structured_reviews(root: Node) -> bool:
    """Whether the page declares schema.org reviews or an aggregate rating (worth running extruct for)."""
    return bool(select_xpath(root, _STRUCTURED_XPATH))
