"""A third-party plugin package, pip-installed, is discovered, listed, blocked and isolated like a built-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

SAMPLE = REPO / "tests" / "data" / "sample_plugin"

GUESTBOOK_PAGES = {
    "index.html": """<html><body><a class="page" href="p1.html">1</a> <a class="page" href="p2.html">2</a>
<div class="entry" data-id="1"><h2>Hello</h2><p>First entry</p></div>
<div class="entry" data-id="2"><h2>BOOM goes the enricher</h2><p>Still stored</p></div></body></html>""",
    "p1.html": """<html><body>
<div class="entry" data-id="3"><h2>Third</h2><p>Third entry</p></div>
<div class="entry" data-id="4"></div></body></html>""",
    "p2.html": """<html><body class="malformed"><div class="entry" data-id="5"><h2>Lost?</h2></div></body></html>""",
}


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site-packages")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", str(target),
         str(SAMPLE)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return target


@pytest.fixture(scope="module")
def guestbook_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    from crawler.storage.embedded import free_port

    root = tmp_path_factory.mktemp("guestbook")
    for name, html in GUESTBOOK_PAGES.items():
        (root / name).write_text(html)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(root)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import time
    import urllib.request

    for _ in range(50):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait()


def _env(plugin_path: Path, **extra: str) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(plugin_path), str(REPO)]), **extra}


def test_plugins_command_lists_the_external_plugin_with_its_version_types_and_hooks(plugin_path: Path) -> None:
    result = run_cli(["plugins", "--json"], _env(plugin_path))
    assert result.returncode == 0, result.stderr
    infos = {info["name"]: info for info in json.loads(result.stdout)}
    guestbook = infos["guestbook"]
    assert guestbook["distribution"] == "trawler-sample-plugin"
    assert guestbook["version"] == "1.2.3"
    assert guestbook["builtin"] is False
    assert guestbook["platform_types"] == ["guestbook"]
    assert guestbook["hooks"] == [
        "trawler_crawl_finished", "trawler_enrich_listing", "trawler_extract_listings", "trawler_listing_stored",
        "trawler_register_platform_types", "trawler_register_settings", "trawler_register_site_profiles",
    ]  # fmt: skip
    assert {"forum", "marketplace", "review", "demo_sites"} <= {n for n, i in infos.items() if i["builtin"]}


def test_external_plugin_can_be_blocked_or_left_out_by_autoload_switch(plugin_path: Path) -> None:
    blocked = json.loads(run_cli(["plugins", "--json"], _env(plugin_path, TRAWLER_BLOCK_PLUGINS="guestbook")).stdout)
    assert "guestbook" not in {i["name"] for i in blocked}
    no_autoload = json.loads(run_cli(["plugins", "--json"], _env(plugin_path, TRAWLER_NO_PLUGIN_AUTOLOAD="1")).stdout)
    names = {i["name"] for i in no_autoload}
    assert "guestbook" not in names
    assert {"forum", "marketplace", "review"} <= names


def test_scrapy_list_shows_profiles_of_builtin_and_external_plugins(plugin_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"], cwd=REPO, env={**os.environ, **_env(plugin_path)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    names = proc.stdout.split()
    assert {"demo-forum", "demo-market", "demo-reviews", "sample-guestbook"} <= set(names)


def test_failing_hooks_are_isolated_counted_and_invalid_items_quarantined(
    plugin_path: Path, guestbook_url: str, crawl_env: dict[str, str], db, tmp_path: Path
) -> None:
    events = tmp_path / "events.jsonl"
    env = _env(plugin_path, SAMPLE_GUESTBOOK_URL=guestbook_url, SAMPLE_EVENTS_FILE=str(events), **crawl_env)
    result = run_cli(["crawl", "sample-guestbook", "--no-progress"], env)
    assert result.returncode == 0, result.stderr[-3000:]
    stored = {doc["_id"]: doc for doc in db.listings.find()}
    assert sorted(stored) == ["sample-guestbook:post:1", "sample-guestbook:post:2", "sample-guestbook:post:3"]
    # The enricher raised after tagging the listing: the listing is stored anyway.
    greeting = "hello from the guestbook plugin"  # from the plugin's trawler_register_settings
    assert stored["sample-guestbook:post:2"]["extra"] == {"greeting": greeting, "enriched_by": "guestbook"}
    quarantined = list(db.quarantine.find())
    assert len(quarantined) == 1
    assert quarantined[0]["raw"]["native_id"] == "4"
    assert "a listing needs a title or a body" in quarantined[0]["reason"]
    run = db.crawl_runs.find_one()
    assert run["status"] == "finished"
    assert run["hook_errors"] == {
        "guestbook/trawler_extract_listings": 1,
        "guestbook/trawler_enrich_listing": 1,
    }
    assert run["counts"]["listings_new"] == 3
    assert run["counts"]["listings_quarantined"] == 1
    assert run["counts"]["pages"] == 4  # robots.txt (404) + three pages
    assert "plugin 'guestbook' failed in trawler_extract_listings" in result.stderr
    # trawler_listing_stored ran once per stored listing, trawler_crawl_finished once at the end.
    lines = [json.loads(line) for line in events.read_text().splitlines()]
    assert sorted((e["id"], e["change"]) for e in lines if e["event"] == "stored") == [
        ("sample-guestbook:post:1", "new"), ("sample-guestbook:post:2", "new"), ("sample-guestbook:post:3", "new"),
    ]  # fmt: skip
    assert lines[-1] == {"event": "finished", "site": "sample-guestbook", "status": "finished"}
