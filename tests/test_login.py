"""Members-only boards: form login with credentials from the environment, session kept and renewed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.demo.base import BuildOptions
from crawler.demo.process import DemoServer
from crawler.demo.server import ground_truth
from crawler.testkit import diff_listings
from tests.conftest import EXTRACTION_ONLY, MongoServer, _free_port_base, run_cli

SITE = "demo-forum-members"


@pytest.fixture(scope="module")
def forum(mongo: MongoServer):
    from datetime import UTC, datetime

    options = BuildOptions(now=datetime.now(UTC).replace(microsecond=0))
    # Sessions expire after 3 members-only pages: the crawl must log in again to see the 6 of them.
    server = DemoServer(options, _free_port_base(), only="forum", session_pages=3).start()
    yield server, options
    server.stop()


def _env(mongo: MongoServer, server: DemoServer, tmp_path: Path, database: str, **extra: str) -> dict[str, str]:
    return {**server.env, "MONGO_URI": mongo.uri, "MONGO_DATABASE": database,
            "TRAWLER_VAR_DIR": str(tmp_path / "var"), **EXTRACTION_ONLY, **extra}  # fmt: skip


def test_logged_in_crawl_stores_the_members_board_and_survives_session_expiry(forum, mongo, tmp_path) -> None:
    server, options = forum
    stats_file = tmp_path / "stats.json"
    env = _env(mongo, server, tmp_path, "login_ok")
    result = run_cli(["crawl", SITE, "--no-progress", "--set", f"TRAWLER_STATS_FILE={stats_file}"], env)
    assert result.returncode == 0, result.stderr[-3000:]
    from crawler.demo.forum import build

    platform = build(options)
    base = server.urls["forum"]
    truth = platform.truth(base, SITE) + platform.members_truth(base, SITE)
    assert len(platform.members_truth(base, SITE)) == 16
    db = mongo.client().login_ok
    stored = [{k: v for k, v in d.items() if k != "crawl"} for d in db.listings.find()]
    assert len(stored) == 365 + 16
    assert diff_listings(truth, stored) == []
    stats = json.loads(stats_file.read_text())
    assert stats["trawler/logins"] == stats["trawler/relogins"] + 1
    assert stats["trawler/relogins"] >= 1  # 6 members-only pages, 3 per session: at least one renewal
    run = db.crawl_runs.find_one()
    assert (run["status"], run["error"]) == ("finished", None)
    mongo.client().drop_database("login_ok")


def test_the_public_crawl_does_not_see_the_members_board(forum, mongo, tmp_path) -> None:
    server, options = forum
    result = run_cli(["crawl", "demo-forum", "--no-progress"], _env(mongo, server, tmp_path, "login_public"))
    assert result.returncode == 0, result.stderr[-3000:]
    db = mongo.client().login_public
    truth = ground_truth(options, {"forum": server.urls["forum"]})["demo-forum"]
    assert db.listings.count_documents({}) == len(truth) == 365
    mongo.client().drop_database("login_public")


def test_a_wrong_password_is_a_failed_run_with_the_reason(forum, mongo, tmp_path) -> None:
    server, _ = forum
    env = _env(mongo, server, tmp_path, "login_bad", TRAWLER_DEMO_FORUM_PASSWORD="not-the-password")
    result = run_cli(["crawl", SITE, "--no-progress"], env)
    assert result.returncode == 1
    db = mongo.client().login_bad
    run = db.crawl_runs.find_one()
    assert (run["status"], run["finish_reason"]) == ("failed", "login_failed")
    assert "did not accept the login of $TRAWLER_DEMO_FORUM_USER" in run["error"]
    assert db.listings.count_documents({}) == 0
    assert "demo-forum-members: login_failed" in " ".join(result.stderr.split())
    mongo.client().drop_database("login_bad")


def test_missing_credentials_name_the_variable(forum, mongo, tmp_path) -> None:
    server, _ = forum
    env = _env(mongo, server, tmp_path, "login_none", TRAWLER_DEMO_FORUM_USER="")
    result = run_cli(["crawl", SITE, "--no-progress"], env)
    assert result.returncode == 1
    run = mongo.client().login_none.crawl_runs.find_one()
    assert (
        run["error"]
        == "login to demo-forum-members failed: the environment variable TRAWLER_DEMO_FORUM_USER is not set"
    )
    mongo.client().drop_database("login_none")
