"""`trawler runs`: list, show, cancel, start; crawls that cannot get their site's lease; interrupted runs."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pymongo
import pytest

from crawler.scheduling import leases
from tests.conftest import EXTRACTION_ONLY, RunningDemo, run_cli, start_demo

SITE = "slow-forum"
FORUM_PAGES = 54  # pages of the demo forum's public boards at scale 1


@pytest.fixture
def demo() -> Iterator[RunningDemo]:
    running = start_demo()
    yield running
    running.server.stop()


@pytest.fixture
def env(crawl_env: dict[str, str], demo: RunningDemo, tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "profiles"
    folder.mkdir()
    for name, delay in ((SITE, 0.3), ("quick-forum", 0.0)):
        (folder / f"{name}.yaml").write_text(
            f"name: {name}\nplatform_type: forum\nengine: phpbb\ntimezone: Europe/Berlin\n"
            f'start_urls: ["{demo.server.urls["forum"]}/"]\n'
            f"politeness: {{download_delay: {delay}, autothrottle: false, concurrency_per_domain: 1}}\n"
        )
    return {**crawl_env, **demo.env, **EXTRACTION_ONLY, "TRAWLER_PROFILE_DIRS": str(folder),
            "TRAWLER_RUN_POLL_INTERVAL": "0.5"}  # fmt: skip


def wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_runs_cancel_stops_a_running_crawl_and_its_site_is_never_crawled_twice_at_once(
    env: dict[str, str], db: pymongo.database.Database
) -> None:
    started = run_cli(["runs", "start", SITE], env)
    assert started.returncode == 0, started.stderr
    run_id = re.search(r"started run (\S+) \(pid (\d+)", started.stdout).group(1)
    pid = int(re.search(r"\(pid (\d+)", started.stdout).group(1))
    try:
        wait_for(lambda: (db.crawl_runs.find_one({"_id": run_id}) or {}).get("lease_holder"), 60, "the crawl")
        run = db.crawl_runs.find_one({"_id": run_id})
        assert (run["status"], run["trigger"], run["pid"]) == ("running", "manual", pid)
        assert leases.get(db, SITE).holder == run["lease_holder"]

        again = run_cli(["runs", "start", SITE], env)
        assert again.returncode == 1
        assert f"site '{SITE}' is already being crawled by run {run_id} on {leases.HOST} (pid {pid})" in flat(
            again.stderr
        )
        by_hand = run_cli(["crawl", SITE, "--no-progress"], env)
        assert by_hand.returncode == 1
        others = list(db.crawl_runs.find({"site": SITE, "_id": {"$ne": run_id}}))
        assert len(others) == 1, by_hand.stdout[-2000:] + by_hand.stderr[-3000:]
        [refused] = others
        assert (refused["status"], refused["finish_reason"], refused["counts"]["pages"]) == ("failed", "site_busy", 0)
        assert refused["error"].startswith(
            f"site '{SITE}' is already being crawled by run {run_id} on {leases.HOST} (pid {pid})"
        )
        assert f"{SITE}: site_busy" in flat(by_hand.stderr)

        cancel = run_cli(["runs", "cancel", run_id, "--wait", "30"], env)
        assert cancel.returncode == 0, cancel.stderr
        assert f"cancel requested for run {run_id}" in flat(cancel.stdout)
        assert f"run {run_id} is cancelled" in flat(cancel.stdout)
    finally:
        if leases.pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    run = db.crawl_runs.find_one({"_id": run_id})
    assert (run["status"], run["finish_reason"], run["cancel_requested"]) == ("cancelled", "cancelled", True)
    assert 0 < run["counts"]["pages"] < FORUM_PAGES
    wait_for(lambda: db.leases.count_documents({}) == 0, 10, "the lease to be released")

    shown = run_cli(["runs", "show", run_id], env)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    c = run["counts"]
    assert "status: cancelled" in out and "finish reason: cancelled" in out and "trigger: manual" in out
    assert (
        f"counts: pages {c['pages']}, new {c['listings_new']}, updated 0, unchanged 0, removed 0, quarantined 0"
    ) in flat(out)
    assert f"log tail ({len(run['log_tail'])} lines):" in out
    assert "[scrapy.core.engine] INFO: Closing spider (cancelled)" in out
    assert "cancel requested, closing the crawl" in out

    twice = run_cli(["runs", "cancel", run_id], env)
    assert twice.returncode == 1
    assert f"run {run_id} is not running (cancelled): nothing to cancel" in flat(twice.stderr)
    unknown = run_cli(["runs", "cancel", "no-such-run"], env)
    assert (unknown.returncode, "no run 'no-such-run'" in unknown.stderr) == (1, True)


def test_runs_start_wait_crawls_in_its_own_process_and_prints_the_run(
    env: dict[str, str], db: pymongo.database.Database, demo: RunningDemo, tmp_path: Path
) -> None:
    result = run_cli(["runs", "start", "quick-forum", "--wait"], env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    [run] = list(db.crawl_runs.find({"site": "quick-forum"}))
    assert (run["status"], run["trigger"], run["exit_code"]) == ("finished", "manual", 0)
    assert run["counts"]["pages"] == FORUM_PAGES
    assert run["counts"]["listings_new"] == len(demo.truth()["demo-forum"])
    assert run["log_file"] == str(tmp_path / "var" / "logs" / "runs" / f"{run['_id']}.log")
    assert "Spider closed (finished)" in Path(run["log_file"]).read_text()
    assert f"run {run['_id']}" in result.stdout and "status: finished" in result.stdout
    assert db.leases.count_documents({}) == 0


def test_runs_list_marks_runs_whose_process_is_gone_as_interrupted(
    crawl_env: dict[str, str], db: pymongo.database.Database
) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    now = datetime.now(UTC)
    base = {"status": "running", "trigger": "schedule", "started_at": now, "host": leases.HOST, "pid": os.getpid()}
    leases.acquire(db, "c", "holder-live", ttl=60)
    db.crawl_runs.insert_many(
        [
            {**base, "_id": "a-1", "site": "a", "lease_holder": "holder-gone"},  # its lease is gone
            {**base, "_id": "b-1", "site": "b", "pid": dead.pid},  # no lease, and its process is dead
            {**base, "_id": "c-1", "site": "c", "lease_holder": "holder-live"},  # holds a live lease
            {**base, "_id": "d-1", "site": "d", "host": "elsewhere", "pid": 1},  # another host: cannot tell
            {**base, "_id": "e-1", "site": "e", "status": "finished"},
        ]
    )
    listed = run_cli(["runs", "list", "--json", "--limit", "20"], crawl_env)
    assert listed.returncode == 0, listed.stderr
    statuses = {doc["_id"]: doc["status"] for doc in map(json.loads, listed.stdout.splitlines())}
    assert statuses == {
        "a-1": "interrupted",
        "b-1": "interrupted",
        "c-1": "running",
        "d-1": "running",
        "e-1": "finished",
    }
    assert db.crawl_runs.find_one({"_id": "a-1"})["finish_reason"] == "process_gone"

    only = run_cli(["runs", "list", "--status", "interrupted", "--json"], crawl_env)
    assert sorted(json.loads(line)["_id"] for line in only.stdout.splitlines()) == ["a-1", "b-1"]
    table = run_cli(["runs", "--site", "c"], crawl_env)  # no subcommand: the list
    assert table.returncode == 0 and "c-1" in table.stdout and "a-1" not in table.stdout
    bad = run_cli(["runs", "list", "--status", "lost"], crawl_env)
    assert bad.returncode == 1 and "unknown status 'lost'" in bad.stderr


def test_runs_show_prints_counts_errors_by_kind_alerts_and_a_sanitised_log_tail(
    crawl_env: dict[str, str], db: pymongo.database.Database
) -> None:
    counts = {"pages": 40, "listings_new": 3, "listings_updated": 2, "listings_unchanged": 30, "listings_removed": 1,
              "listings_quarantined": 1, "download_errors": 2, "hook_errors": 1, "errors": 3}  # fmt: skip
    db.crawl_runs.insert_one(
        {
            "_id": "x-1",
            "site": "x",
            "status": "finished",
            "finish_reason": "finished",
            "trigger": "schedule",
            "counts": counts,
            "hook_errors": {"indicators/trawler_enrich_listing": 1},
            "alerts": [{"message": "listings dropped from 120 to 36"}],
            "log_tail": ["first line", "page said \x1b[31m[bold]hello[/bold]\x1b[0m"],
        }
    )
    shown = run_cli(["runs", "show", "x-1"], crawl_env)
    assert shown.returncode == 0, shown.stderr
    lines = [line.strip() for line in shown.stdout.splitlines()]
    assert "counts: pages 40, new 3, updated 2, unchanged 30, removed 1, quarantined 1" in lines
    assert "errors: 3 (download_errors 2, hook_errors 1)" in lines
    assert "hook errors in indicators/trawler_enrich_listing: 1" in lines
    assert "alerts: 1" in lines and "- listings dropped from 120 to 36" in lines
    assert "log tail (2 lines):" in lines
    assert lines[-2:] == ["first line", "page said [bold]hello[/bold]"]  # no escape codes, markup shown as text
    assert "\x1b" not in shown.stdout
    missing = run_cli(["runs", "show", "nope"], crawl_env)
    assert missing.returncode == 1 and "no run 'nope'" in missing.stderr
