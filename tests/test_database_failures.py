"""The database unreachable at start, and lost in the middle of a crawl: clear errors, nothing lost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from crawler.testkit import diff_listings
from tests.conftest import EXTRACTION_ONLY, REPO, run_cli, start_demo, start_mongo, stop_mongo


def test_unreachable_database_at_start_is_a_clear_error(tmp_path: Path) -> None:
    from crawler.storage.embedded import free_port

    env = {"MONGO_URI": f"mongodb://127.0.0.1:{free_port()}", "TRAWLER_VAR_DIR": str(tmp_path)}
    started = time.monotonic()
    result = run_cli(["crawl", "demo-market", "--no-progress"], env)
    assert result.returncode == 1
    assert f"cannot reach MongoDB at {env['MONGO_URI']}" in " ".join(result.stderr.split())
    assert "unset MONGO_URI to use the embedded database" in " ".join(result.stderr.split())
    assert time.monotonic() - started < 30


def test_credentials_in_the_uri_never_reach_the_output(tmp_path: Path) -> None:
    from crawler.storage.embedded import free_port

    port = free_port()
    env = {"MONGO_URI": f"mongodb://analyst:s3cret-pw@127.0.0.1:{port}", "TRAWLER_VAR_DIR": str(tmp_path)}
    result = run_cli(["crawl", "demo-market", "--no-progress"], env)
    assert result.returncode == 1
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert f"mongodb://analyst:***@127.0.0.1:{port}" in result.stderr


def test_outage_mid_crawl_spools_batches_and_replay_loses_nothing(tmp_path: Path) -> None:
    server = start_mongo(tmp_path / "db")
    demo = start_demo()
    env = {
        **os.environ,
        **demo.env,
        "MONGO_URI": server.uri,
        "MONGO_DATABASE": "outage",
        "TRAWLER_VAR_DIR": str(tmp_path / "var"),
        "TRAWLER_LOG_LEVEL": "INFO",
        **EXTRACTION_ONLY,
    }
    sets = ["TRAWLER_BATCH_SIZE=10", "TRAWLER_FLUSH_INTERVAL=0.3", "TRAWLER_DB_TIMEOUT_MS=1500",
            "DOWNLOAD_DELAY=0.02", "AUTOTHROTTLE_ENABLED=False"]  # fmt: skip
    args = [sys.executable, "-m", "crawler", "crawl", "demo-market", "--no-progress"]
    for s in sets:
        args += ["--set", s]
    crawl = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        client = server.client()
        deadline = time.monotonic() + 60
        while client.outage.listings.count_documents({}) < 10 and time.monotonic() < deadline:
            time.sleep(0.1)
        stored_before_outage = client.outage.listings.count_documents({})
        assert stored_before_outage >= 10
        client.close()
        stop_mongo(server)  # the database goes away mid-crawl
        out, err = crawl.communicate(timeout=240)
    finally:
        if crawl.poll() is None:
            crawl.kill()
        demo.server.stop()
    truth = demo.truth()["demo-market"]
    assert stored_before_outage < len(truth)
    assert crawl.returncode == 1, err[-3000:]
    assert "crawl summary" in out
    assert "demo-market: finished," in err and "items spooled" in err
    assert "the next crawl writes them (or run `trawler db replay`)" in " ".join(err.split())
    spool_files = list((tmp_path / "var" / "spool" / "outage").glob("*.jsonl"))
    assert spool_files

    server = start_mongo(tmp_path / "db", port=server.port)  # back, with its data
    try:
        replay = run_cli(["db", "replay"], {k: env[k] for k in ("MONGO_URI", "MONGO_DATABASE", "TRAWLER_VAR_DIR")})
        assert replay.returncode == 0, replay.stderr
        client = server.client()
        stored = [{k: v for k, v in d.items() if k != "crawl"} for d in client.outage.listings.find()]
        assert diff_listings(truth, stored) == []
        assert client.outage.listing_versions.count_documents({}) == 0
        assert not list((tmp_path / "var" / "spool" / "outage").glob("*.jsonl"))
        client.close()
    finally:
        stop_mongo(server)
