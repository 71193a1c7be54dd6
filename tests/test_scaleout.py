"""Scale-out: two worker processes drain one seeded crawl through a real redis-server.

Compared with a single-process ``trawler crawl`` of the same demo platforms into another database: the same
listings, each stored once, every page fetched once in total (from the workers' Scrapy DEBUG logs), both
workers doing a share, one crawl-level run record summing the workers' runs; then a re-seed replaces the
finished crawl's Redis keys and crawls the site again.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymongo
import pytest
import redis

from crawler.storage import embedded
from tests.conftest import EXTRACTION_ONLY, REPO, MongoServer, RunningDemo, run_cli, start_demo

SITES = ["demo-forum", "demo-market"]
SCRAPY_DUPEFILTER = "scrapy.dupefilters.RFPDupeFilter"
CRAWLED = re.compile(r"Crawled \((\d+)\) <GET ([^>]+)>")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = embedded.free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    proc.terminate()
    proc.wait(10)


def fetched(log: Path) -> Counter[str]:
    """URL -> times fetched, from Scrapy's DEBUG "Crawled (status) <GET url>" lines (robots.txt left out)."""
    urls = Counter(m.group(2) for m in CRAWLED.finditer(log.read_text()))
    return Counter({url: n for url, n in urls.items() if not url.endswith("/robots.txt")})


def robots_fetches(log: Path) -> int:
    return sum(1 for m in CRAWLED.finditer(log.read_text()) if m.group(2).endswith("/robots.txt"))


def listing_ids(db: pymongo.database.Database, site: str) -> list[str]:
    return sorted(doc["_id"] for doc in db.listings.find({"site": site}, {"_id": 1}))


@dataclass
class Distributed:
    demo: RunningDemo
    env: dict[str, str]
    dist: pymongo.database.Database
    single: pymongo.database.Database
    logs: list[Path]
    single_log: Path
    server: redis.Redis
    crawl_ids: dict[str, str]


def start_worker(env: dict[str, str], log: Path, *extra: str) -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "crawler", "worker", *SITES, "--max-idle", "1", "--poll", "0.2"]
    args += ["--set", f"LOG_FILE={log}", "--set", "LOG_LEVEL=DEBUG", *extra]
    return subprocess.Popen(
        args, cwd=REPO, env={**os.environ, "COLUMNS": "200", **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def seed(env: dict[str, str], *sites: str) -> dict[str, str]:
    """Seed ``sites`` in one ``trawler seed``; their crawl ids by site."""
    result = run_cli(["seed", *sites], env)
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.findall(r"seeded crawl (\S+): 1 start requests queued", result.stdout)
    assert len(found) == len(sites), result.stdout
    return dict(zip(sites, found, strict=True))


@pytest.fixture(scope="module")
def distributed(mongo: MongoServer, redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Distributed]:
    demo = start_demo(scale=3)
    tmp = tmp_path_factory.mktemp("scaleout")
    client = mongo.client()
    env = {
        **demo.env,
        **EXTRACTION_ONLY,
        "MONGO_URI": mongo.uri,
        "MONGO_DATABASE": "scaleout_dist",
        "TRAWLER_VAR_DIR": str(tmp / "var"),
        "REDIS_URL": redis_url,
        "TRAWLER_REDIS_PREFIX": "t-scaleout",
    }
    single_log = tmp / "single.log"
    # The baseline is Scrapy's own in-memory scheduler and seen set, whatever the project's default is.
    pinned = ["--set", "SCHEDULER=scrapy.core.scheduler.Scheduler", "--set", "DUPEFILTER_CLASS=" + SCRAPY_DUPEFILTER]
    logging = ["--set", f"LOG_FILE={single_log}", "--set", "LOG_LEVEL=DEBUG"]
    single_env = {**env, "MONGO_DATABASE": "scaleout_single"}
    single = run_cli(["crawl", *SITES, "--no-progress", *pinned, *logging], single_env)
    assert single.returncode == 0, single.stdout + single.stderr

    crawl_ids = seed(env, *SITES)
    logs = [tmp / "worker1.log", tmp / "worker2.log"]
    workers = [start_worker(env, log) for log in logs]
    for proc in workers:
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out[-3000:]
    state = Distributed(
        demo, env, client["scaleout_dist"], client["scaleout_single"], logs, single_log,
        redis.Redis.from_url(redis_url), crawl_ids,
    )  # fmt: skip
    yield state
    demo.server.stop()
    client.drop_database("scaleout_dist")
    client.drop_database("scaleout_single")


@pytest.mark.parametrize("site", SITES)
def test_workers_store_exactly_the_listings_of_a_single_crawl(distributed: Distributed, site: str) -> None:
    ids = listing_ids(distributed.dist, site)
    assert ids == listing_ids(distributed.single, site)
    assert len(ids) == len(distributed.demo.truth()[site])


def test_each_listing_is_stored_once_and_never_versioned(distributed: Distributed) -> None:
    """Two workers writing the same listing would show as a second version or an "updated" count."""
    assert distributed.dist.listing_versions.count_documents({}) == 0
    assert distributed.dist.listings.count_documents({"crawl.version": {"$ne": 1}}) == 0
    for site in SITES:
        record = distributed.dist.crawl_runs.find_one({"_id": distributed.crawl_ids[site]})
        assert record["counts"]["listings_new"] == len(listing_ids(distributed.single, site))
        assert record["counts"]["listings_updated"] == 0


def test_every_page_is_fetched_once_in_total(distributed: Distributed) -> None:
    per_worker = [fetched(log) for log in distributed.logs]
    together = per_worker[0] + per_worker[1]
    single = fetched(distributed.single_log)
    assert set(together) == set(single)
    assert set(together.values()) == {1}
    assert set(single.values()) == {1}
    # Scrapy's own page count agrees: the workers' run records sum to the single crawl's pages, robots.txt aside
    # (each process reads it once per site).
    runs = list(distributed.dist.crawl_runs.find({"crawl_id": {"$in": list(distributed.crawl_ids.values())}}))
    worker_pages = sum(run["counts"]["pages"] for run in runs)
    single_pages = sum(run["counts"]["pages"] for run in distributed.single.crawl_runs.find())
    worker_robots = sum(robots_fetches(log) for log in distributed.logs)
    assert worker_pages - worker_robots == single_pages - robots_fetches(distributed.single_log) == len(single)


def test_both_workers_did_a_share(distributed: Distributed) -> None:
    shares = [sum(fetched(log).values()) for log in distributed.logs]
    total = sum(shares)
    assert all(share >= total // 10 for share in shares), shares


@pytest.mark.parametrize("site", SITES)
def test_one_crawl_record_sums_its_worker_runs(distributed: Distributed, site: str) -> None:
    crawl_id = distributed.crawl_ids[site]
    record = distributed.dist.crawl_runs.find_one({"_id": crawl_id})
    parts = list(distributed.dist.crawl_runs.find({"crawl_id": crawl_id}))
    assert record["distributed"] is True
    assert (record["status"], record["finish_reason"], record["lost_workers"]) == ("finished", "finished", 0)
    assert sorted(record["worker_runs"]) == sorted(part["_id"] for part in parts)
    assert len(parts) == 2
    assert {part["status"] for part in parts} == {"finished"}
    assert len({part["worker"] for part in parts}) == 2
    for name in ("pages", "listings_extracted", "listings_new", "errors"):
        assert record["counts"][name] == sum(part["counts"][name] for part in parts)
    assert record["counts"]["errors"] == 0
    assert record["counts"]["listings_removed"] == 0


def test_drained_crawl_leaves_an_empty_queue_and_a_done_state(distributed: Distributed) -> None:
    server = distributed.server
    for crawl_id in distributed.crawl_ids.values():
        base = f"t-scaleout:crawl:{crawl_id}"
        assert server.zcard(f"{base}:requests") == 0
        assert server.scard(f"{base}:workers") == 0
        assert server.hget(f"{base}:meta", "state") == b"done"


def test_reseed_then_a_stopped_worker_leaves_the_rest_to_the_next(distributed: Distributed) -> None:
    """Runs last in this module. A re-seed replaces the finished crawl's keys; a slowed worker gets SIGTERM
    mid-crawl and leaves without losing a request; a second worker finishes the crawl."""
    site = "demo-forum"
    old = distributed.crawl_ids[site]
    new = seed(distributed.env, site)[site]
    assert new != old
    assert distributed.server.keys(f"t-scaleout:crawl:{old}:*") == []
    assert distributed.server.get(f"t-scaleout:site:{site}:current") == new.encode()

    # A listing the site no longer shows: the crawl must mark it removed once, when the whole crawl is done.
    gone = distributed.dist.listings.find_one({"site": site})
    gone["_id"] = f"{site}:post:taken-down"
    distributed.dist.listings.insert_one(gone)

    first_log, second_log = (distributed.logs[0].with_name(name) for name in ("stopped.log", "resumed.log"))
    slow = ["--set", "DOWNLOAD_DELAY=0.05", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    first = start_worker(distributed.env, first_log, *slow)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not first_log.exists() or sum(fetched(first_log).values()) < 20):
        time.sleep(0.1)
    first.send_signal(signal.SIGTERM)
    out, _ = first.communicate(timeout=60)
    assert first.returncode == 1, out[-3000:]  # its crawl did not finish: exit 1, reason "shutdown"
    record = distributed.dist.crawl_runs.find_one({"_id": new})
    assert record["status"] == "interrupted"
    assert distributed.server.zcard(f"t-scaleout:crawl:{new}:requests") > 0
    assert distributed.dist.listings.find_one({"_id": gone["_id"]})["crawl"]["removed_at"] is None

    second = start_worker(distributed.env, second_log)
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0, out[-3000:]
    forum = distributed.demo.env["TRAWLER_DEMO_FORUM_URL"]
    expected = Counter({url: 1 for url in fetched(distributed.single_log) if url.startswith(forum)})
    stopped, resumed = fetched(first_log), fetched(second_log)
    assert 20 <= sum(stopped.values()) < sum(expected.values())
    assert stopped + resumed == expected  # every page once, none lost by the stop
    record = distributed.dist.crawl_runs.find_one({"_id": new})
    ids = listing_ids(distributed.single, site)
    assert (record["status"], record["finish_reason"]) == ("finished", "finished")
    assert [p["status"] for p in distributed.dist.crawl_runs.find({"crawl_id": new}).sort("started_at", 1)] == [
        "interrupted",
        "finished",
    ]
    assert (record["counts"]["listings_new"], record["counts"]["listings_unchanged"]) == (0, len(ids))
    assert record["counts"]["listings_removed"] == 1
    removed = [d["_id"] for d in distributed.dist.listings.find({"site": site, "crawl.removed_at": {"$ne": None}})]
    assert removed == [gone["_id"]]
    assert listing_ids(distributed.dist, site) == sorted([*ids, gone["_id"]])
