"""What a platform-type plugin declares about the platforms it knows how to crawl."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PlatformTypeSpec:
    """One platform type (forum, marketplace, review...).

    :param name: the value site profiles give as ``platform_type``.
    :param spider: the :class:`crawler.spiders.ProfileSpider` subclass that walks such platforms.
    :param description: one line for ``trawler plugins``.
    :param page_types: the ``page_type`` values its spider passes to ``trawler_extract_listings``.
    """

    name: str
    spider: type
    description: str = ""
    page_types: tuple[str, ...] = field(default_factory=tuple)
