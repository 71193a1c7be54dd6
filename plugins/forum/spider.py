"""Navigation of forums: board index -> boards (paginated) -> topics (paginated).

The spider only walks; every topic page goes to the extraction hook as page
type ``thread``. Which links to follow comes from the profile's engine preset
(:mod:`plugins.forum.extractors`), so a new engine or a site override changes
the selectors, not this code.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.spiders import ProfileSpider
from plugins.forum.extractors import DEFAULT_ENGINE, ENGINES, PhpBB, engine_for


class ForumSpider(ProfileSpider):
    """Crawl a forum: ``parse`` (index) -> ``parse_board`` -> ``parse_topic``."""

    @cached_property
    def engine(self) -> PhpBB:
        # An engine no forum preset knows still gets navigated like phpBB; its pages
        # go to the extraction hook, where a third-party plugin may handle them.
        return engine_for(self.profile) or ENGINES[DEFAULT_ENGINE](dict(self.profile.selectors))

    def parse(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        """The board index: follow every board (and sub-board) link."""
        yield from response.follow_all(css=self.engine.s["forum_links"], callback=self.parse_board)

    def parse_board(self, response: Response) -> Iterator[scrapy.Request]:
        """A board or category page: its sub-boards, its topics and its next page."""
        engine = self.engine
        yield from response.follow_all(css=engine.s["forum_links"], callback=self.parse_board)
        yield from response.follow_all(css=engine.s["topic_links"], callback=self.parse_topic)
        yield from response.follow_all(css=engine.s["next_page"], callback=self.parse_board)

    def parse_topic(self, response: Response) -> Iterator[scrapy.Request | dict[str, Any]]:
        """A page of one topic: its listings, then the topic's next page."""
        yield from self.extract(response, "thread")
        yield from response.follow_all(css=self.engine.s["next_page"], callback=self.parse_topic)
