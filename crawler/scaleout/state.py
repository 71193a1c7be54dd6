"""The shared state of a distributed crawl in Redis: key names and the atomic steps workers take on it.

Every key of a crawl starts with ``<TRAWLER_REDIS_PREFIX>:crawl:<crawl id>`` (the crawl id names the site), so
a new crawl of the same site never sees the queue or the seen set of the previous one, and ``seed`` deletes
the previous crawl's keys. ``<prefix>:site:<site>:current`` names a site's current crawl.

Why Lua scripts: "is the crawl drained?" must be answered from one consistent view of the queue and of which
workers are busy. A worker pops a request and marks itself busy in one step, so no other worker can see an
empty queue and an all-idle worker set while a request is in flight between them.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis

DEFAULT_PREFIX = "trawler"
ALIVE_TTL_S = 30  # default: a worker that has not refreshed its alive key for this long is dead
CANCELLED = b"cancelled"  # what ``pop`` returns once the crawl is cancelled

# KEYS: dupefilter, queue, meta. ARGV: fingerprint ('' for a request never filtered), score, serialised request.
# Adds the request only if unseen, and never to a cancelled crawl (the pages its workers are still fetching must
# not refill the queue).
_ENQUEUE = """
if redis.call('HGET', KEYS[3], 'cancelled') == '1' then return 0 end
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""

# KEYS: queue, idle, meta, the worker's in-flight set. ARGV: worker. The highest-priority request; its taker is
# busy from this instant, and the request stays in the taker's in-flight set until the taker acknowledges it
# (its listings stored): a worker that dies puts it back. 'cancelled' (never a serialised request: those are
# pickles) once the crawl is cancelled.
_POP = """
if redis.call('HGET', KEYS[3], 'cancelled') == '1' then return 'cancelled' end
local found = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #found == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('ZADD', KEYS[4], found[2], found[1])
redis.call('SREM', KEYS[2], ARGV[1])
return found[1]
"""

# Put a worker's unacknowledged requests back in the queue (the scores are priorities: keep the highest).
_REQUEUE = """
local function requeue(queue, inflight, meta)
  local n = redis.call('ZCARD', inflight)
  if n > 0 then
    if redis.call('HGET', meta, 'cancelled') ~= '1' then
      redis.call('ZUNIONSTORE', queue, 2, queue, inflight, 'AGGREGATE', 'MIN')
      redis.call('HINCRBY', meta, 'requeued', n)
    end
    redis.call('DEL', inflight)
  end
end
"""

# KEYS: meta, workers, alive. ARGV: worker, ttl. Join (or stay in) a crawl that is seeded and not done;
# a cancelled crawl takes no new worker, and tells the ones in it (2) to leave.
_JOIN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HGET', KEYS[1], 'state') == 'done' then return 0 end
if redis.call('HGET', KEYS[1], 'cancelled') == '1' then
  if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return 0 end
  return 2
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], '1', 'EX', ARGV[2])
return 1
"""

# KEYS: queue, workers, idle, meta. ARGV: worker, alive key prefix, in-flight key prefix.
# 'work': requests are queued; 'wait': others are busy and may queue more; 'drained': the crawl is over;
# 'cancelled': somebody cancelled the crawl (its queue is gone), leave it. A worker whose alive key expired
# is dead: its unacknowledged requests go back to the queue.
_IDLE = (
    _REQUEUE
    + """
redis.call('SADD', KEYS[3], ARGV[1])
if redis.call('HGET', KEYS[4], 'cancelled') == '1' then return 'cancelled' end
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[2] .. w) == 0 then
    redis.call('SREM', KEYS[2], w)
    redis.call('SREM', KEYS[3], w)
    redis.call('HINCRBY', KEYS[4], 'lost_workers', 1)
    requeue(KEYS[1], ARGV[3] .. w, KEYS[4])
  end
end
if redis.call('ZCARD', KEYS[1]) > 0 then return 'work' end
if #redis.call('SDIFF', KEYS[2], KEYS[3]) == 0 then return 'drained' end
return 'wait'
"""
)

# KEYS: queue, workers, idle, meta, alive, the worker's in-flight set. ARGV: worker, clean (1/0).
# 'finalise' goes to exactly one worker: the last to leave a drained crawl. What the worker took and did not
# acknowledge goes back to the queue first.
_LEAVE = (
    _REQUEUE
    + """
requeue(KEYS[1], KEYS[6], KEYS[4])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('DEL', KEYS[5])
if ARGV[2] ~= '1' then redis.call('HSET', KEYS[4], 'dirty', '1') end
if redis.call('SCARD', KEYS[2]) > 0 then return 'others' end
if redis.call('ZCARD', KEYS[1]) > 0 then return 'interrupted' end
if redis.call('HGET', KEYS[4], 'state') == 'done' then return 'done' end
redis.call('HSET', KEYS[4], 'state', 'done')
return 'finalise'
"""
)

# KEYS: queue, workers, meta. Cancel a crawl: no request is taken or queued any more. 'finalise' when no worker is
# in it (the caller completes its record, once); 'workers': the workers in it leave, the last one completes it;
# 'done': it was over already.
_CANCEL = """
if redis.call('HGET', KEYS[3], 'state') == 'done' then return 'done' end
redis.call('HSET', KEYS[3], 'cancelled', '1')
redis.call('DEL', KEYS[1])
if redis.call('SCARD', KEYS[2]) > 0 then return 'workers' end
redis.call('HSET', KEYS[3], 'state', 'done')
return 'finalise'
"""


def redis_url(settings: Any) -> str:
    return str(settings.get("REDIS_URL") or "redis://127.0.0.1:6379/0")


def connect(settings: Any) -> redis.Redis:
    """A client for ``REDIS_URL`` (bytes replies: the queue holds pickled requests)."""
    return redis.Redis.from_url(redis_url(settings), socket_timeout=30, socket_connect_timeout=10)


def prefix_of(settings: Any) -> str:
    return str(settings.get("TRAWLER_REDIS_PREFIX") or DEFAULT_PREFIX)


def new_crawl_id(site: str) -> str:
    return f"{site}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def worker_name() -> str:
    """Unique per process, readable in Redis and in run records: host, pid and a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:4]}"


@dataclass(frozen=True)
class CrawlKeys:
    prefix: str
    crawl_id: str

    @property
    def base(self) -> str:
        return f"{self.prefix}:crawl:{self.crawl_id}"

    @property
    def queue(self) -> str:
        return f"{self.base}:requests"

    @property
    def dupefilter(self) -> str:
        return f"{self.base}:dupefilter"

    @property
    def workers(self) -> str:
        return f"{self.base}:workers"

    @property
    def idle(self) -> str:
        return f"{self.base}:idle"

    @property
    def meta(self) -> str:
        return f"{self.base}:meta"

    @property
    def runs(self) -> str:
        """The run ids of the worker processes that took part."""
        return f"{self.base}:runs"

    @property
    def stats(self) -> str:
        """The workers' monitoring counters, summed (:func:`crawler.monitoring.monitor.health_stats`)."""
        return f"{self.base}:stats"

    @property
    def inflight_prefix(self) -> str:
        return f"{self.base}:inflight:"

    def inflight(self, worker: str) -> str:
        """The requests ``worker`` took and has not acknowledged yet (a sorted set, like the queue)."""
        return self.inflight_prefix + worker

    @property
    def alive_prefix(self) -> str:
        return f"{self.base}:alive:"

    def alive(self, worker: str) -> str:
        return self.alive_prefix + worker

    def all(self) -> list[str]:
        return [self.queue, self.dupefilter, self.workers, self.idle, self.meta, self.runs, self.stats]


def current_key(prefix: str, site: str) -> str:
    return f"{prefix}:site:{site}:current"


class CrawlState:
    """One distributed crawl as seen from one process."""

    def __init__(self, server: redis.Redis, keys: CrawlKeys, alive_ttl: int = ALIVE_TTL_S) -> None:
        self.server = server
        self.keys = keys
        self.alive_ttl = alive_ttl
        self._enqueue = server.register_script(_ENQUEUE)
        self._pop = server.register_script(_POP)
        self._join = server.register_script(_JOIN)
        self._idle = server.register_script(_IDLE)
        self._leave = server.register_script(_LEAVE)
        self._cancel = server.register_script(_CANCEL)

    @classmethod
    def current(cls, server: redis.Redis, prefix: str, site: str) -> CrawlState | None:
        crawl_id = server.get(current_key(prefix, site))
        return cls(server, CrawlKeys(prefix, crawl_id.decode())) if crawl_id else None

    @property
    def crawl_id(self) -> str:
        return self.keys.crawl_id

    def meta(self) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.server.hgetall(self.keys.meta).items()}

    def queued(self) -> int:
        return int(self.server.zcard(self.keys.queue))

    def workers(self) -> set[str]:
        return {w.decode() for w in self.server.smembers(self.keys.workers)}

    def run_ids(self) -> list[str]:
        return sorted(r.decode() for r in self.server.smembers(self.keys.runs))

    # -- the steps of a worker -------------------------------------------

    def enqueue(self, fingerprint: str | None, priority: int, data: bytes) -> bool:
        """Queue a serialised request unless its fingerprint was seen (``None``: never filtered)."""
        keys = [self.keys.dupefilter, self.keys.queue, self.keys.meta]
        return bool(self._enqueue(keys=keys, args=[fingerprint or "", -priority, data]))

    def pop(self, worker: str) -> bytes | None:
        """A serialised request, ``None`` when the queue is empty, :data:`CANCELLED` once the crawl is cancelled.
        The request stays in ``worker``'s in-flight set until :meth:`ack`."""
        keys = [self.keys.queue, self.keys.idle, self.keys.meta, self.keys.inflight(worker)]
        return self._pop(keys=keys, args=[worker])

    def ack(self, worker: str, requests: list[bytes]) -> None:
        """``worker`` is done with these requests (their pages parsed, their listings stored)."""
        if requests:
            self.server.zrem(self.keys.inflight(worker), *requests)

    def inflight_count(self, worker: str) -> int:
        return int(self.server.zcard(self.keys.inflight(worker)))

    def join(self, worker: str) -> int:
        """1: joined (or still in); 2: still in, but the crawl is cancelled; 0: the crawl is already done (or
        cancelled before this worker joined); -1: no such crawl (never seeded, or cleaned)."""
        return int(self._join(keys=[self.keys.meta, self.keys.workers, self.keys.alive(worker)],
                              args=[worker, self.alive_ttl]))  # fmt: skip

    def idle(self, worker: str) -> str:
        keys = [self.keys.queue, self.keys.workers, self.keys.idle, self.keys.meta]
        return self._idle(keys=keys, args=[worker, self.keys.alive_prefix, self.keys.inflight_prefix]).decode()

    def leave(self, worker: str, clean: bool) -> str:
        keys = [self.keys.queue, self.keys.workers, self.keys.idle, self.keys.meta, self.keys.alive(worker),
                self.keys.inflight(worker)]  # fmt: skip
        return self._leave(keys=keys, args=[worker, "1" if clean else "0"]).decode()

    def cancel(self) -> str:
        """``finalise`` (no worker in the crawl: complete its record now), ``workers`` or ``done``."""
        return self._cancel(keys=[self.keys.queue, self.keys.workers, self.keys.meta]).decode()

    def add_run(self, run_id: str) -> None:
        self.server.sadd(self.keys.runs, run_id)

    def add_stats(self, counters: dict[str, int]) -> None:
        """Add one worker's share of the crawl's monitoring counters (before it leaves the crawl)."""
        if counters:
            pipe = self.server.pipeline(transaction=True)
            for key, value in counters.items():
                pipe.hincrby(self.keys.stats, key, value)
            pipe.execute()

    def summed_stats(self) -> dict[str, int]:
        return {k.decode(): int(v) for k, v in self.server.hgetall(self.keys.stats).items()}

    def mark_partial(self) -> None:
        """A worker left pages out (an incremental recrawl's skips, pages the site refused): the crawl must
        not mark listings removed for not having seen them."""
        self.server.hset(self.keys.meta, "partial", "1")
