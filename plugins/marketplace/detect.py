"""Engine detection: which preset's markup a page has, from a few compiled XPath checks on the parsed tree.

Each preset declares its test (``DETECT``: a generator meta tag, an asset
path in the head, a characteristic id or class); the presets are tried in
:data:`~plugins.marketplace.engines.PRESETS` order and the first that holds
wins. Each test is compiled once and costs a few microseconds, so detection
adds next to nothing to a preset's extraction.
"""

from __future__ import annotations

from crawler.extract import Node
from plugins.marketplace.engines import ENGINES
from plugins.marketplace.page import AdPage


def detect_engine(root: Node) -> type[AdPage] | None:
    """The first preset whose test holds on the page, or ``None`` (structured data and heuristics take over)."""
    for preset in ENGINES.values():
        if preset.detect(root):
            return preset
    return None
