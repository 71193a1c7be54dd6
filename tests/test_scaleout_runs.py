"""Distributed crawls as runs: started by the scheduler, holding the site's lease, recrawled incrementally.

Real processes throughout: a real redis-server (the fixture of tests/test_scaleout.py), the real SecantusDB
server, demo platforms started for one site each, `trawler scheduler run`, `trawler seed`, `trawler worker`
and `trawler crawl` as subprocesses. Pages fetched are read from Scrapy's DEBUG "Crawled" log lines.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo
import pytest
import redis

from crawler.demo import forum as forum_demo
from crawler.demo.base import BuildOptions
from crawler.demo.market import build as build_market
from crawler.demo.process import DemoServer
from crawler.profiles import load_profiles
from crawler.scaleout import lease
from crawler.scheduling import leases
from crawler.scheduling.schedule import Schedule
from crawler.scheduling.scheduler import scheduled_sites
from tests.conftest import EXTRACTION_ONLY, REPO, MongoServer, Received, _free_port_base, run_cli
from tests.test_scaleout import fetched, redis_url, robots_fetches  # noqa: F401 - redis_url is a fixture used here
from tests.test_scheduler import stop_scheduler, wait_for

NOW = datetime.now(UTC).replace(microsecond=0)  # the demo renders relative dates against this
SEEDED = re.compile(r"seeded crawl (\S+): (\d+) start requests queued")
FAST = ["--set", "AUTOTHROTTLE_ENABLED=False", "--set", "DOWNLOAD_DELAY=0"]  # the demo answers at once


@pytest.fixture(scope="module")
def forum() -> Iterator[DemoServer]:
    server = DemoServer(BuildOptions(seed=7, now=NOW), _free_port_base(), only="forum").start()
    yield server
    server.stop()


def forum_profile(folder: Path, server: DemoServer, name: str, extra: str = "", delay: float = 0.0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(
        f"name: {name}\nplatform_type: forum\nengine: phpbb\ntimezone: Europe/Berlin\n"
        f'start_urls: ["{server.urls["forum"]}/"]\n'
        f"politeness: {{download_delay: {delay}, autothrottle: false, concurrency_per_domain: 1}}\n{extra}"
    )


@pytest.fixture
def env(crawl_env: dict[str, str], forum: DemoServer, redis_url: str, tmp_path: Path) -> dict[str, str]:  # noqa: F811
    return {
        **os.environ,
        **crawl_env,
        **forum.env,
        **EXTRACTION_ONLY,
        "REDIS_URL": redis_url,
        "TRAWLER_REDIS_PREFIX": f"t-runs-{tmp_path.name}",
        "TRAWLER_PROFILE_DIRS": str(tmp_path / "profiles"),
        "TRAWLER_LEASE_TTL": "2",  # short: a lease must be renewed several times during a crawl
        "TRAWLER_RUN_POLL_INTERVAL": "0.5",
        "COLUMNS": "200",
    }


def popen(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler", *args], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def worker(env: dict[str, str], site: str, log: Path, *extra: str, max_idle: float = 1) -> subprocess.Popen[bytes]:
    args = ["worker", site, "--max-idle", str(max_idle), "--poll", "0.2"]
    return popen([*args, "--set", f"LOG_FILE={log}", "--set", "LOG_LEVEL=DEBUG", *extra], env, log.with_suffix(".out"))


def finish(proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> int:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"{proc.args} did not finish:\n{log.read_text()[-3000:]}") from None


def seed(env: dict[str, str], site: str, *extra: str) -> tuple[str, int, str]:
    result = run_cli(["seed", site, *extra], env)
    assert result.returncode == 0, result.stdout + result.stderr
    [(crawl_id, queued)] = SEEDED.findall(result.stdout)
    return crawl_id, int(queued), result.stdout


def single_crawl(env: dict[str, str], site: str, database: str, log: Path, *extra: str) -> None:
    args = ["crawl", site, "--no-progress", "--set", f"LOG_FILE={log}", "--set", "LOG_LEVEL=DEBUG", *extra]
    result = run_cli(args, {**env, "MONGO_DATABASE": database})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


def finished(db: pymongo.database.Database, crawl_id: str) -> bool:
    """Whether the distributed crawl's run is complete (its last worker wrote how it ended)."""
    return (db.crawl_runs.find_one({"_id": crawl_id}, {"status": 1}) or {}).get("status") not in (None, "running")


def listing_ids(db: pymongo.database.Database, site: str) -> list[str]:
    return sorted(doc["_id"] for doc in db.listings.find({"site": site}, {"_id": 1}))


# -- the parts, without Redis --------------------------------------------------------------------------------------


def test_a_schedule_or_the_scheduler_setting_makes_runs_distributed(tmp_path: Path) -> None:
    plain = Schedule.model_validate("every 6h")
    assert (plain.distributed, plain.describe("UTC")) == (False, "every 6h")
    mapped = Schedule.model_validate({"cron": "0 3 * * *", "distributed": True})
    assert mapped.describe("Europe/Berlin") == "cron 0 3 * * * (Europe/Berlin, distributed)"
    head = 'platform_type: forum\nstart_urls: ["http://x.test/"]\n'
    (tmp_path / "a.yaml").write_text(f"name: a\n{head}schedule: every 1h\n")
    (tmp_path / "b.yaml").write_text(f"name: b\n{head}schedule: {{every: 2h, distributed: true}}\n")
    profiles = load_profiles([tmp_path]).profiles
    assert [(s.site, s.spec) for s in scheduled_sites(profiles)] == [("a", "every 1h"), ("b", "every 2h, distributed")]
    # TRAWLER_SCHEDULER_DISTRIBUTED names sites whose profiles do not say so.
    assert [s.spec for s in scheduled_sites(profiles, distributed=["a"])] == [
        "every 1h, distributed",
        "every 2h, distributed",
    ]


def test_a_crawls_lease_is_freed_only_by_its_expiry(db: pymongo.database.Database) -> None:
    """Held in a crawl's name (pid 0): no dead pid frees it, another holder waits for its expiry."""
    taken = lease.take(db, "s", "s-crawl", ttl=0.6)
    assert (taken.holder, taken.pid, taken.run_id, taken.live()) == ("crawl:s-crawl", 0, "s-crawl", True)
    assert taken.describe() == "distributed crawl s-crawl (its workers renew the lease)"
    assert leases.acquire(db, "s", "plain", ttl=30) is None
    assert lease.busy_with_other(db, "s", "s-other").holder == "crawl:s-crawl"
    assert lease.busy_with_other(db, "s", "s-crawl") is None
    assert lease.take(db, "s", "s-crawl", ttl=0.6) is not None  # a joining worker takes it again
    time.sleep(0.7)
    assert leases.get(db, "s").live() is False
    assert leases.acquire(db, "s", "plain", ttl=30).holder == "plain"
    assert lease.take(db, "s", "s-crawl", ttl=30) is None


# -- 1. the scheduler starts distributed runs ----------------------------------------------------------------------


def test_a_distributed_schedule_seeds_a_run_the_workers_finish(
    env: dict[str, str], forum: DemoServer, mongo: MongoServer, db: pymongo.database.Database, tmp_path: Path
) -> None:
    site = "dist-forum"
    forum_profile(tmp_path / "profiles", forum, site, "schedule: {every: 1h, distributed: true}\n")
    spec = "every 1h, distributed"
    db.schedules.insert_one({"_id": site, "spec": spec, "next_run_at": datetime.now(UTC) - timedelta(seconds=1)})
    log = tmp_path / "scheduler.log"
    scheduler = popen(["scheduler", "run", "--site", site, "--stop-timeout", "30"], env, log)
    try:
        wait_for(lambda: db.crawl_runs.find_one({"site": site, "distributed": True}) is not None, 60, "the seed", log)
        # Seeding started no crawl process: the run waits in Redis for workers.
        [record] = db.crawl_runs.find({"site": site})
        assert (record["trigger"], record["status"], record["start_requests"]) == ("schedule", "running", 1)
        assert leases.get(db, site).describe() == f"distributed crawl {record['_id']} (its workers renew the lease)"
        logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
        workers = [worker(env, site, path) for path in logs]
        assert [finish(p, path) for p, path in zip(workers, logs, strict=True)] == [0, 0]
    finally:
        assert stop_scheduler(scheduler, log) == 0, log.read_text()[-3000:]

    single_db, single_log = f"{db.name}_single", tmp_path / "single.log"
    single_crawl(env, site, single_db, single_log)
    single = mongo.client()[single_db]
    try:
        record = db.crawl_runs.find_one({"_id": record["_id"]})
        [baseline] = single.crawl_runs.find({"site": site})
        truth = forum_demo.build(BuildOptions(seed=7, now=NOW)).truth(forum.urls["forum"], site)
        assert (record["status"], record["finish_reason"], record["trigger"]) == ("finished", "finished", "schedule")
        for count in ("listings_extracted", "listings_new", "listings_updated", "listings_removed", "errors"):
            assert record["counts"][count] == baseline["counts"][count], count
        assert record["counts"]["listings_new"] == len(truth)
        # Reviewed as one run on the workers' summed counters: the health a single crawl records.
        for field in ("listings_seen", "listings_by_kind", "coverage", "blocked_pages", "ban_rate", "alerts"):
            assert record[field] == baseline[field], field
        assert record["listings_seen"] == len(truth)
        assert listing_ids(db, site) == listing_ids(single, site) == sorted(item["_id"] for item in truth)
        assert fetched(logs[0]) + fetched(logs[1]) == fetched(single_log)  # every page once, as one crawl does
        assert len(record["worker_runs"]) == 2
        # The last worker completed the run, released the site and told the schedule how the run ended.
        assert db.leases.count_documents({}) == 0
        schedule = db.schedules.find_one({"_id": site})
        assert (schedule["last_run_id"], schedule["last_status"], schedule["spec"]) == (record["_id"], "finished", spec)
        assert f"{site}: seeded distributed run {record['_id']} (schedule, 1 start requests)" in log.read_text()
    finally:
        mongo.client().drop_database(single_db)


# -- 2. one crawl of a site at a time, plain or distributed ---------------------------------------------------------


def test_plain_and_distributed_crawls_of_a_site_exclude_each_other(
    env: dict[str, str], forum: DemoServer, db: pymongo.database.Database, tmp_path: Path
) -> None:
    site = "slow-forum"
    forum_profile(tmp_path / "profiles", forum, site)

    # A distributed crawl is running: a plain crawl of the site refuses, naming the crawl.
    crawl_id, _, _ = seed(env, site)
    slow_log = tmp_path / "slow-worker.log"
    slow = worker(env, site, slow_log, "--set", "DOWNLOAD_DELAY=0.5")  # 54 pages: ~27 s; it is killed long before
    wait_for(lambda: slow_log.exists() and sum(fetched(slow_log).values()) >= 3, 60, "the worker's first pages")
    time.sleep(2.5)  # longer than the lease's TTL: only the worker's renewals keep it
    refused = run_cli(["crawl", site, "--no-progress"], env)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    message = f"site '{site}' is already being crawled by distributed crawl {crawl_id} (its workers renew the lease)"
    assert message in " ".join(refused.stderr.split()), refused.stderr
    [plain] = db.crawl_runs.find({"site": site, "distributed": {"$exists": False}, "crawl_id": {"$exists": False}})
    assert (plain["status"], plain["finish_reason"], plain["counts"]["pages"]) == ("failed", "site_busy", 0)
    assert slow.poll() is None, slow_log.read_text()[-3000:]  # the distributed crawl went on

    # Every worker dies: nobody renews the lease, and it expires after its TTL.
    slow.send_signal(signal.SIGKILL)
    slow.wait(30)
    wait_for(lambda: not leases.get(db, site).live(), 10, "the lease to expire")

    # A plain crawl now holds the site: a new seed refuses, and a worker leaves the old crawl alone meanwhile.
    plain_log = tmp_path / "plain.log"
    local = popen(["crawl", site, "--no-progress", "--set", "DOWNLOAD_DELAY=0.3"], env, plain_log)  # ~16 s at most
    wait_for(lambda: (lease := leases.get(db, site)) is not None and lease.pid == local.pid, 60, "the plain crawl")
    run_id = leases.get(db, site).run_id
    idle_log = tmp_path / "idle-worker.log"
    idle = worker(env, site, idle_log)
    reseed = run_cli(["seed", site, "--force"], env)
    assert reseed.returncode == 1, reseed.stdout + reseed.stderr
    expected = f"{site} is being crawled by run {run_id} on {leases.HOST} (pid {local.pid}); seed it after that"
    assert expected in " ".join((reseed.stdout + reseed.stderr).split())
    assert finish(idle, idle_log, 60) == 0
    assert local.poll() is None  # the plain crawl was running all along
    assert fetched(idle_log) == Counter()
    assert f"crawl {crawl_id} waits: run {run_id} on {leases.HOST} (pid {local.pid}) holds the site" in (
        idle_log.read_text()
    )
    local.send_signal(signal.SIGTERM)  # done with it: a graceful stop, which releases the site as well
    finish(local, plain_log)
    run = db.crawl_runs.find_one({"_id": run_id})
    assert (run["status"], run["finish_reason"]) == ("interrupted", "shutdown"), plain_log.read_text()[-3000:]
    assert db.leases.count_documents({}) == 0


# -- 3. incremental recrawls by workers ------------------------------------------------------------------------------


def test_a_distributed_recrawl_fetches_what_a_local_incremental_recrawl_fetches(
    env: dict[str, str], mongo: MongoServer, db: pymongo.database.Database, tmp_path: Path
) -> None:
    """The same demo marketplace, crawled and recrawled twice by plain crawls into one database and by seeded
    crawls with two workers into another: the same pages, the same listings and versions."""
    site, port_base = "demo-market", _free_port_base()
    incremental = {**env, "TRAWLER_INCREMENTAL": "1"}
    local_db = mongo.client()[f"{db.name}_local"]

    def local(options: BuildOptions, tag: str) -> Counter[str]:
        log = tmp_path / f"{tag}-local.log"
        with DemoServer(options, port_base, only="market") as server:
            single_crawl({**incremental, **server.env}, site, local_db.name, log, *FAST)
        return fetched(log)

    def distributed(options: BuildOptions, tag: str) -> tuple[Counter[str], str, str]:
        """Both workers are up and polling before the seed, so that both take part from the first pages."""
        logs = [tmp_path / f"{tag}-w1.log", tmp_path / f"{tag}-w2.log"]
        with DemoServer(options, port_base, only="market") as server:
            crawl_env = {**incremental, **server.env}
            workers = [worker(crawl_env, site, log, *FAST, max_idle=60) for log in logs]
            wait_for(lambda: all(log.exists() for log in logs), 60, "the workers to start")
            crawl_id, _, out = seed(crawl_env, site)
            wait_for(lambda: finished(db, crawl_id), 120, "the crawl to finish", logs[0])
            for proc in workers:
                proc.send_signal(signal.SIGTERM)  # idle: they leave at once
            assert [finish(p, log) for p, log in zip(workers, logs, strict=True)] == [0, 0]
        shares = [fetched(log) for log in logs]
        print(tag, "pages fetched by each worker:", [sum(share.values()) for share in shares])
        return shares[0] + shares[1], crawl_id, out

    def versions(database: pymongo.database.Database) -> list[str]:
        return sorted(d["listing_id"] for d in database.listing_versions.find({}, {"listing_id": 1}))

    first = BuildOptions(seed=7, scale=1, now=NOW)
    changed = BuildOptions(seed=7, scale=1, now=NOW, change_fraction=0.01)
    try:
        # The first crawl: everything, once; each worker records the page states of the pages it fetched.
        assert local(first, "first") == distributed(first, "first")[0]
        assert listing_ids(db, site) == listing_ids(local_db, site)
        assert db.page_states.count_documents({"site": site}) == local_db.page_states.count_documents({"site": site})

        # 1% of the ads edited and bumped: the same few pages fetched, the same listings updated.
        pages, crawl_id, out = distributed(changed, "changed")
        assert "incremental recrawl; 0 of them stored pages due for a revisit" in out
        assert local(changed, "changed") == pages
        assert set(pages.values()) == {1}
        record = db.crawl_runs.find_one({"_id": crawl_id})
        [baseline] = local_db.crawl_runs.find({"site": site}).sort("started_at", -1).limit(1)
        assert (record["status"], record["incremental"]) == ("finished", "incremental")
        assert versions(db) == versions(local_db) == sorted(f"{site}:ad:{ad}" for ad in build_market(changed).changed)
        for count in ("listings_new", "listings_updated", "listings_removed"):
            assert record["counts"][count] == baseline["counts"][count], count

        # Nothing changed since, but three stored ads are due by their revisit interval: seeded with the start
        # page, fetched (304) with the same few pages a plain recrawl fetches, and nothing stored again.
        due = [d["_id"] for d in db.page_states.find({"site": site, "url": {"$regex": "/ad/"}}).sort("_id", 1)][:3]
        for database in (db, local_db):
            database.page_states.update_many({"_id": {"$in": due}}, {"$set": {"next_due": NOW - timedelta(days=1)}})
        before = (db.listings.count_documents({}), len(versions(db)))
        pages, crawl_id, out = distributed(changed, "unchanged")
        assert "incremental recrawl; 3 of them stored pages due for a revisit" in out
        assert re.search(r": 4 start requests queued", out)
        assert local(changed, "unchanged") == pages
        assert {d["url"] for d in db.page_states.find({"_id": {"$in": due}})} <= set(pages)
        record = db.crawl_runs.find_one({"_id": crawl_id})
        assert (db.listings.count_documents({}), len(versions(db))) == before
        assert record["status"] == "finished"
        assert (record["counts"]["listings_new"], record["counts"]["listings_updated"]) == (0, 0)
        assert record["counts"]["listings_removed"] == 0
    finally:
        mongo.client().drop_database(local_db.name)


# -- 4. cancelling a distributed crawl, starting one with `runs start --distributed` --------------------------------

STARTED = re.compile(r"started distributed run (\S+) \((\d+) start requests queued")


def test_runs_cancel_stops_every_worker_of_a_distributed_crawl(
    env: dict[str, str],
    forum: DemoServer,
    db: pymongo.database.Database,
    redis_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    site = "cancel-forum"
    forum_profile(tmp_path / "profiles", forum, site)
    started = run_cli(["runs", "start", site, "--distributed"], env)
    assert started.returncode == 0, started.stdout + started.stderr
    [(crawl_id, queued)] = STARTED.findall(" ".join(started.stdout.split()))
    assert queued == "1"
    record = db.crawl_runs.find_one({"_id": crawl_id})
    assert (record["trigger"], record["status"], record["distributed"]) == ("manual", "running", True)

    # Two slow workers (54 pages at 0.5 s each: ~14 s for two), cancelled once each fetched a few pages: a
    # worker takes no more than it can fetch, so the first one does not hoard the pages while it waits.
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    workers = [worker(env, site, path, "--set", "DOWNLOAD_DELAY=0.5") for path in logs]
    wait_for(lambda: all(p.exists() and fetched(p).total() >= 3 for p in logs), 60, "both workers' first pages")
    cancel = run_cli(["runs", "cancel", crawl_id, "--wait", "30"], env)
    assert cancel.returncode == 0, cancel.stdout + cancel.stderr
    out = " ".join(cancel.stdout.split())
    assert f"cancel requested for run {crawl_id}: its workers leave it within seconds" in out
    assert f"run {crawl_id} is cancelled" in out
    # A worker exits 1 when a crawl it took part in did not finish, and says why.
    assert [finish(p, path, 30) for p, path in zip(workers, logs, strict=True)] == [1, 1]
    for path in logs:
        assert f"{site} ({crawl_id}): cancelled" in " ".join(path.with_suffix(".out").read_text().split())

    record = db.crawl_runs.find_one({"_id": crawl_id})
    parts = list(db.crawl_runs.find({"crawl_id": crawl_id}))
    assert (record["status"], record["finish_reason"], record["cancel_requested"]) == ("cancelled", "cancelled", True)
    assert sorted(record["worker_runs"]) == sorted(part["_id"] for part in parts) and len(parts) == 2
    assert {part["finish_reason"] for part in parts} == {"cancelled"}
    pages = sum(fetched(path).total() + robots_fetches(path) for path in logs)
    assert record["counts"]["pages"] == sum(part["counts"]["pages"] for part in parts) == pages
    assert pages < 54  # stopped part-way: the forum has 54 pages (robots.txt included)
    assert record["counts"]["listings_removed"] == 0  # a cancelled crawl saw too little to say what is gone
    assert db.listings.count_documents({"site": site, "removed": True}) == 0
    for path in logs:
        assert "Closing spider (cancelled)" in path.read_text()
    # Nothing is left to resume, and the site is free: a plain crawl may start now.
    server = redis.Redis.from_url(redis_url)
    prefix = env["TRAWLER_REDIS_PREFIX"]
    assert server.zcard(f"{prefix}:crawl:{crawl_id}:requests") == 0
    assert server.hget(f"{prefix}:crawl:{crawl_id}:meta", "state") == b"done"
    assert db.leases.count_documents({"_id": site}) == 0
    again = run_cli(["runs", "cancel", crawl_id], env)
    assert again.returncode == 1
    assert f"run {crawl_id} is not running (cancelled): nothing to cancel" in " ".join(again.stderr.split())


def test_cancelling_a_distributed_crawl_no_worker_is_in_completes_it_at_once(
    env: dict[str, str], forum: DemoServer, db: pymongo.database.Database, tmp_path: Path
) -> None:
    site = "cancel-idle-forum"
    forum_profile(tmp_path / "profiles", forum, site)
    crawl_id, queued, _ = seed(env, site)
    assert queued == 1
    cancel = run_cli(["runs", "cancel", crawl_id], env)
    assert cancel.returncode == 0, cancel.stdout + cancel.stderr
    assert f"cancelled run {crawl_id} (no worker was in it)" in " ".join(cancel.stdout.split())
    record = db.crawl_runs.find_one({"_id": crawl_id})
    assert (record["status"], record["finish_reason"], record["worker_runs"]) == ("cancelled", "cancelled", [])
    assert db.leases.count_documents({"_id": site}) == 0
    # A worker started afterwards finds nothing to do, and the site can be seeded again at once.
    log = tmp_path / "late.log"
    assert finish(worker(env, site, log), log, 60) == 0
    assert fetched(log) == Counter()
    assert db.crawl_runs.count_documents({"crawl_id": crawl_id}) == 0
    reseeded, _, out = seed(env, site)
    assert reseeded != crawl_id and "replaced crawl" in out


# -- 5. monitoring a distributed crawl as one run ------------------------------------------------------------------


def test_a_distributed_crawl_is_monitored_as_one_run(
    env: dict[str, str],
    db: pymongo.database.Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    webhook: tuple[str, Received],
) -> None:
    """Two distributed crawls of the demo marketplace; before the second the site shows its dates differently
    (a layout change). The crawl's last worker reviews the whole crawl on the workers' summed counters: the
    second crawl's record gets the coverage alert, sent to the webhook; the workers' shares get none."""
    site, port_base = "dist-mon-market", _free_port_base()
    url, received = webhook
    hooked = {**env, "TRAWLER_ALERT_WEBHOOK_URL": f"{url}/alerts"}
    options = BuildOptions(seed=7, scale=1, now=NOW)

    def crawl(tag: str, workers: int) -> dict[str, object]:
        logs = [tmp_path / f"{tag}-w{n}.log" for n in range(workers)]
        with DemoServer(options, port_base, only="market") as server:
            (tmp_path / "profiles").mkdir(exist_ok=True)
            (tmp_path / "profiles" / f"{site}.yaml").write_text(
                f"name: {site}\nplatform_type: marketplace\nengine: classifieds\ncountry: DE\n"
                f'timezone: Europe/Berlin\nstart_urls: ["{server.urls["market"]}/"]\n'
                "monitoring: {min_history: 1}\n"  # the site's own threshold: one earlier run is a baseline
            )
            procs = [worker(hooked, site, log, *FAST, max_idle=60) for log in logs]
            wait_for(lambda: all(log.exists() for log in logs), 60, "the workers to start")
            crawl_id, _, _ = seed(hooked, site)
            wait_for(lambda: finished(db, crawl_id), 120, "the crawl to finish", logs[0])
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            assert [finish(p, log) for p, log in zip(procs, logs, strict=True)] == [0] * workers
        return db.crawl_runs.find_one({"_id": crawl_id})

    first = crawl("first", 1)
    monkeypatch.setenv("TRAWLER_DEMO_FAULTS", json.dumps({"replace": {'<time class="posted"': '<span class="x"'}}))
    second = crawl("second", 2)

    assert (first["status"], first["alerts"], first["listings_seen"], first["listings_by_kind"]) == (
        "finished", [], 120, {"ad": 120}
    )  # fmt: skip
    assert (first["coverage"]["ad"]["posted_at"], first["blocked_pages"], first["error_rate"]) == (1.0, 0, 0.0)
    assert (second["status"], second["listings_seen"], second["coverage"]["ad"]["posted_at"]) == ("finished", 120, 0.0)
    assert [(a["check"], a["subject"], a["value"], a["baseline"]) for a in second["alerts"]] == [
        ("coverage_drop", "ad.posted_at", 0.0, 1.0)
    ]
    assert (
        "posted_at was found on 0% of dist-mon-market's ad listings, against 100% in its last 1 runs"
        in (second["alerts"][0]["message"])
    )
    # The shares: reviewed for their health, never checked (so never alerting), never a baseline.
    shares = list(db.crawl_runs.find({"crawl_id": {"$in": [first["_id"], second["_id"]]}}))
    assert len(shares) == 3 and all(share["alerts"] == [] for share in shares)
    assert sum(share["listings_seen"] for share in shares if share["crawl_id"] == second["_id"]) == 120
    assert [a["run_id"] for a in db.alerts.find({"site": site})] == [second["_id"]]
    [payload] = [json.loads(body) for _, _, body in received.requests]
    assert (payload["run_id"], [a["check"] for a in payload["alerts"]]) == (second["_id"], ["coverage_drop"])
    assert [d["ok"] for d in db.crawl_runs.find_one({"_id": second["_id"]})["alert_delivery"]] == [True]


# -- 6. a worker killed mid-crawl loses nothing ---------------------------------------------------------------------


def test_a_killed_workers_unacknowledged_requests_are_crawled_by_the_others(
    env: dict[str, str],
    forum: DemoServer,
    db: pymongo.database.Database,
    redis_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    site = "kill-forum"
    forum_profile(tmp_path / "profiles", forum, site)
    short = {**env, "TRAWLER_WORKER_ALIVE_TTL": "2"}  # the survivor notices the death within 2 s
    crawl_id, _, _ = seed(short, site)
    logs = [tmp_path / "victim.log", tmp_path / "survivor.log"]
    slow = ("--set", "DOWNLOAD_DELAY=0.3", "--set", "TRAWLER_WORKER_ALIVE_TTL=2")
    victim = worker(short, site, logs[0], *slow)
    wait_for(lambda: logs[0].exists() and fetched(logs[0]).total() >= 5, 60, "the victim's first pages")
    survivor = worker(short, site, logs[1], *slow)
    wait_for(lambda: logs[1].exists() and f"joined crawl {crawl_id}" in logs[1].read_text(), 60, "the survivor")
    server = redis.Redis.from_url(redis_url)
    prefix = env["TRAWLER_REDIS_PREFIX"]
    [victim_name] = [w.decode() for w in server.smembers(f"{prefix}:crawl:{crawl_id}:workers")
                     if w.decode().split(":")[1] == str(victim.pid)]  # fmt: skip
    victim.send_signal(signal.SIGKILL)
    victim.wait(10)
    unacknowledged = server.zcard(f"{prefix}:crawl:{crawl_id}:inflight:{victim_name}")
    # The scenario needs pages the victim took and had not stored yet (its listings are written every 2 s).
    assert unacknowledged >= 1
    assert finish(survivor, logs[1], 120) == 0

    record = db.crawl_runs.find_one({"_id": crawl_id})
    truth = forum_demo.build(BuildOptions(seed=7, now=NOW)).truth(forum.urls["forum"], site)
    assert listing_ids(db, site) == sorted(item["_id"] for item in truth)  # nothing missing, nothing twice
    assert (record["status"], record["lost_workers"], record["requeued"]) == ("finished", 1, unacknowledged)
    pages = fetched(logs[0]) + fetched(logs[1])
    assert len(pages) == 53  # every page of the forum (robots.txt aside) was fetched
    twice = sorted(url for url, n in pages.items() if n > 1)
    assert len(twice) <= unacknowledged  # only pages the victim had not acknowledged were fetched again
    assert server.exists(f"{prefix}:crawl:{crawl_id}:inflight:{victim_name}") == 0


# -- 7. a login site, distributed: every worker logs in, and the password never reaches Redis ----------------------


def test_a_login_sites_workers_log_in_themselves_and_keep_the_password_out_of_redis(
    env: dict[str, str],
    db: pymongo.database.Database,
    redis_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    from crawler.demo.forum import MEMBER_PASSWORD

    site = "demo-forum-members"
    # Sessions expire after 3 members-only pages: whichever worker meets the members' board must log in again.
    server = DemoServer(BuildOptions(seed=7, now=NOW), _free_port_base(), only="forum", session_pages=3).start()
    members_env = {**env, **server.env}
    members_env.pop("TRAWLER_PROFILE_DIRS")  # the bundled profile
    redis_client = redis.Redis.from_url(redis_url)
    seen: list[str] = []
    stop = threading.Event()

    def watch() -> None:  # every command Redis executes, as the server received it
        with redis_client.monitor() as monitor:
            for command in monitor.listen():
                seen.append(str(command.get("command", "")))
                if stop.is_set():
                    return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
        workers = [worker(members_env, site, log, *FAST, max_idle=60) for log in logs]
        wait_for(lambda: all(log.exists() for log in logs), 60, "the workers to start")
        crawl_id, queued, _ = seed(members_env, site)
        assert queued == 1  # the login page: the seed logs in nowhere
        wait_for(lambda: finished(db, crawl_id), 120, "the crawl to finish", logs[0])
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        assert [finish(p, log) for p, log in zip(workers, logs, strict=True)] == [0, 0]
    finally:
        stop.set()
        redis_client.ping()  # one more command, so the watcher sees the stop
        watcher.join(10)
        server.stop()
    built = forum_demo.build(BuildOptions(seed=7, now=NOW))
    base = server.urls["forum"]
    truth = built.truth(base, site) + built.members_truth(base, site)
    assert listing_ids(db, site) == sorted(item["_id"] for item in truth)  # the members' board included
    record = db.crawl_runs.find_one({"_id": crawl_id})
    assert (record["status"], record["counts"]["errors"]) == ("finished", 0)
    assert len(seen) > 100 and any("ZADD" in c.upper() or "EVALSHA" in c.upper() for c in seen)
    assert not [c for c in seen if MEMBER_PASSWORD in c]  # no command ever carried the password


# -- 8. a browser-rendered site, distributed; `runs start --distributed --wait` --------------------------------------


def test_a_browser_rendered_site_is_crawled_by_workers_each_with_its_own_browser(
    env: dict[str, str], db: pymongo.database.Database, tmp_path: Path
) -> None:
    site = "demo-market-js"
    server = DemoServer(BuildOptions(seed=7, now=NOW), _free_port_base(), only="market-js").start()
    js_env = {**env, **server.env}
    js_env.pop("TRAWLER_PROFILE_DIRS")  # the bundled profile
    logs = [tmp_path / "w1.log", tmp_path / "w2.log"]
    try:
        workers = [worker(js_env, site, log, *FAST, max_idle=60) for log in logs]
        wait_for(lambda: all(log.exists() for log in logs), 60, "the workers to start")
        started = run_cli(["runs", "start", site, "--distributed", "--wait"], js_env, timeout=300)
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        assert [finish(p, log) for p, log in zip(workers, logs, strict=True)] == [0, 0]
    finally:
        server.stop()
    assert started.returncode == 0, started.stdout[-2000:] + started.stderr[-2000:]
    [(crawl_id, _)] = STARTED.findall(" ".join(started.stdout.split()))
    out = " ".join(started.stdout.split())
    assert f"run {crawl_id}" in out and "status: finished" in out  # --wait printed the completed run
    truth = build_market_js_truth(server)
    assert listing_ids(db, site) == sorted(item["_id"] for item in truth)
    record = db.crawl_runs.find_one({"_id": crawl_id})
    assert (record["status"], record["counts"]["listings_new"], record["counts"]["errors"]) == ("finished", 23, 0)
    rendered = sum(int(m) for log in logs for m in re.findall(r"'trawler/pages_rendered': (\d+)", log.read_text()))
    assert rendered == 25  # the home page, its second page and the 23 ads, each rendered once by one worker


def build_market_js_truth(server: DemoServer) -> list[dict]:
    from crawler.demo.server import ground_truth

    return ground_truth(BuildOptions(seed=7, now=NOW), server.urls)["demo-market-js"]
