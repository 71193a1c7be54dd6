"""Schedules, site leases and the scheduler process, against a real SecantusDB server and the demo forum."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pymongo
import pytest

from crawler.profiles import load_profiles
from crawler.scheduling import leases
from crawler.scheduling.schedule import Schedule
from tests.conftest import EXTRACTION_ONLY, REPO, RunningDemo, run_cli, start_demo

# -- schedules ---------------------------------------------------------------


def test_schedule_strings_and_mappings_parse() -> None:
    cron = Schedule.model_validate("*/30 * * * *")
    assert (cron.cron, cron.every, cron.timezone) == ("*/30 * * * *", None, None)
    assert cron.describe("Europe/Berlin") == "cron */30 * * * * (Europe/Berlin)"
    assert Schedule.model_validate("every 6h").every == 21600
    assert Schedule.model_validate("every 1h30m").every == 5400
    assert Schedule.model_validate("every 90 minutes").describe("UTC") == "every 1h30m"
    assert Schedule.model_validate("every 2s").every == 2
    assert Schedule.model_validate({"every": "1d"}).describe("UTC") == "every 1d"
    mapped = Schedule.model_validate({"cron": "0 3 * * mon-fri", "timezone": "Europe/London"})
    assert mapped.describe("Europe/Berlin") == "cron 0 3 * * mon-fri (Europe/London)"


def test_next_run_times_follow_intervals_and_the_cron_time_zone_across_dst() -> None:
    moment = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert Schedule.model_validate("every 6h").next_after(moment, "UTC") == moment + timedelta(hours=6)
    # Europe/Berlin moves to summer time on 29 March 2026: 03:00 local is then 01:00 UTC, the day before 02:00 UTC.
    nightly = Schedule.model_validate("0 3 * * *")
    first = nightly.next_after(moment, "Europe/Berlin")
    assert first.astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert nightly.next_after(first, "Europe/Berlin").astimezone(UTC) == datetime(2026, 3, 30, 1, 0, tzinfo=UTC)
    assert nightly.next_after(moment - timedelta(days=1), "Europe/Berlin").astimezone(UTC) == datetime(
        2026, 3, 28, 2, 0, tzinfo=UTC
    )


PROFILE_HEAD = 'name: {name}\nplatform_type: forum\nstart_urls: ["http://127.0.0.1:9/"]\n'


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ('schedule: "*/30 * * *"\n', "schedule", "invalid cron expression '*/30 * * *': Wrong number of fields"),
        ('schedule: "61 * * * *"\n', "schedule", "the last value (61) is higher than the maximum value (59)"),
        ("schedule: every 6 weeks\n", "schedule", "unknown unit 'weeks' in '6 weeks' (use s, m, h or d)"),
        ("schedule: every 0s\n", "schedule", "interval '0s' must be at least one second"),
        ("schedule: {cron: '0 3 * * *', every: 6h}\n", "schedule", "give either a cron expression"),
        ("schedule: {cron: '0 3 * * *', timezone: Mars/Base}\n", "schedule", "unknown time zone 'Mars/Base'"),
        ('schedule: "0 3 * * *"\ntimezone: Mars/Base\n', "timezone", "unknown time zone 'Mars/Base'"),
    ],
)
def test_a_broken_schedule_names_the_file_and_field(tmp_path: Path, extra: str, field: str, message: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(PROFILE_HEAD.format(name="broken") + extra)
    (tmp_path / "fine.yaml").write_text(PROFILE_HEAD.format(name="fine") + "schedule: every 6h\n")
    catalog = load_profiles([tmp_path])
    assert sorted(catalog.profiles) == ["fine"]  # the others keep working
    [error] = catalog.errors
    assert (error.source, error.field, error.name) == (str(path), field, "broken")
    assert message in error.message
    assert str(error).startswith(f"{path}: field '{field}' ")


def test_an_interval_schedule_does_not_need_a_valid_cron_zone(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(PROFILE_HEAD.format(name="a") + "schedule: every 2s\n")
    profile = load_profiles([tmp_path]).profiles["a"]
    assert profile.schedule == Schedule(every=2.0)


# -- leases ------------------------------------------------------------------


def test_only_one_of_several_racing_acquirers_gets_the_lease(db: pymongo.database.Database) -> None:
    for trial in range(10):
        site, winners, barrier = f"site{trial}", [], threading.Barrier(4)

        def take(
            holder: str, site: str = site, winners: list[str] = winners, barrier: threading.Barrier = barrier
        ) -> None:
            barrier.wait()
            if leases.acquire(db, site, holder, ttl=30) is not None:
                winners.append(holder)

        threads = [threading.Thread(target=take, args=(f"h{i}",)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(winners) == 1, winners
        [winner] = winners
        loser = next(f"h{i}" for i in range(4) if f"h{i}" != winner)
        assert leases.renew(db, site, loser, 30) is False
        assert leases.release(db, site, loser) is False
        assert leases.get(db, site).holder == winner
        assert leases.renew(db, site, winner, 30) is True
        assert leases.release(db, site, winner) is True
        assert leases.get(db, site) is None


def test_an_expired_lease_is_taken_over_and_its_old_holder_loses_it(db: pymongo.database.Database) -> None:
    assert leases.acquire(db, "s", "old", ttl=0.3) is not None
    assert leases.acquire(db, "s", "new", ttl=30) is None
    time.sleep(0.5)
    taken = leases.acquire(db, "s", "new", ttl=30, run_id="s-run")
    assert (taken.holder, taken.run_id) == ("new", "s-run")
    assert leases.renew(db, "s", "old", 30) is False
    assert leases.release(db, "s", "old") is False
    assert leases.get(db, "s").holder == "new"


def test_the_lease_of_a_killed_process_on_this_host_is_free_at_once(db: pymongo.database.Database) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert leases.acquire(db, "s", "dead", ttl=600, pid=proc.pid) is not None
    assert leases.get(db, "s").live() is False
    assert leases.acquire(db, "s", "next", ttl=30).holder == "next"
    # A live holder of this host keeps it.
    assert leases.acquire(db, "s", "third", ttl=30) is None


# -- the scheduler process ------------------------------------------------------

SITE = "sched-forum"


def write_profile(folder: Path, demo: RunningDemo, schedule: str, delay: float = 0.0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{SITE}.yaml").write_text(
        f"name: {SITE}\nplatform_type: forum\nengine: phpbb\ntimezone: Europe/Berlin\n"
        f'start_urls: ["{demo.server.urls["forum"]}/"]\nschedule: "{schedule}"\n'
        f"politeness: {{download_delay: {delay}, autothrottle: false, concurrency_per_domain: 1}}\n"
    )


@pytest.fixture
def demo() -> Iterator[RunningDemo]:
    running = start_demo()
    yield running
    running.server.stop()


@pytest.fixture
def sched_env(crawl_env: dict[str, str], demo: RunningDemo, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        **crawl_env,
        **demo.env,
        **EXTRACTION_ONLY,
        "TRAWLER_PROFILE_DIRS": str(tmp_path / "profiles"),
        "TRAWLER_LEASE_TTL": "10",
        "TRAWLER_RUN_POLL_INTERVAL": "0.5",
        "COLUMNS": "200",
    }


def start_scheduler(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "crawler", "scheduler", "run", "--site", SITE, "--stop-timeout", "30"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_scheduler(proc: subprocess.Popen[bytes], log: Path) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("the scheduler did not stop on SIGTERM:\n" + log.read_text()[-3000:]) from None


def runs_of(db: pymongo.database.Database) -> list[dict]:
    return list(db.crawl_runs.find({"site": SITE}).sort("started_at", 1))


def wait_for(condition: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}" + (f":\n{log.read_text()[-4000:]}" if log else ""))
        time.sleep(0.2)


def assert_never_overlapping(runs: list[dict]) -> None:
    for earlier, later in itertools.pairwise(runs):
        assert earlier["finished_at"] <= later["started_at"], (earlier["_id"], later["_id"])


def test_scheduler_starts_runs_on_the_interval_one_at_a_time(
    sched_env: dict[str, str], demo: RunningDemo, db: pymongo.database.Database, tmp_path: Path
) -> None:
    write_profile(tmp_path / "profiles", demo, "every 3s")
    log = tmp_path / "scheduler.log"
    proc = start_scheduler(sched_env, log)
    try:
        wait_for(lambda: len([r for r in runs_of(db) if r["status"] != "running"]) >= 2, 90, "two runs", log)
    finally:
        assert stop_scheduler(proc, log) == 0, log.read_text()[-3000:]
    runs = [r for r in runs_of(db) if r["status"] != "interrupted"]  # the one SIGTERM stopped, if any
    assert [r["trigger"] for r in runs] == ["schedule"] * len(runs)
    assert [r["status"] for r in runs] == ["finished"] * len(runs)
    assert [r["exit_code"] for r in runs] == [0] * len(runs)
    assert [r["counts"]["listings_extracted"] for r in runs] == [len(demo.truth()["demo-forum"])] * len(runs)
    assert_never_overlapping(runs)
    starts = [r["started_at"] for r in runs]
    # One run per interval at most: the scheduler claims a slot and the next one is three seconds later.
    assert [b - a >= timedelta(seconds=2.5) for a, b in itertools.pairwise(starts)] == [True] * (len(starts) - 1)
    assert db.leases.count_documents({}) == 0
    assert db.schedules.find_one({"_id": SITE})["spec"] == "every 3s"
    assert "scheduler" in log.read_text() and "stopped" in log.read_text()


def test_two_schedulers_on_one_database_never_overlap_or_double_a_run(
    sched_env: dict[str, str], demo: RunningDemo, db: pymongo.database.Database, tmp_path: Path
) -> None:
    write_profile(tmp_path / "profiles", demo, "every 2s")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [start_scheduler(sched_env, logs[0])]
    time.sleep(1.0)  # the second one starts out of step with the first
    procs.append(start_scheduler(sched_env, logs[1]))
    try:
        wait_for(lambda: len([r for r in runs_of(db) if r["status"] != "running"]) >= 3, 120, "three runs", logs[0])
    finally:
        codes = [stop_scheduler(p, log) for p, log in zip(procs, logs, strict=True)]
    assert codes == [0, 0]
    runs = [r for r in runs_of(db) if r["status"] != "interrupted"]
    assert [r["status"] for r in runs] == ["finished"] * len(runs)
    assert_never_overlapping(runs)
    starts = [r["started_at"] for r in runs]
    assert [b - a >= timedelta(seconds=1.5) for a, b in itertools.pairwise(starts)] == [True] * (len(starts) - 1)
    assert db.leases.count_documents({}) == 0


def test_a_restart_keeps_the_schedule_and_makes_up_missed_runs_with_one_run(
    sched_env: dict[str, str], demo: RunningDemo, db: pymongo.database.Database, tmp_path: Path
) -> None:
    write_profile(tmp_path / "profiles", demo, "every 1m")
    log = tmp_path / "scheduler.log"
    proc = start_scheduler(sched_env, log)
    try:
        wait_for(lambda: db.schedules.find_one({"_id": SITE}) is not None, 30, "the stored schedule", log)
        stored = db.schedules.find_one({"_id": SITE})["next_run_at"]
    finally:
        assert stop_scheduler(proc, log) == 0
    listed = run_cli(["scheduler", "list"], sched_env)
    assert listed.returncode == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if SITE in line]
    assert "every 1m" in row and str(stored)[:19] in row
    proc = start_scheduler(sched_env, log)
    try:
        wait_for(lambda: log.read_text().count("started with 1 scheduled sites") == 2, 30, "the restart", log)
        assert db.schedules.find_one({"_id": SITE})["next_run_at"] == stored  # not reset by the restart
        assert f"{SITE}: every 1m, next run {stored.isoformat()}" in log.read_text()
        assert runs_of(db) == []
    finally:
        assert stop_scheduler(proc, log) == 0

    # No scheduler ran for ten minutes: ten runs were missed. The next start makes them up with one.
    db.schedules.update_one({"_id": SITE}, {"$set": {"next_run_at": datetime.now(UTC) - timedelta(minutes=10)}})
    proc = start_scheduler(sched_env, log)
    try:
        wait_for(lambda: [r["status"] for r in runs_of(db)] == ["finished"], 60, "the make-up run", log)
        time.sleep(3)  # a burst would have started more by now
        runs = runs_of(db)
    finally:
        assert stop_scheduler(proc, log) == 0
    assert [(r["trigger"], r["status"]) for r in runs] == [("schedule", "finished")]
    stored = db.schedules.find_one({"_id": SITE})
    assert stored["last_run_id"] == runs[0]["_id"]
    assert stored["last_fired_at"] <= runs[0]["started_at"]
    assert stored["next_run_at"] - stored["last_fired_at"] == timedelta(minutes=1)  # the next one, a minute on


def test_sigterm_stops_the_scheduler_and_its_crawl_which_runs_again_at_the_next_start(
    sched_env: dict[str, str], demo: RunningDemo, db: pymongo.database.Database, tmp_path: Path
) -> None:
    write_profile(tmp_path / "profiles", demo, "every 1h", delay=0.3)
    db.schedules.insert_one(
        {"_id": SITE, "spec": "every 1h", "next_run_at": datetime.now(UTC) - timedelta(seconds=1)}
    )  # due now
    log = tmp_path / "scheduler.log"
    proc = start_scheduler(sched_env, log)
    try:
        wait_for(lambda: any(r.get("lease_holder") for r in runs_of(db)), 60, "the crawl to start", log)
        time.sleep(2)
    finally:
        assert stop_scheduler(proc, log) == 0, log.read_text()[-3000:]
    [run] = runs_of(db)
    assert (run["trigger"], run["status"], run["finish_reason"]) == ("schedule", "interrupted", "shutdown")
    assert 0 < run["counts"]["pages"] < 54  # stopped part-way, by the scheduler's SIGTERM
    assert db.leases.count_documents({}) == 0
    text = log.read_text()
    assert f"stopping the crawl of {SITE} (run {run['_id']}" in text

    write_profile(tmp_path / "profiles", demo, "every 1h")  # same schedule, no delay: the retry is quick
    proc = start_scheduler(sched_env, log)
    try:
        wait_for(lambda: len(runs_of(db)) == 2 and runs_of(db)[1]["status"] != "running", 90, "the retry", log)
    finally:
        assert stop_scheduler(proc, log) == 0
    retry = runs_of(db)[1]
    assert (retry["trigger"], retry["status"]) == ("retry", "finished")
