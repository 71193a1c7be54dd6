"""Navigation of forums: board index -> boards (paginated) -> topics (paginated).

The spider only walks; every topic page goes to the extraction hook as page
type ``thread``. Which links to follow comes from the engine preset the
profile names or the page shows (:func:`plugins.forum.extractors.engine_for`,
a few XPath checks per page), and from the generic layer's link patterns
(``viewtopic``, ``/threads/``, ``/t/``...) on software no preset knows; the
next page of a board or topic by the engine's ``next_page`` selector, else by
the core's fallback (:meth:`crawler.spiders.ProfileSpider.follow_next_pages`:
``rel=next``, "next" labels, numbered pages). A new engine or a site override
changes selectors, not this code.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from crawler.spiders import ProfileSpider
from plugins.forum.engines import ForumEngine
from plugins.forum.extractors import engine_for, generic_engine


class ForumSpider(ProfileSpider):
    """Crawl a forum: ``parse`` (index) -> ``parse_board`` -> ``parse_topic``."""

    # Incremental recrawls: a topic row changes with its replies, its last post or an edit note, not its views.
    INCREMENTAL_ROW = "li.row, .structItem, tr.inline_row, .topic-list-item"
    INCREMENTAL_MARKER = "dd.posts, dd.lastpost, .topic-edited, .structItem-cell--meta, .structItem-cell--latest"

    def navigator(self, response: Response) -> ForumEngine:
        """The preset for this page, else the generic link patterns (the page still goes to the extraction hook,
        where the generic layers, or a third-party plugin for an engine no preset knows, read it)."""
        return engine_for(self.profile, response) or generic_engine(self.profile)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        """The board index: follow every board (and sub-board) link."""
        yield from response.follow_all(css=self.navigator(response).s["forum_links"], callback=self.parse_board)

    def parse_board(self, response: Response) -> Iterator[scrapy.Request]:
        """A board or category page: its sub-boards, its topics and its next page."""
        engine = self.navigator(response)
        yield from response.follow_all(css=engine.s["forum_links"], callback=self.parse_board)
        topics = response.follow_all(css=engine.s["topic_links"], callback=self.parse_topic)
        yield from self.list_items(response, topics)
        yield from self.follow_next_pages(response, engine.s.get("next_page", ""), self.parse_board)

    def parse_topic(self, response: Response) -> Iterator[scrapy.Request | dict[str, Any]]:
        """A page of one topic: its listings, then the topic's next page."""
        yield from self.extract(response, "thread")
        yield from self.follow_next_pages(response, self.navigator(response).s.get("next_page", ""), self.parse_topic)
