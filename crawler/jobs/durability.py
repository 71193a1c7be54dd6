"""How far a pipeline's items are safely stored, so the job scheduler knows when a page is really done.

The storage pipeline buffers listings and writes them in batches from a
thread. A page whose callback has finished is not done for a resume until its
listings are written (or spooled to disk): killed before that, the page must be
fetched again. The pipeline counts the items it takes in (:meth:`take`) and,
when a batch is written, reports the count it covered (:meth:`stored`); the
scheduler notes the count when a page finishes and removes the page from the
queue once ``durable`` reaches it.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Hashable, Iterable
from typing import Any


class Watermark:
    def __init__(self) -> None:
        self.accepted = 0  # items taken in so far (reactor thread only)
        self._durable = 0
        self._lock = threading.Lock()

    def take(self) -> None:
        self.accepted += 1

    def stored(self, mark: int) -> None:
        """Every item up to ``mark`` is written or spooled (called from the storage thread too)."""
        with self._lock:
            self._durable = max(self._durable, mark)

    @property
    def durable(self) -> int:
        with self._lock:
            return self._durable


def watermarks(crawler: Any) -> list[Watermark]:
    """The watermarks of the crawl's item pipelines that keep one (Trawler's storage pipeline does)."""
    scraper = getattr(getattr(crawler, "engine", None), "scraper", None)
    pipelines = getattr(getattr(scraper, "itemproc", None), "middlewares", ())
    return [p.watermark for p in pipelines if isinstance(getattr(p, "watermark", None), Watermark)]


def finished_requests(crawler: Any, spider: Any, taken: Iterable[Any]) -> list[Any] | None:
    """The requests of ``taken`` the engine is done with (their callbacks ran, what they yielded is queued) and
    the spider does not hold (a page waiting for a new login); ``None`` when this Scrapy does not say which
    requests its engine still works on (``ExecutionEngine._slot.inprogress``)."""
    in_progress = getattr(getattr(crawler.engine, "_slot", None), "inprogress", None)
    if not isinstance(in_progress, set):
        return None
    held_by_spider = getattr(spider, "held_requests", None)
    held = {id(r) for r in held_by_spider()} if held_by_spider else set()
    return [r for r in taken if r not in in_progress and id(r) not in held]


class Settling:
    """Finished requests waiting until the listings they gave are stored: a request is done only then.

    :meth:`add` notes a batch of finished requests with the pipelines' item counts at that moment; :meth:`done`
    returns the batches every pipeline has since stored that far (oldest first)."""

    def __init__(self) -> None:
        self.awaiting: deque[tuple[tuple[int, ...], list[Hashable]]] = deque()

    def add(self, crawler: Any, finished: list[Hashable]) -> None:
        if finished:
            self.awaiting.append((tuple(w.accepted for w in watermarks(crawler)), finished))

    def done(self, crawler: Any) -> list[Hashable]:
        durable = [w.durable for w in watermarks(crawler)]
        out: list[Hashable] = []
        while self.awaiting and all(d >= m for d, m in zip(durable, self.awaiting[0][0], strict=False)):
            out.extend(self.awaiting.popleft()[1])
        return out

    def retry(self, items: list[Hashable]) -> None:
        """Items :meth:`done` gave that could not be recorded: give them again next time."""
        if items:
            self.awaiting.appendleft(((), items))
