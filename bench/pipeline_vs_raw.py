"""Benchmark: Trawler's full pipeline vs a minimal raw Scrapy spider, on the same demo platform, in one run.

Both crawls fetch the same locally served platform with the same concurrency,
robots.txt and AutoThrottle settings; Trawler also extracts complete listings,
validates them and stores them in the embedded database (a fresh database per
round). Rounds alternate raw/Trawler so machine noise hits both alike; the
medians and their ratio are printed (target: 0.9 or more).

A third measurement says what binds when Trawler falls short: *storage only*
writes the documents the Trawler round stored (listings and page snapshots,
read back) into a fresh database with the same indexes, in batches from one
thread, with no crawl at all. Its pages/s (pages / seconds to store them) is the
most any crawl storing those documents in that server can reach; the embedded
server, a Python process, is often slower than the crawl on listing-dense pages.

    python bench/pipeline_vs_raw.py --site forum --scale 20 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pymongo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.demo.base import BuildOptions  # noqa: E402
from crawler.demo.process import DemoServer  # noqa: E402
from crawler.storage import embedded  # noqa: E402

# The navigation links each platform's Trawler spider follows (its engine preset's selectors).
FOLLOW = {
    "forum": "a.forumtitle, a.subforum, a.topictitle, div.pagination li.next a",
    "market": 'a.category-link, a.listing-link, a[rel~="next"], nav.pagination a',
    "reviews": "a.nav-categories, a.all-categories, a.category-link, a.biz-link, a[rel~=next]",
}

COMMON = {
    "ROBOTSTXT_OBEY": "True",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "LOG_LEVEL": "WARNING",
    "TELNETCONSOLE_ENABLED": "False",
}


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) process ``pid`` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds the finished child processes of this one have used (a crawl's whole process, start-up included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class DatabaseCpu:
    """The database server's CPU seconds until the Trawler round's run record says finished (the search terms are
    written after that, and measured apart)."""

    def __init__(self, client: pymongo.MongoClient, database: str, pid: int) -> None:
        self.start = process_cpu(pid)
        self.at_finish: float | None = None
        self.stop = threading.Event()

        def watch() -> None:
            while not self.stop.wait(0.1):
                run = client[database].crawl_runs.find_one({}, {"status": 1})
                if run and run.get("status") != "running":
                    self.at_finish = process_cpu(pid)
                    return

        self.thread = threading.Thread(target=watch, daemon=True)
        self.thread.start()

    def during_crawl(self, pid: int) -> float:
        self.stop.set()
        self.thread.join()
        return (self.at_finish if self.at_finish is not None else process_cpu(pid)) - self.start


# Scrapy settings Trawler's defaults change for speed (settings/default.py): the raw spider is also run with them,
# so the ratio that the tuning does not explain is visible too.
TUNED = {"CONCURRENT_ITEMS": "4"}


def run_raw(start_url: str, follow: str, extra: dict[str, str] | None = None) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        stats_file = Path(tmp) / "stats.json"
        args = [sys.executable, "-m", "scrapy", "runspider", str(REPO / "bench" / "raw_spider.py")]
        for name, value in {**COMMON, **(extra or {})}.items():
            args += ["-s", f"{name}={value}"]
        env = {**os.environ, "BENCH_START_URL": start_url, "BENCH_FOLLOW": follow, "BENCH_STATS_FILE": str(stats_file)}
        env.pop("SCRAPY_SETTINGS_MODULE", None)
        subprocess.run(args, cwd=tmp, env=env, check=True, capture_output=True)
        stats = json.loads(stats_file.read_text())
    return int(stats["response_received_count"]), float(stats["elapsed_time_seconds"])


def run_trawler(
    site: str, env: dict[str, str], database: str, client: pymongo.MongoClient
) -> tuple[int, float, dict[str, float]]:
    """Pages, the crawl's seconds, and what writing the search terms took once it ended (``written``, ``seconds``)."""
    args = [sys.executable, "-m", "crawler", "crawl", site, "--no-progress"]
    for name, value in COMMON.items():
        args += ["--set", f"{name}={value}"]
    subprocess.run(args, cwd=REPO, env={**os.environ, **env, "MONGO_DATABASE": database}, check=True,
                   capture_output=True)  # fmt: skip
    run = client[database].crawl_runs.find_one({"site": site})
    assert run["status"] == "finished", run
    return int(run["counts"]["pages"]), float(run["elapsed_seconds"]), run.get("search_terms") or {}


def run_storage_only(client: pymongo.MongoClient, source: str, batch_size: int = 500) -> float:
    """Seconds to write the listings and snapshots a Trawler round stored into a fresh, indexed database."""
    from crawler.storage.schema import LISTINGS, SNAPSHOTS, ensure_indexes

    documents = {name: list(client[source][name].find()) for name in (LISTINGS, SNAPSHOTS)}
    target = client[f"{source}_storage_only"]
    ensure_indexes(target)
    started = time.perf_counter()
    for name, docs in documents.items():
        for i in range(0, len(docs), batch_size):
            target[name].insert_many(docs[i : i + batch_size], ordered=False)
    seconds = time.perf_counter() - started
    client.drop_database(target.name)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", default="forum", choices=["forum", "market", "reviews"])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port-base", type=int, default=18471)
    args = parser.parse_args()

    var_dir = Path(tempfile.mkdtemp(prefix="trawler-bench-"))
    state = embedded.ensure_running(var_dir)
    client = pymongo.MongoClient(state.uri)
    env = {"MONGO_URI": state.uri, "TRAWLER_VAR_DIR": str(var_dir)}
    options = BuildOptions(scale=args.scale, now=datetime.now(UTC).replace(microsecond=0))
    raw_rates: list[float] = []
    tuned_rates: list[float] = []
    trawler_rates: list[float] = []
    searchable_rates: list[float] = []
    storage_rates: list[float] = []
    raw_cpu: list[float] = []
    crawl_cpu: list[float] = []
    database_cpu: list[float] = []
    with DemoServer(options, args.port_base) as server:
        env.update(server.env)
        start_url = server.urls[args.site] + "/"
        for round_no in range(1, args.rounds + 1):
            cpu = children_cpu()
            pages, seconds = run_raw(start_url, FOLLOW[args.site])
            raw_rates.append(pages / seconds)
            raw_cpu.append(1000 * (children_cpu() - cpu) / pages)
            print(
                f"round {round_no}: raw scrapy  {pages:6d} pages in {seconds:6.1f} s = {pages / seconds:6.1f} pages/s"
                f"; CPU {raw_cpu[-1]:.2f} ms/page"
            )
            pages, seconds = run_raw(start_url, FOLLOW[args.site], TUNED)
            tuned_rates.append(pages / seconds)
            print(
                f"round {round_no}: raw tuned   {pages:6d} pages in {seconds:6.1f} s = {pages / seconds:6.1f} pages/s"
                f" ({', '.join(f'{k}={v}' for k, v in TUNED.items())}, as Trawler's defaults)"
            )
            database = f"bench_{round_no}_{int(time.time())}"
            cpu, db_cpu = children_cpu(), DatabaseCpu(client, database, state.pid)
            pages, seconds, terms = run_trawler(f"demo-{args.site}", env, database, client)
            trawler_rates.append(pages / seconds)
            crawl_cpu.append(1000 * (children_cpu() - cpu) / pages)
            database_cpu.append(1000 * db_cpu.during_crawl(state.pid) / pages)
            searchable = seconds + float(terms.get("seconds", 0.0))
            searchable_rates.append(pages / searchable)
            listings = client[database].listings.count_documents({})
            print(
                f"round {round_no}: trawler      {pages:6d} pages in {seconds:6.1f} s = {pages / seconds:6.1f} pages/s"
                f" ({listings} listings stored); search terms of {terms.get('written', 0)} listings written after"
                f" it in {terms.get('seconds', 0.0):.1f} s: {pages / searchable:.1f} pages/s until searchable"
                f"; CPU {crawl_cpu[-1]:.2f} ms/page in the crawl process, {database_cpu[-1]:.2f} in the database"
            )
            seconds = run_storage_only(client, database)
            storage_rates.append(pages / seconds)
            print(
                f"round {round_no}: storage only {pages:6d} pages in {seconds:6.1f} s = {pages / seconds:6.1f} pages/s"
                " (their listings and snapshots written, no crawl)"
            )
            client.drop_database(database)
    embedded.stop(var_dir)
    raw, full = statistics.median(raw_rates), statistics.median(trawler_rates)
    storage = statistics.median(storage_rates)
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"site demo-{args.site}, scale {args.scale}, {args.rounds} rounds, medians:")
    print(f"raw scrapy {raw:.1f} pages/s, trawler full pipeline {full:.1f} pages/s, ratio {full / raw:.2f}")
    tuned = statistics.median(tuned_rates)
    print(f"raw scrapy with Trawler's tuning {tuned:.1f} pages/s: trawler / that {full / tuned:.2f}")
    searchable = statistics.median(searchable_rates)
    print(f"until searchable (crawl + search terms written after it): {searchable:.1f} pages/s, {searchable / raw:.2f}")
    # CPU time hardly depends on what else the machine runs, unlike pages/s: the budget behind the ratio.
    work = statistics.median(crawl_cpu) + statistics.median(database_cpu)
    print(
        f"CPU per page (medians): raw scrapy {statistics.median(raw_cpu):.2f} ms; trawler "
        f"{statistics.median(crawl_cpu):.2f} ms in the crawl process (its start-up and the search terms included) "
        f"+ {statistics.median(database_cpu):.2f} ms in the database during the crawl = {work:.2f} ms: with "
        f"{os.cpu_count()} cores perfectly shared, at most {1000 * (os.cpu_count() or 1) / work:.0f} pages/s"
    )
    bound = min(raw, storage)
    print(
        f"storage only {storage:.1f} pages/s: the crawl can reach at most {bound:.1f} pages/s "
        f"({'the database' if storage < raw else 'Scrapy'} binds); trawler / that bound: {full / bound:.2f}"
    )


if __name__ == "__main__":
    main()
