"""A site's proxy (crawler/proxy.py): checked in the profile, used for every request, shown in the run record.

A real SOCKS5 server (Debian's microsocks, started here; `.ci/run` installs it) in front of the demo platforms:
a plain crawl and a browser-rendered crawl go through it, with and without a login; a proxy that does not
answer fetches nothing at all (no request goes around it).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pymongo
import pytest

from crawler.profiles import load_profiles
from crawler.proxy import browser_proxy, redacted
from tests.conftest import EXTRACTION_ONLY, MongoServer, RunningDemo, _free_port_base, run_cli, start_demo

CONNECTED = re.compile(r"connected to 127\.0\.0\.1:(\d+)")


@dataclass
class Socks:
    port: int
    log: Path

    def connections(self) -> Counter[int]:
        """Destination port -> connections the proxy made for its clients."""
        return Counter(int(port) for port in CONNECTED.findall(self.log.read_text()))


@contextmanager
def socks_proxy(log: Path, *auth: str) -> Iterator[Socks]:
    """A real SOCKS5 server on a free port while the block runs (``auth``: microsocks's ``-u USER -P PASS``)."""
    binary = shutil.which("microsocks")
    assert binary, "microsocks is not installed: apt-get install microsocks (.ci/run does)"
    port = _free_port_base()
    with log.open("wb") as out:
        proc = subprocess.Popen([binary, "-i", "127.0.0.1", "-p", str(port), *auth], stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 10
        while not _listening(port):
            assert time.monotonic() < deadline, "microsocks did not start"
            time.sleep(0.05)
        yield Socks(port, log)
    finally:
        proc.terminate()
        proc.wait(10)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def demo() -> Iterator[RunningDemo]:
    running = start_demo()
    yield running
    running.server.stop()


def profile(folder: Path, name: str, url: str, proxy: str, extra: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    engine = "phpbb\nplatform_type: forum" if "forum" in name else "classifieds\nplatform_type: marketplace"
    (folder / f"{name}.yaml").write_text(
        f"name: {name}\nengine: {engine}\ntimezone: Europe/Berlin\nstart_urls: ['{url}/']\nproxy: {proxy}\n{extra}"
    )


def crawl(mongo: MongoServer, demo: RunningDemo, tmp_path: Path, site: str, database: str) -> tuple[object, dict]:
    env = {**demo.env, **EXTRACTION_ONLY, "MONGO_URI": mongo.uri, "MONGO_DATABASE": database,
           "TRAWLER_VAR_DIR": str(tmp_path / "var"), "TRAWLER_PROFILE_DIRS": str(tmp_path / "profiles")}  # fmt: skip
    result = run_cli(["crawl", site, "--no-progress", "--set", "LOG_LEVEL=INFO"], env, timeout=600)
    run = pymongo.MongoClient(mongo.uri)[database].crawl_runs.find_one({"site": site}) or {}
    return result, run


def test_proxy_urls_are_checked_and_errors_name_the_file_and_field(tmp_path: Path) -> None:
    bad = {
        "ftp.yaml": ("ftp://10.0.0.1:21", "the scheme must be one of http://, https://, socks5://, socks5h://"),
        "noport.yaml": ("socks5h://10.0.0.1", "give the host and the port, e.g. socks5h://127.0.0.1:9050"),
        "path.yaml": ("http://10.0.0.1:3128/x", "a proxy URL has no path, query or fragment"),
    }
    for file, (proxy, _) in bad.items():
        profile(tmp_path, file[:-5], "http://a.test", proxy)
    (tmp_path / "browser.yaml").write_text(
        "name: browser\nplatform_type: marketplace\nstart_urls: ['http://a.test/']\nrender: browser\n"
        "proxy: socks5://user:pw@10.0.0.1:1080\n"
    )
    catalog = load_profiles([str(tmp_path)], {"forum", "marketplace"})
    errors = {Path(e.source).name: (e.field, str(e)) for e in catalog.errors}
    assert sorted(errors) == ["browser.yaml", "ftp.yaml", "noport.yaml", "path.yaml"]
    for file, (_, message) in bad.items():
        field, text = errors[file]
        assert field == "proxy" and message in text and file in text, text
    assert "Chromium cannot log in to a SOCKS proxy" in errors["browser.yaml"][1]
    assert "pw" not in errors["browser.yaml"][1]  # a password never reaches an error message


def test_proxy_urls_for_records_and_for_chromium() -> None:
    assert redacted("socks5h://scout:s3cret@127.0.0.1:9050") == "socks5h://***@127.0.0.1:9050"
    assert redacted("http://10.0.0.1:3128") == "http://10.0.0.1:3128"
    assert browser_proxy("socks5h://127.0.0.1:9050") == {"server": "socks5://127.0.0.1:9050", "bypass": "<-loopback>"}
    assert browser_proxy("http://ann%40x:p%3Ass@10.0.0.1:3128") == {
        "server": "http://10.0.0.1:3128", "bypass": "<-loopback>", "username": "ann@x", "password": "p:ss",
    }  # fmt: skip


def test_a_site_is_crawled_through_its_socks5_proxy_with_a_login(
    mongo: MongoServer, demo: RunningDemo, tmp_path: Path
) -> None:
    forum_url = demo.server.urls["forum"]
    with socks_proxy(tmp_path / "socks.log", "-u", "scout", "-P", "s3cret") as socks:
        profile(tmp_path / "profiles", "px-forum", forum_url, f"socks5h://scout:s3cret@127.0.0.1:{socks.port}")
        result, run = crawl(mongo, demo, tmp_path, "px-forum", "proxy_socks")
    assert result.returncode == 0, result.stderr[-3000:]
    truth = demo.truth()["demo-forum"]
    db = pymongo.MongoClient(mongo.uri).proxy_socks
    stored = sorted(doc["native_id"] for doc in db.listings.find({}, {"native_id": 1}))
    assert stored == sorted(item["native_id"] for item in truth)
    forum_port = int(forum_url.rsplit(":", 1)[1])
    # Every connection the proxy made went to the forum, and every page came through one of them.
    connections = socks.connections()
    assert set(connections) == {forum_port} and connections[forum_port] >= 1
    assert run["politeness"]["proxy"] == f"socks5h://***@127.0.0.1:{socks.port}"
    assert (run["politeness"]["proxy_kind"], run["politeness"]["obey_robots"]) == ("socks", True)
    assert "s3cret" not in str(run) and "s3cret" not in result.stdout + result.stderr
    db.client.drop_database("proxy_socks")


@pytest.mark.parametrize("scheme", ["http", "socks5h"])
def test_a_proxy_that_does_not_answer_fetches_nothing_around_it(
    mongo: MongoServer, demo: RunningDemo, tmp_path: Path, scheme: str
) -> None:
    closed = _free_port_base()  # nothing listens there
    profile(tmp_path / "profiles", "px-closed", demo.server.urls["market"], f"{scheme}://127.0.0.1:{closed}")
    result, run = crawl(mongo, demo, tmp_path, "px-closed", f"proxy_closed_{scheme}")
    assert result.returncode == 0, result.stderr[-3000:]
    counts = run["counts"]
    # robots.txt and the start page could not be fetched (each tried 1 + RETRY_TIMES = 3 times); nothing went direct.
    assert (counts["pages"], counts["listings_extracted"], counts["download_errors"]) == (0, 0, 6)
    assert run["politeness"]["proxy"] == f"{scheme}://127.0.0.1:{closed}"
    pymongo.MongoClient(mongo.uri).drop_database(f"proxy_closed_{scheme}")


def test_a_browser_rendered_site_goes_through_its_proxy_too(
    mongo: MongoServer, demo: RunningDemo, tmp_path: Path
) -> None:
    js_url = demo.server.urls["market-js"]
    extra = "render: browser\nbrowser: {wait_for: '#app[data-ready]'}\n"
    with socks_proxy(tmp_path / "socks.log") as socks:
        profile(tmp_path / "profiles", "px-market-js", js_url, f"socks5h://127.0.0.1:{socks.port}", extra)
        result, run = crawl(mongo, demo, tmp_path, "px-market-js", "proxy_browser")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (run["status"], run["counts"]["listings_new"]) == ("finished", 23)
    js_port = int(js_url.rsplit(":", 1)[1])
    # robots.txt (a plain request, through the SOCKS handler) and the pages and scripts Chromium loaded.
    connections = socks.connections()
    assert set(connections) == {js_port} and connections[js_port] >= 2
    assert run["politeness"]["proxy_kind"] == "socks"
    pymongo.MongoClient(mongo.uri).drop_database("proxy_browser")
