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
