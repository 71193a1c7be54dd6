"""Resume after a crash: a crawl killed (SIGKILL) or stopped (SIGTERM) half-way resumes on the next start.

The crawls run as real ``python -m crawler crawl`` processes against the demo forum and the session's
SecantusDB server; the result is compared with an uninterrupted crawl of the same server into another
database. The storage units (seen set, request queue) are tested on their own first.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pymongo
import pytest
from scrapy.settings import Settings

from crawler.demo.base import BuildOptions
from crawler.demo.process import DemoServer
from crawler.dupefilter import SeenSet
from crawler.jobs.jobdir import Job, JobLocked, job_directory, prepare_jobs
from crawler.jobs.queue import RequestQueue
from tests.conftest import EXTRACTION_ONLY, REPO, MongoServer, _free_port_base, run_cli

SITE = "demo-forum"
# Slow enough that a kill lands while pages are still being fetched, not only while listings are written.
THROTTLE = ["--set", "AUTOTHROTTLE_ENABLED=False", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
            "--set", "DOWNLOAD_DELAY=0.03"]  # fmt: skip


def fingerprint(i: int) -> bytes:
    return hashlib.sha1(str(i).encode()).digest()


def test_seen_set_holds_at_most_its_cache_in_memory_and_survives_reopen(tmp_path: Path) -> None:
    seen = SeenSet(tmp_path / "seen.sqlite", cache_size=10_000)
    added = [seen.add(fingerprint(i)) for i in range(200_000)]
    assert added.count(True) == 200_000
    assert len(seen.cache) == 10_000  # the in-memory part is capped
    assert seen.add(fingerprint(5)) is False  # long evicted from the cache: answered from disk
    assert seen.add(fingerprint(199_999)) is False  # in the cache
    assert len(seen.cache) == 10_000
    seen.close()

    again = SeenSet(tmp_path / "seen.sqlite", cache_size=10_000)
    assert len(again) == 200_000
    assert len(again.cache) == 0
    assert fingerprint(0) in again and fingerprint(123_456) in again
    assert again.add(fingerprint(123_456)) is False
    assert again.add(fingerprint(200_000)) is True
    again.close()


def test_request_queue_keeps_taken_requests_until_they_are_done(tmp_path: Path) -> None:
    queue = RequestQueue(tmp_path)
    ids = [queue.push(f"r{i}".encode(), priority=p) for i, p in enumerate((0, 0, 5))]
    assert queue.take() == (ids[2], b"r2")  # highest priority first
    assert queue.take() == (ids[1], b"r1")  # then the newest
    queue.done([ids[2]])
    queue.commit()
    queue.push(b"uncommitted", priority=0)  # never committed: as if the process died now
    queue.db.close()

    reopened = RequestQueue(tmp_path)
    assert reopened.reopen() == 1  # r1 was in flight: pending again
    assert (reopened.pending, reopened.size()) == (2, 2)
    assert [reopened.take(), reopened.take(), reopened.take()] == [(ids[1], b"r1"), (ids[0], b"r0"), None]
    reopened.close()


def test_job_directory_is_locked_kept_until_a_clean_finish_and_removed_without_foreign_files(tmp_path: Path) -> None:
    settings = Settings({"TRAWLER_VAR_DIR": str(tmp_path / "var")})
    directory = job_directory(settings, "demo-forum")
    assert directory == tmp_path / "var" / "jobs" / "demo-forum"
    assert prepare_jobs(settings, ["demo-forum"], fresh=False) == []

    job = Job(directory, "demo-forum")
    assert job.resumed is False
    assert job.attach_run("run-1") is None
    with pytest.raises(JobLocked):
        Job(directory, "demo-forum")  # a second crawl of the site
    assert prepare_jobs(settings, ["demo-forum"], fresh=True) == [
        f"demo-forum: another process is crawling it (job state in {directory})"
    ]
    RequestQueue(directory).close()
    job.close(keep=True)  # interrupted

    [line] = prepare_jobs(settings, ["demo-forum"], fresh=False)
    assert line.startswith("demo-forum: resuming the interrupted crawl started ")
    again = Job(directory, "demo-forum")
    resumed = again.attach_run("run-2")
    assert (again.resumed, resumed.run_id, resumed.run_ids, resumed.started_at) == (
        True, "run-1", ("run-1",), job.record.started_at
    )  # fmt: skip
    again.close(keep=True)
    assert prepare_jobs(settings, ["demo-forum"], fresh=True) == [
        "demo-forum: discarded the state of its interrupted crawl; starting afresh"
    ]
    assert not directory.exists()

    # Scrapy's JOBDIR may be any folder: only Trawler's own files go.
    jobdir = tmp_path / "mine"
    jobdir.mkdir()
    (jobdir / "notes.txt").write_text("keep me")
    finished = Job(jobdir, "demo-forum")
    RequestQueue(jobdir).close()
    finished.close(keep=False)
    assert sorted(p.name for p in jobdir.iterdir()) == ["notes.txt"]


# -- crawls ---------------------------------------------------------------------------------------


@dataclass
class Forum:
    server: DemoServer
    mongo: MongoServer
    reference: pymongo.database.Database  # an uninterrupted crawl
    reference_pages: int

    def env(self, database: str, var_dir: Path) -> dict[str, str]:
        return {"MONGO_URI": self.mongo.uri, "MONGO_DATABASE": database, "TRAWLER_VAR_DIR": str(var_dir),
                **EXTRACTION_ONLY, **self.server.env}  # fmt: skip


@pytest.fixture(scope="module")
def forum(mongo: MongoServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Forum]:
    options = BuildOptions(seed=7, scale=5, now=datetime.now(UTC).replace(microsecond=0))
    server = DemoServer(options, _free_port_base(), only="forum").start()
    client = mongo.client()
    name = "resume_reference"
    client.drop_database(name)
    stats = tmp_path_factory.mktemp("stats") / "reference.json"
    env = {"MONGO_URI": mongo.uri, "MONGO_DATABASE": name, "TRAWLER_VAR_DIR": str(tmp_path_factory.mktemp("var")),
           **EXTRACTION_ONLY, **server.env}  # fmt: skip
    result = run_cli(["crawl", SITE, "--no-progress", "--set", f"TRAWLER_STATS_FILE={stats}"], env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    pages = json.loads(stats.read_text())["response_received_count"]
    yield Forum(server, mongo, client[name], pages)
    server.stop()
    client.drop_database(name)
    client.close()


def listings(db: pymongo.database.Database) -> dict[str, str]:
    docs = list(db.listings.find({}, {"crawl.content_hash": 1}))
    found = {doc["_id"]: doc["crawl"]["content_hash"] for doc in docs}
    assert len(found) == len(docs)
    return found


def start_crawl(env: dict[str, str], site: str = SITE) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler", "crawl", site, "--no-progress", *THROTTLE],
        cwd=REPO,
        env={**os.environ, "COLUMNS": "200", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def wait_for_listings(db: pymongo.database.Database, count: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 240
    while db.listings.count_documents({}) < count:
        assert proc.poll() is None, "the crawl ended before it could be interrupted"
        assert time.monotonic() < deadline, "the crawl made no progress"
        time.sleep(0.2)


def resume(forum: Forum, env: dict[str, str], tmp_path: Path, site: str = SITE) -> dict:
    stats = tmp_path / "resumed.json"
    result = run_cli(["crawl", site, "--no-progress", *THROTTLE, "--set", f"TRAWLER_STATS_FILE={stats}"], env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert f"{site}: resuming the interrupted crawl started" in result.stdout
    return json.loads(stats.read_text())


def check_same_as_uninterrupted(forum: Forum, db: pymongo.database.Database, stats: dict, var_dir: Path) -> None:
    assert listings(db) == listings(forum.reference)
    assert db.listings.count_documents({"crawl.removed_at": {"$ne": None}}) == 0
    assert db.listings.count_documents({"crawl.version": {"$ne": 1}}) == 0
    assert db.listing_versions.count_documents({}) == 0
    assert stats["trawler/job/resumed"] == 1
    assert stats["finish_reason"] == "finished"
    assert 0 < stats["response_received_count"] < forum.reference_pages  # it did not start over
    assert not (var_dir / "jobs" / SITE).exists()  # finished cleanly: the next crawl is a fresh one
    first, second = db.crawl_runs.find({"site": SITE}).sort("started_at", 1)
    assert (first["status"], second["status"]) == ("interrupted", "finished")
    assert second["resumed_from"] == first["_id"]


def test_killed_crawl_resumes_with_the_same_listings_as_an_uninterrupted_one(
    forum: Forum, db: pymongo.database.Database, db_name: str, tmp_path: Path
) -> None:
    env = forum.env(db_name, tmp_path / "var")
    total = len(listings(forum.reference))
    proc = start_crawl(env)
    wait_for_listings(db, total // 3, proc)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL
    stored_before = db.listings.count_documents({})
    assert stored_before < total
    job = tmp_path / "var" / "jobs" / SITE
    assert json.loads((job / "job.json").read_text())["runs"] == [db.crawl_runs.find_one()["_id"]]

    stats = resume(forum, env, tmp_path)
    check_same_as_uninterrupted(forum, db, stats, tmp_path / "var")
    assert stats["trawler/job/requests_at_start"] > 0


def test_sigterm_stops_gracefully_and_the_next_start_resumes(
    forum: Forum, db: pymongo.database.Database, db_name: str, tmp_path: Path
) -> None:
    env = forum.env(db_name, tmp_path / "var")
    proc = start_crawl(env)
    wait_for_listings(db, len(listings(forum.reference)) // 3, proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(120) == 1  # stopped before the end: not a clean crawl
    run = db.crawl_runs.find_one()
    assert (run["status"], run["finish_reason"]) == ("interrupted", "shutdown")
    assert db.listings.count_documents({"crawl.removed_at": {"$ne": None}}) == 0

    stats = resume(forum, env, tmp_path)
    check_same_as_uninterrupted(forum, db, stats, tmp_path / "var")
    assert stats["trawler/job/requests_in_flight_at_stop"] == 0  # the graceful stop let them finish
    assert stats["trawler/job/requests_at_start"] > 0


def test_a_resumed_crawl_logs_in_again_before_it_fetches_queued_pages(
    forum: Forum, db: pymongo.database.Database, db_name: str, tmp_path: Path
) -> None:
    from crawler.demo.forum import build

    site = "demo-forum-members"
    platform, base = build(forum.server.options), forum.server.urls["forum"]
    expected = len(platform.truth(base, site)) + len(platform.members_truth(base, site))
    env = forum.env(db_name, tmp_path / "var")
    proc = start_crawl(env, site)
    wait_for_listings(db, expected // 3, proc)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL

    stats = resume(forum, env, tmp_path, site)
    assert (stats["finish_reason"], stats["trawler/logins"], stats["trawler/job/resumed"]) == ("finished", 1, 1)
    assert "downloader/exception_count" not in stats  # queued pages waited for the login, none was refused
    assert db.listings.count_documents({}) == len(listings(db)) == expected
    assert db.listings.count_documents({"crawl.removed_at": {"$ne": None}}) == 0
    assert db.listings.count_documents({"crawl.version": {"$ne": 1}}) == 0
    run = db.crawl_runs.find_one({"resumed_from": {"$exists": True}})
    assert (run["status"], run["counts"]["errors"]) == ("finished", 0)
