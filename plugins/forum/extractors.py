"""Forum extraction: which layer reads a topic page, most specific first.

1. The site profile's ``selectors:`` override single selectors of whichever
   engine (preset or generic) reads the page.
2. An engine preset (:mod:`plugins.forum.engines`): the one the profile's
   ``engine:`` names, else the one :func:`plugins.forum.detect.detect_engine`
   recognises on the page. A page a preset handles never reaches layers 3-4,
   even when the preset finds nothing on it (a board page handed in as a topic).
3. schema.org structured data (:mod:`plugins.forum.structured`):
   ``DiscussionForumPosting`` / ``Comment`` / ``SocialMediaPosting`` items.
4. Generic heuristics (:mod:`plugins.forum.generic`): repeated post blocks with
   an author, a date and a body.

``engine: structured`` and ``engine: generic`` force layer 3 or 4 alone (to
score each layer on the fixtures). A profile naming an engine nobody knows gets
``None``, so another plugin may answer for it. (``PhpBB``, ``day_time`` and
``lines_text`` stay importable from here, where they lived before the split.)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from scrapy.http import Response, TextResponse

from crawler.extract import Node
from crawler.profiles import SiteProfile
from plugins.forum.dates import day_time
from plugins.forum.detect import detect_engine
from plugins.forum.engines import DEFAULT_ENGINE, ENGINES, ForumEngine, PhpBB
from plugins.forum.generic import GenericForum
from plugins.forum.structured import structured_listings
from plugins.forum.text import lines_text

GENERIC = "generic"
STRUCTURED = "structured"
LAYERS = (GENERIC, STRUCTURED)

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "ForumEngine",
    "PhpBB",
    "day_time",
    "engine_for",
    "extract_listings",
    "lines_text",
]


@lru_cache(maxsize=256)
def _engine(name: str, overrides: tuple[tuple[str, str], ...]) -> ForumEngine:
    return ENGINES[name](dict(overrides))


@lru_cache(maxsize=64)
def _generic(overrides: tuple[tuple[str, str], ...]) -> GenericForum:
    return GenericForum(dict(overrides))


def _overrides(profile: SiteProfile) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(profile.selectors.items()))


def engine_for(profile: SiteProfile, response: Response | None = None) -> ForumEngine | None:
    """The engine preset for ``profile`` (with its selector overrides), ``None`` if none applies.

    The profile's ``engine:`` wins; without one, the preset detected on
    ``response``, or phpBB when there is no page to look at (the spider's
    first request). ``None`` for an engine no preset knows, for the
    ``generic``/``structured`` layers, and for a page no preset recognises.
    """
    name = (profile.engine or "").lower()
    if not name:
        root = response.selector.root if isinstance(response, TextResponse) else None
        if root is None:
            name = DEFAULT_ENGINE
        elif isinstance(root, Node):
            name = detect_engine(root) or ""
    if name not in ENGINES:
        return None
    return _engine(name, _overrides(profile))


def generic_engine(profile: SiteProfile) -> GenericForum:
    """The generic layer with the profile's selector overrides (also the spider's navigation of unknown boards)."""
    return _generic(_overrides(profile))


def extract_listings(response: Response, profile: SiteProfile, page_type: str) -> list[dict[str, Any]] | None:
    """Listings on one forum page; ``None`` when the profile names an engine no layer knows."""
    name = (profile.engine or "").lower()
    if name and name not in ENGINES and name not in LAYERS:
        return None
    if page_type != "thread" or not isinstance(response, TextResponse):
        return []
    root = response.selector.root
    if not isinstance(root, Node):
        return []
    if name == GENERIC:
        return generic_engine(profile).extract_topic_page(response, profile)
    if name == STRUCTURED:
        return structured_listings(response, profile)
    engine = engine_for(profile, response)
    if engine is not None:
        return engine.extract_topic_page(response, profile)
    found = structured_listings(response, profile)
    if _posts(found) >= 2:
        return found
    # No structured data, or a topic item without its replies (only an excerpt of the opening post):
    # the generic layer reads the page itself, and wins if it sees more posts.
    guessed = generic_engine(profile).extract_topic_page(response, profile)
    return guessed if _posts(guessed) > _posts(found) else found


def _posts(listings: list[dict[str, Any]]) -> int:
    return sum(1 for listing in listings if listing["kind"] == "post")
