"""Retries of 429/503 answers that wait as the site asks (crawler/backoff.py), and hold the whole host meanwhile.

A real Scrapy crawl (a subprocess running a small spider with Trawler's middleware in place of Scrapy's
RetryMiddleware) against a local server that records when each request arrived; then the demo marketplace,
rate-limiting some ads, crawled by Trawler end to end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pymongo
import pytest

from crawler.backoff import retry_after_seconds
from crawler.demo import market
from crawler.demo.base import BuildOptions
from tests.conftest import EXTRACTION_ONLY, REPO, MongoServer, run_cli, start_demo

# path -> answers before the page: (status, Retry-After or None)
SCRIPT = {
    "/limited": [(429, "1")],
    "/busy": [(503, None), (503, None)],
    "/gone-for-an-hour": [(429, "3600")],
}
PAGES = ["/limited", "/busy", "/gone-for-an-hour", "/a", "/b", "/c"]


class Recorder(BaseHTTPRequestHandler):
    log: list[tuple[float, str, int]] = []
    answered: Counter[str] = Counter()

    def do_GET(self) -> None:
        script = SCRIPT.get(self.path, [])
        n = self.answered[self.path]
        self.answered[self.path] += 1
        status, retry_after = script[n] if n < len(script) else (200, None)
        self.log.append((time.monotonic(), self.path, status))
        body = b"<html><body>" + b"".join(f'<a href="{p}">{p}</a>'.encode() for p in PAGES) + b"</body></html>"
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        if retry_after:
            self.send_header("Retry-After", retry_after)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


SPIDER = """
import json, os, scrapy

class Links(scrapy.Spider):
    name = "links"

    async def start(self):
        yield scrapy.Request(os.environ["START"])

    def parse(self, response):
        if response.url == os.environ["START"]:
            for href in response.css("a::attr(href)").getall():
                yield response.follow(href)

    def closed(self, reason):
        with open(os.environ["STATS"], "w") as out:
            json.dump({k: v for k, v in self.crawler.stats.get_stats().items() if isinstance(v, (int, float))}, out)
"""


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[tuple[list[tuple[float, str, int]], dict[str, float]]]:
    Recorder.log, Recorder.answered = [], Counter()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    (tmp_path / "links.py").write_text(SPIDER)
    settings = {
        "DOWNLOADER_MIDDLEWARES": json.dumps(
            {"scrapy.downloadermiddlewares.retry.RetryMiddleware": None, "crawler.backoff.BackoffRetryMiddleware": 550}
        ),
        "CONCURRENT_REQUESTS": "1",  # one request in the downloader at a time: none waits in a download slot
        "TRAWLER_BACKOFF_BASE": "0.4",
        "RETRY_TIMES": "2",
        "ROBOTSTXT_OBEY": "False",
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "LOG_LEVEL": "INFO",
    }
    args = [sys.executable, "-m", "scrapy", "runspider", str(tmp_path / "links.py")]
    for name, value in settings.items():
        args += ["-s", f"{name}={value}"]
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "START": f"http://127.0.0.1:{server.server_address[1]}/",
        "STATS": str(tmp_path / "stats.json"),
    }
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    try:
        result = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-3000:]
        yield Recorder.log, json.loads((tmp_path / "stats.json").read_text())
    finally:
        server.shutdown()
        server.server_close()


def test_retry_after_is_waited_for_and_the_host_gets_nothing_meanwhile(
    recorded: tuple[list[tuple[float, str, int]], dict[str, float]],
) -> None:
    log, stats = recorded
    by_path: dict[str, list[tuple[float, int]]] = {}
    for at, path, status in log:
        by_path.setdefault(path, []).append((at, status))
    # Each page once, but for the answers that asked to wait: retried after the wait, then fetched.
    assert {p: [s for _, s in hits] for p, hits in by_path.items()} == {
        "/": [200],
        "/limited": [429, 200],
        "/busy": [503, 503, 200],
        "/gone-for-an-hour": [429],  # asked for more than TRAWLER_RETRY_AFTER_MAX: kept, not retried
        "/a": [200],
        "/b": [200],
        "/c": [200],
    }
    # After each answer that asked for a wait, the host got no request at all until the wait was over.
    waits = {"/limited": [1.0], "/busy": [0.4, 0.8]}  # Retry-After: 1; no header: 0.4 s, then doubled
    for path, expected in waits.items():
        refusals = [at for at, status in by_path[path] if status != 200]
        for refused_at, wait in zip(refusals, expected, strict=True):
            after = [at for at, _, _ in log if at > refused_at]
            assert min(after) - refused_at >= wait - 0.05, (path, wait)
    assert stats["trawler/backoff/waits"] == 3
    assert stats["trawler/backoff/seconds"] == pytest.approx(2.2)
    assert stats["trawler/backoff/gave_up"] == 1
    assert stats["retry/count"] == 3


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120", now) == 120.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert retry_after_seconds("Sat, 28 Nov 2026 11:00:00 GMT", now) == 0.0  # in the past: go now
    assert (retry_after_seconds(None, now), retry_after_seconds(b"soon", now), retry_after_seconds("-5", now)) == (
        None, None, None,
    )  # fmt: skip


def test_a_rate_limited_demo_site_is_crawled_completely(mongo: MongoServer, tmp_path: Path) -> None:
    """Trawler's own crawl of the demo marketplace while three ads answer 429 first (one asks for 1 s, two give no
    Retry-After) and one asks for an hour: every other ad is stored, and the run record says what was waited."""
    now = datetime.now(UTC).replace(microsecond=0)
    ads = sorted(ad.id for ad in market.build(BuildOptions(now=now)).ads)
    faults = {"throttle": {f"^/ad/{ads[0]}$": {"retry_after": "1"}, f"^/ad/({ads[1]}|{ads[2]})$": {"times": 1},
                           f"^/ad/{ads[3]}$": {"retry_after": "3600"}}}  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRAWLER_DEMO_FAULTS", json.dumps(faults))
        demo = start_demo(now=now)
    name = "backoff_demo"
    env = {
        **os.environ,
        **demo.env,
        **EXTRACTION_ONLY,
        "MONGO_URI": mongo.uri,
        "MONGO_DATABASE": name,
        "TRAWLER_VAR_DIR": str(tmp_path / "var"),
    }
    try:
        args = [sys.executable, "-m", "crawler", "crawl", "demo-market", "--no-progress"]
        result = subprocess.run(
            [*args, "--set", "TRAWLER_BACKOFF_BASE=0.5"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr[-3000:]
        db = pymongo.MongoClient(mongo.uri)[name]
        [run] = db.crawl_runs.find({"site": "demo-market"})
        counts = run["counts"]
        assert (counts["backoff_waits"], counts["backoff_seconds"], counts["backoff_gave_up"]) == (3, 2, 1)
        assert (run["status"], counts["listings_new"], counts["errors"]) == ("finished", len(ads) - 1, 0)
        stored = {doc["native_id"] for doc in db.listings.find({"site": "demo-market"}, {"native_id": 1})}
        assert stored == set(ads) - {ads[3]}
        assert (run["blocked_pages"], run["blocked_by"]) == (4, {"429": 4})  # every 429 answer counted
        assert run["counts"]["listings_removed"] == 0  # a refused page is no sign of removal
        shown = run_cli(["runs", "show", run["_id"]], env)
        out = " ".join(shown.stdout.split())
        assert "rate limits: waited 3 times (2 s), gave up on 1 pages that asked for longer" in out
        assert "politeness: robots.txt obeyed, AutoThrottle on, delay 0.0 s, 8 per domain, proxy none" in out
    finally:
        demo.server.stop()
        pymongo.MongoClient(mongo.uri).drop_database(name)
