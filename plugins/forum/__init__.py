"""Built-in platform-type plugin: forum (boards, topics and posts of any forum software).

Page types the spider hands to ``trawler_extract_listings``:

- ``thread``: one page of a topic. It yields one ``post`` listing per post
  (subject, text without quotes and signature, author name/id/profile URL,
  date, ``parent_id`` = the thread, the board as ``category``,
  ``extra.post_number``/``quotes``/``signature``) and, on the topic's first
  page only, one ``thread`` listing (title, first post's text, author and
  date, ``extra.reply_count``/``view_count``).

The index and board pages are only navigated. Which code reads a page
(profile selectors, an engine preset forced or detected, schema.org data,
generic heuristics) is decided in :mod:`plugins.forum.extractors`; see the
plugin's README.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrapy.http import Response

from crawler.platform import PlatformTypeSpec
from crawler.plugins import hookimpl
from crawler.profiles import SiteProfile
from plugins.forum.extractors import extract_listings
from plugins.forum.spider import ForumSpider

PLATFORM_TYPE = "forum"


@hookimpl
def trawler_register_platform_types() -> list[PlatformTypeSpec]:
    return [
        PlatformTypeSpec(
            name=PLATFORM_TYPE,
            spider=ForumSpider,
            description=(
                "discussion forums: board index -> boards -> topic pages "
                "(phpBB, XenForo, Discourse, MyBB presets; schema.org and generic layers)"
            ),
            page_types=("thread",),
        )
    ]


@hookimpl
def trawler_extract_listings(response: Response, profile: SiteProfile, page_type: str) -> list[dict[str, Any]] | None:
    if profile.platform_type != PLATFORM_TYPE:
        return None
    return extract_listings(response, profile, page_type)


@hookimpl
def trawler_register_fixtures() -> list[str]:
    return [str(Path(__file__).parent / "fixtures")]
