"""The request queue of a crawl, in SQLite, safe against the process being killed at any moment.

Scrapy's ``JOBDIR`` disk queues are not: they record where their data starts
and ends (``active.json``, queuelib's ``info.json``) only when the crawl closes
cleanly, and a request is gone from them as soon as the engine takes it. After
a SIGKILL the queue reads as empty and the requests that were downloading are
lost.

Here a request stays in the table until it is *done*: taken by the engine, its
response handled by the spider, the requests it led to queued here, and its
listings stored. Taking one only sets ``taken``; :meth:`RequestQueue.reopen`
makes the taken ones pending again, so what was in flight when the process
died is fetched again on resume. Rows are pickled ``request_to_dict`` dicts,
like Scrapy's disk queues. Order: highest priority first, newest first within
a priority (Scrapy's default depth-first order).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from crawler.dupefilter import open_sqlite

QUEUE_FILE = "requests.sqlite"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS requests ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, priority INTEGER NOT NULL, taken INTEGER NOT NULL DEFAULT 0,"
    " data BLOB NOT NULL)",
    "CREATE INDEX IF NOT EXISTS requests_next ON requests (taken, priority, id)",
)
_NEXT = "SELECT id, data FROM requests WHERE taken = 0 ORDER BY priority DESC, id DESC LIMIT 1"


class RequestQueue:
    def __init__(self, directory: Path, fsync: bool = True) -> None:
        # Synced: after a power loss the seen set (not synced) may have lost its last commits, harmless, but
        # the queue must still hold every request whose fingerprint it kept.
        self.db = open_sqlite(directory / QUEUE_FILE, fsync=fsync)
        for statement in _SCHEMA:
            self.db.execute(statement)
        self.db.commit()
        self.pending = self._count(taken=0)

    def _count(self, taken: int) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM requests WHERE taken = ?", (taken,)).fetchone()[0])

    def size(self) -> int:
        """Requests in the table, pending or taken."""
        return int(self.db.execute("SELECT COUNT(*) FROM requests").fetchone()[0])

    def reopen(self) -> int:
        """Make the requests that were in flight when the last process stopped pending again; how many."""
        again = self.db.execute("UPDATE requests SET taken = 0 WHERE taken = 1").rowcount
        self.db.commit()
        self.pending = self._count(taken=0)
        return again

    def push(self, data: bytes, priority: int) -> int:
        self.pending += 1
        return int(self.db.execute("INSERT INTO requests (priority, data) VALUES (?, ?)", (priority, data)).lastrowid)

    def take(self) -> tuple[int, bytes] | None:
        """The next pending request, marked taken (it stays in the table until :meth:`done`)."""
        if not self.pending:
            return None
        row = self.db.execute(_NEXT).fetchone()
        if row is None:
            self.pending = 0
            return None
        self.db.execute("UPDATE requests SET taken = 1 WHERE id = ?", (row[0],))
        self.pending -= 1
        return int(row[0]), bytes(row[1])

    def done(self, ids: Iterable[int]) -> None:
        self.db.executemany("DELETE FROM requests WHERE id = ?", ((i,) for i in ids))

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.commit()
        self.db.close()


def count_pending(directory: Path) -> int:
    """Requests left in a job's queue (pending or in flight when it stopped), without opening it for writing."""
    path = directory / QUEUE_FILE
    if not path.exists():
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT COUNT(*) FROM requests").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()
