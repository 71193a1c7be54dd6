"""Which forum software rendered a page: a few compiled XPath checks on the already-parsed tree.

Each preset lists its signs: ``DETECT`` are cheap checks near the root (an
``<html>`` or ``<body>`` id, a generator ``<meta>``, a script path in
``<head>``) and ``DETECT_DEEP`` are checks that scan the page (a post
container's class). Every preset's cheap checks run before any deep one, in
the order of :data:`plugins.forum.engines.ENGINES`, so a phpBB page (the
demo) costs one look at ``<body>``.
"""

from __future__ import annotations

from functools import cache

from lxml import etree

from crawler.extract import Node, compiled_xpath
from plugins.forum.engines import ENGINES


@cache
def _checks() -> tuple[tuple[str, etree.XPath], ...]:
    quick = [(name, compiled_xpath(f"boolean({x})")) for name, e in ENGINES.items() for x in e.DETECT]
    deep = [(name, compiled_xpath(f"boolean({x})")) for name, e in ENGINES.items() for x in e.DETECT_DEEP]
    return tuple(quick + deep)


def detect_engine(root: Node) -> str | None:
    """The name of the engine preset whose signs the page carries, or ``None`` when none does."""
    for name, check in _checks():
        if check(root):
            return name
    return None
