"""Benchmark: what resumable job state (crawler/jobs/, crawler/dupefilter.py) costs a crawl.

1. Per request, in one process: Scrapy's ``RFPDupeFilter`` (a Python set) against Trawler's
   ``DiskDupeFilter`` (SQLite seen set + LRU cache), on a link mix like a crawl's: every URL is
   seen ``--repeats`` times (pages repeat navigation links), fingerprinting included in both. Then the
   request queue (serialise, push, take, mark done), against queuelib's memory queue, per request.
2. End to end: ``trawler crawl demo-forum`` at ``--scale`` with job state (the default) against Scrapy's
   in-memory scheduler and dupe filter (``SCHEDULER``/``DUPEFILTER_CLASS`` set back to Scrapy's),
   rounds alternating, fresh database each; pages/s from Scrapy's ``elapsed_time_seconds``.

    python bench/job_state.py --urls 50000 --scale 20 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import scrapy  # noqa: E402
from scrapy.dupefilters import RFPDupeFilter  # noqa: E402
from scrapy.utils.request import RequestFingerprinter, request_from_dict  # noqa: E402

from crawler.dupefilter import DiskDupeFilter, SeenSet  # noqa: E402
from crawler.jobs.queue import RequestQueue  # noqa: E402
from crawler.jobs.scheduler import request_dict  # noqa: E402


class Spider(scrapy.Spider):
    name = "bench"

    def parse_topic(self, response: object) -> None:
        pass


def dupefilter_cost(urls: int, repeats: int, cache: int) -> dict[str, float]:
    requests = [scrapy.Request(f"http://127.0.0.1:8471/viewtopic.php?f=3&t={i}") for i in range(urls)]
    order = [r for _ in range(repeats) for r in requests]  # every link seen `repeats` times
    fingerprinter = RequestFingerprinter()
    memory = RFPDupeFilter(fingerprinter=fingerprinter)
    started = time.perf_counter()
    for r in order:
        memory.request_seen(r)
    memory_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        disk = DiskDupeFilter(Path(tmp), cache_size=cache, fingerprinter=RequestFingerprinter())
        disk.open()
        started = time.perf_counter()
        for r in order:
            disk.request_seen(r)
        disk.commit()
        disk_s = time.perf_counter() - started
        disk.close("finished")
    # The seen-set operation alone, without fingerprinting (the same for both filters).
    fingerprints = [fingerprinter.fingerprint(r) for r in order]
    plain: set[bytes] = set()
    started = time.perf_counter()
    for fp in fingerprints:
        if fp not in plain:
            plain.add(fp)
    set_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        seen = SeenSet(Path(tmp) / "seen.sqlite", cache)
        started = time.perf_counter()
        for n, fp in enumerate(fingerprints):
            seen.add(fp)
            if n % 1000 == 0:
                seen.commit()
        seen.close()
        seen_s = time.perf_counter() - started
    calls = len(order)
    return {"calls": calls, "memory_us": memory_s / calls * 1e6, "disk_us": disk_s / calls * 1e6,
            "set_us": set_s / calls * 1e6, "seen_us": seen_s / calls * 1e6}  # fmt: skip


def queue_cost(count: int, restore: bool) -> float:
    """Per request: serialise, push, take, mark done (batched like a checkpoint); ``restore`` also rebuilds the
    Request from its row, as after a resume (within one process the scheduler hands back the object it kept)."""
    spider = Spider()
    requests = [scrapy.Request(f"http://127.0.0.1:8471/viewtopic.php?t={i}", callback=spider.parse_topic,
                               meta={"depth": 3}) for i in range(count)]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        queue = RequestQueue(Path(tmp))
        started = time.perf_counter()
        for r in requests:
            queue.push(pickle.dumps(request_dict(r, spider), protocol=pickle.HIGHEST_PROTOCOL), r.priority)
        done = []
        while (taken := queue.take()) is not None:
            if restore:
                request_from_dict(pickle.loads(taken[1]), spider=spider)
            done.append(taken[0])
            if len(done) == 200:  # about what one checkpoint removes
                queue.done(done)
                queue.commit()
                done = []
        queue.done(done)
        queue.close()
        return (time.perf_counter() - started) / count * 1e6


def memory_queue_cost(count: int) -> float:
    """Per request: push and pop in the in-memory LIFO queue Scrapy's scheduler uses (queuelib)."""
    from queuelib.queue import LifoMemoryQueue

    requests = [scrapy.Request(f"http://127.0.0.1:8471/viewtopic.php?t={i}") for i in range(count)]
    queue = LifoMemoryQueue()
    started = time.perf_counter()
    for r in requests:
        queue.push(r)
    while queue.pop() is not None:
        pass
    return (time.perf_counter() - started) / count * 1e6


def crawl(env: dict[str, str], database: str, job_state: bool) -> tuple[int, float, float]:
    """Pages, seconds (Scrapy's elapsed time) and CPU seconds of the crawl process."""
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp) / "stats.json"
        args = [sys.executable, "-m", "crawler", "crawl", "demo-forum", "--no-progress", "--set",
                f"TRAWLER_STATS_FILE={stats}", "--set", "AUTOTHROTTLE_ENABLED=False",
                "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=32", "--set", "LOG_LEVEL=WARNING"]  # fmt: skip
        if not job_state:
            args += ["--set", "SCHEDULER=scrapy.core.scheduler.Scheduler",
                     "--set", "DUPEFILTER_CLASS=scrapy.dupefilters.RFPDupeFilter"]  # fmt: skip
        full_env = {**os.environ, **env, "MONGO_DATABASE": database, "TRAWLER_VAR_DIR": str(Path(tmp) / "var")}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(args, cwd=REPO, env=full_env, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        data = json.loads(stats.read_text())
        return int(data["response_received_count"]), float(data["elapsed_time_seconds"]), cpu


def end_to_end(scale: int, rounds: int) -> None:
    import pymongo

    from crawler.demo.base import BuildOptions
    from crawler.demo.process import DemoServer
    from tests.conftest import EXTRACTION_ONLY, start_mongo, stop_mongo

    with tempfile.TemporaryDirectory() as tmp:
        mongo = start_mongo(Path(tmp) / "data")
        server = DemoServer(BuildOptions(seed=7, scale=scale, now=datetime.now(UTC).replace(microsecond=0)),
                            port_base=21470, only="forum").start()  # fmt: skip
        env = {"MONGO_URI": mongo.uri, **EXTRACTION_ONLY, **server.env}
        client = pymongo.MongoClient(mongo.uri)
        rates: dict[bool, list[float]] = {True: [], False: []}
        cpu_ms: dict[bool, list[float]] = {True: [], False: []}
        try:
            for n in range(rounds):
                for job_state in (False, True):
                    name = f"bench_{n}_{int(job_state)}"
                    pages, seconds, cpu = crawl(env, name, job_state)
                    client.drop_database(name)
                    rates[job_state].append(pages / seconds)
                    cpu_ms[job_state].append(cpu / pages * 1000)
                    mode = "job state" if job_state else "in memory"
                    print(f"round {n + 1}: {mode}: {pages} pages, {pages / seconds:.0f} pages/s, "
                          f"{cpu / pages * 1000:.2f} ms CPU per page", flush=True)  # fmt: skip
        finally:
            server.stop()
            stop_mongo(mongo)
        memory, disk = statistics.median(rates[False]), statistics.median(rates[True])
        print(f"median pages/s: in memory {memory:.0f}, job state {disk:.0f}, ratio {disk / memory:.2f}")
        memory_cpu, disk_cpu = statistics.median(cpu_ms[False]), statistics.median(cpu_ms[True])
        print(f"median CPU per page (crawl process, start-up included): in memory {memory_cpu:.2f} ms, "
              f"job state {disk_cpu:.2f} ms, ratio {disk_cpu / memory_cpu:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--cache", type=int, default=10_000)
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-crawl", action="store_true", help="only the per-request measurements")
    args = parser.parse_args()
    cost = dupefilter_cost(args.urls, args.repeats, args.cache)
    extra = cost["disk_us"] - cost["memory_us"]
    print(f"dupe filter, {cost['calls']} checks of {args.urls} URLs: RFPDupeFilter {cost['memory_us']:.2f} us, "
          f"DiskDupeFilter {cost['disk_us']:.2f} us per check (+{extra:.2f} us); the set operation alone: "
          f"Python set {cost['set_us']:.2f} us, SeenSet {cost['seen_us']:.2f} us")  # fmt: skip
    kept, restored = queue_cost(args.urls // 5, restore=False), queue_cost(args.urls // 5, restore=True)
    print(
        f"request queue: {kept:.1f} us per request (serialise, push, take, done), {restored:.1f} us when the "
        f"request is rebuilt from its row (after a resume); in memory: {memory_queue_cost(args.urls // 5):.2f} us"
    )
    if not args.no_crawl:
        end_to_end(args.scale, args.rounds)


if __name__ == "__main__":
    main()
