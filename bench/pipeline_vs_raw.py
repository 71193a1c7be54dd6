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
import statistics
import subprocess
import sys
import tempfile
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


def run_raw(start_url: str, follow: str) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        stats_file = Path(tmp) / "stats.json"
        args = [sys.executable, "-m", "scrapy", "runspider", str(REPO / "bench" / "raw_spider.py")]
        for name, value in COMMON.items():
            args += ["-s", f"{name}={value}"]
        env = {**os.environ, "BENCH_START_URL": start_url, "BENCH_FOLLOW": follow, "BENCH_STATS_FILE": str(stats_file)}
        env.pop("SCRAPY_SETTINGS_MODULE", None)
        subprocess.run(args, cwd=tmp, env=env, check=True, capture_output=True)
        stats = json.loads(stats_file.read_text())
    return int(stats["response_received_count"]), float(stats["elapsed_time_seconds"])


def run_trawler(site: str, env: dict[str, str], database: str, client: pymongo.MongoClient) -> tuple[int, float]:
    args = [sys.executable, "-m", "crawler", "crawl", site, "--no-progress"]
    for name, value in COMMON.items():
        args += ["--set", f"{name}={value}"]
    subprocess.run(args, cwd=REPO, env={**os.environ, **env, "MONGO_DATABASE": database}, check=True,
                   capture_output=True)  # fmt: skip
    run = client[database].crawl_runs.find_one({"site": site})
    assert run["status"] == "finished", run
    return int(run["counts"]["pages"]), float(run["elapsed_seconds"])


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
    trawler_rates: list[float] = []
    storage_rates: list[float] = []
    with DemoServer(options, args.port_base) as server:
        env.update(server.env)
        start_url = server.urls[args.site] + "/"
        for round_no in range(1, args.rounds + 1):
            pages, seconds = run_raw(start_url, FOLLOW[args.site])
            raw_rates.append(pages / seconds)
            print(
                f"round {round_no}: raw scrapy  {pages:6d} pages in {seconds:6.1f} s = {pages / seconds:6.1f} pages/s"
            )
            database = f"bench_{round_no}_{int(time.time())}"
            pages, seconds = run_trawler(f"demo-{args.site}", env, database, client)
            trawler_rates.append(pages / seconds)
            listings = client[database].listings.count_documents({})
            print(
                f"round {round_no}: trawler      {pages:6d} pages in {seconds:6.1f} s = {pages / seconds:6.1f} pages/s"
                f" ({listings} listings stored)"
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
    bound = min(raw, storage)
    print(
        f"storage only {storage:.1f} pages/s: the crawl can reach at most {bound:.1f} pages/s "
        f"({'the database' if storage < raw else 'Scrapy'} binds); trawler / that bound: {full / bound:.2f}"
    )


if __name__ == "__main__":
    main()
