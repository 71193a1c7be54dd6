"""The last lines a crawl logged, kept in memory and stored in its run record at the end."""

from __future__ import annotations

import logging
import re
from collections import deque
from typing import Any

MAX_LINE = 500
# Terminal control sequences must never travel from a scraped page through a log line to an analyst's terminal.
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# The final stats dump is dozens of lines the run record already holds as counts.
_SKIP_LOGGERS = ("scrapy.statscollectors",)


def clean(line: str) -> str:
    return _CONTROL.sub("", line)


class LogTail(logging.Handler):
    """A handler keeping the last ``size`` records of one crawl (records of other spiders are left out)."""

    def __init__(self, size: int, spider_name: str | None = None) -> None:
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=size)
        self.spider_name = spider_name
        self.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s", "%Y-%m-%d %H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_SKIP_LOGGERS):
            return
        spider: Any = getattr(record, "spider", None)
        if spider is not None and self.spider_name and getattr(spider, "name", None) != self.spider_name:
            return
        try:
            text = self.format(record)
        except Exception:  # a broken record must not break the crawl
            return
        first, *rest = text.splitlines() or [""]
        if rest:  # a traceback: its first line and the exception it ends with
            first = f"{first} ... {rest[-1].strip()}"
        self.lines.append(clean(first)[:MAX_LINE])

    def install(self) -> LogTail:
        logging.getLogger().addHandler(self)
        return self

    def remove(self) -> list[str]:
        logging.getLogger().removeHandler(self)
        return list(self.lines)
