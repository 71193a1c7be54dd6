"""The item pipeline that fetches listing photos through Scrapy and records their perceptual hashes.

Installed by Trawler's add-on while the ``imagehash`` plugin is loaded, and active only when
``TRAWLER_IMAGE_HASH`` is on (``NotConfigured`` otherwise, so it costs nothing by default). It runs before the
storage pipeline: for every listing of a page it downloads the first ``TRAWLER_IMAGE_HASH_MAX_IMAGES`` image URLs
with ``crawler.engine.download_async``, so the requests go through the downloader middlewares like the pages do
(robots.txt, the per-site proxy, retries, AutoThrottle and the per-domain concurrency), then hashes them off the
reactor thread and sets ``listing["image_hashes"]`` to ``[{url, phash, photo}]``.

A photo that cannot be had (an HTTP error, not an image, too large, disallowed by robots.txt, a network error) is
counted in ``trawler/images/failed/<reason>`` and left out; the listing is always passed on. Each URL is fetched
once per crawl. Only hashes are kept, never the image bytes.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any

from pymongo.errors import PyMongoError
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.asyncio import is_asyncio_available
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from crawler.spiders import PageListings

logger = logging.getLogger("trawler.images")

URL_CACHE_SIZE = 20_000  # URLs remembered per crawl: a photo shown on many listings is fetched once
STATS = "trawler/images"

_indexes: dict[tuple[str, str, int], Any] = {}  # (database uri, name, distance) -> PhotoIndex, shared per process
_indexes_lock = threading.Lock()


def shared_index(uri: str, database: str, max_distance: int) -> Any:
    """The process's photo index for one database: crawls running side by side assign the same keys."""
    from plugins.imagehash.hashing import PhotoIndex

    with _indexes_lock:
        key = (uri, database, max_distance)
        if key not in _indexes:
            _indexes[key] = PhotoIndex(max_distance)
        return _indexes[key]


class ImageFailure(Exception):
    """A photo that could not be hashed; ``reason`` is the stats key suffix."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ImageHashPipeline:
    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_images = settings.getint("TRAWLER_IMAGE_HASH_MAX_IMAGES", 4)
        self.max_bytes = settings.getint("TRAWLER_IMAGE_HASH_MAX_BYTES", 5_000_000)
        self.max_distance = settings.getint("TRAWLER_IMAGE_HASH_DISTANCE", 8)
        self.fetched: OrderedDict[str, asyncio.Future[str]] = OrderedDict()
        self.index: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ImageHashPipeline:
        if not crawler.settings.getbool("TRAWLER_IMAGE_HASH", False):
            raise NotConfigured("TRAWLER_IMAGE_HASH is off")
        if not is_asyncio_available():  # the downloads run as asyncio tasks
            logger.warning("TRAWLER_IMAGE_HASH needs Twisted's asyncio reactor (TWISTED_REACTOR); photos not hashed")
            raise NotConfigured("no asyncio reactor")
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        """Join the photo index of the crawl's database, with the photographs earlier crawls stored."""
        from crawler.storage.connection import database_config, open_database
        from crawler.storage.schema import ENTITIES

        settings = self.crawler.settings
        if not settings.getbool("TRAWLER_STORE", True):
            self.index = shared_index("", "", self.max_distance)
            return
        config = database_config(settings)
        self.index = shared_index(config.uri, config.name, self.max_distance)
        known: list[str] = []
        db = open_database(config, timeout_ms=settings.getint("TRAWLER_DB_TIMEOUT_MS", 5000))
        try:
            # Narrow on the (type, last_seen) index; one read per crawl, of the keys only.
            known = [doc["value"] for doc in db[ENTITIES].find({"type": "image"}, {"value": 1, "_id": 0})]
        except PyMongoError as exc:  # the storage pipeline reports an unreachable database; photos still hash
            logger.warning("could not read the known photos: %s", exc)
        finally:
            db.client.close()
        self.index.add_known(known)
        self.stats.set_value(f"{STATS}/photos_known", len(known))

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, PageListings):
            raws = item.listings
        elif isinstance(item, dict):
            raws = [item]
        else:
            return item
        try:
            await self._hash_listings(raws)
        except Exception:  # a bug here must never cost the listings: they go on without hashes
            logger.exception("could not hash the photos of %s", getattr(item, "url", "an item"))
            self.stats.inc_value(f"{STATS}/errors")
        return item

    async def _hash_listings(self, raws: list[dict[str, Any]]) -> None:
        chosen: list[tuple[dict[str, Any], list[str]]] = []
        for raw in raws:
            urls = [u for u in dict.fromkeys(raw.get("images") or []) if isinstance(u, str) and u.startswith("http")]
            if len(urls) > self.max_images:
                self.stats.inc_value(f"{STATS}/over_limit", len(urls) - self.max_images)
            if urls:
                chosen.append((raw, urls[: self.max_images]))
        if not chosen:
            return
        referers: dict[str, str | None] = {}  # each URL once, sent with the page of the first listing showing it
        for raw, urls in chosen:
            for url in urls:
                referers.setdefault(url, raw.get("url"))
        hashes = await asyncio.gather(*(self._hash(url, referers[url]) for url in referers))
        found = dict(zip(referers, hashes, strict=True))
        for raw, urls in chosen:
            records = []
            for url in urls:
                if found[url] is None:
                    continue
                photo, new = self.index.photo_of(found[url])
                if new:
                    self.stats.inc_value(f"{STATS}/photos_new")
                records.append({"url": url, "phash": found[url], "photo": photo})
            raw["image_hashes"] = records

    async def _hash(self, url: str, referer: str | None) -> str | None:
        """The pHash of the image at ``url``, fetched once per crawl; ``None`` when it cannot be had."""
        future = self.fetched.get(url)
        if future is None:
            future = asyncio.ensure_future(self._fetch_and_hash(url, referer))
            self.fetched[url] = future
            while len(self.fetched) > URL_CACHE_SIZE:
                self.fetched.popitem(last=False)
        else:
            self.fetched.move_to_end(url)
            self.stats.inc_value(f"{STATS}/reused")
        try:
            return await asyncio.shield(future)
        except ImageFailure:
            return None

    async def _fetch_and_hash(self, url: str, referer: str | None) -> str:
        # Imported here, not at the top: Scrapy imports this module for every crawl while the plugin is loaded,
        # and numpy, scipy and Pillow are only worth loading when photos are hashed.
        from plugins.imagehash.hashing import ImageTooLarge, NotAnImage, phash

        try:
            body = await self._download(url, referer)
            try:
                value: str = await _in_thread(phash, body)
            except NotAnImage as exc:
                logger.debug("not an image: %s (%s)", url, exc)
                raise ImageFailure("not_image") from exc
            except ImageTooLarge as exc:
                raise ImageFailure("too_large") from exc
            except Exception as exc:  # whatever else a hostile file makes the decoder do
                logger.warning("could not hash %s: %r", url, exc)
                raise ImageFailure("hash_error") from exc
        except ImageFailure as exc:
            self.stats.inc_value(f"{STATS}/failed/{exc.reason}")
            raise
        self.stats.inc_value(f"{STATS}/hashed")
        return value

    async def _download(self, url: str, referer: str | None) -> bytes:
        headers = {"Referer": referer} if referer else {}
        # Never rendered in a browser; Scrapy abandons a body larger than download_maxsize.
        meta = {"download_maxsize": self.max_bytes, "playwright": False, "trawler_image": True}
        self.stats.inc_value(f"{STATS}/requested")
        try:
            response = await self.crawler.engine.download_async(Request(url, headers=headers, meta=meta))
        except IgnoreRequest as exc:  # robots.txt, or a middleware that refused it
            raise ImageFailure("ignored") from exc
        except Exception as exc:
            if "max size" in str(exc) or "maxsize" in str(exc):
                raise ImageFailure("too_large") from exc
            logger.debug("image download failed: %s (%r)", url, exc)
            raise ImageFailure(f"download_error/{type(exc).__name__}") from exc
        if response.status != 200:
            raise ImageFailure(f"http_{response.status}")
        return response.body


def _in_thread(function: Any, *args: Any) -> Awaitable[Any]:
    """Decoding a large photo takes tens of milliseconds: keep it off the reactor thread."""
    return maybe_deferred_to_future(threads.deferToThread(function, *args))
