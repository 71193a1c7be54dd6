"""Benchmark: rendered pages/s with Trawler's browser defaults vs scrapy-playwright's own defaults.

Both crawl the demo's JavaScript marketplace (every page drawn by scripts) with
the system Chromium, the same spider, the same Scrapy concurrency and storage
off, so only the rendering set-up differs:

- scrapy-playwright defaults: its own download handler (a new page per
  request), navigation waits for the ``load`` event, nothing is blocked, as
  many open pages as Scrapy has concurrent requests;
- Trawler defaults: pages reused from a pool of 2 (2 cores), navigation returns
  at DOMContentLoaded, images, fonts and media are aborted.

Both wait for the same selector, without which neither sees any ad.

    python bench/render_defaults.py --scale 4 --rounds 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.demo.base import BuildOptions  # noqa: E402
from crawler.demo.process import DemoServer  # noqa: E402

PROFILE = """name: {name}
platform_type: marketplace
engine: classifieds
timezone: Europe/Berlin
start_urls: ["{url}/"]
render: browser
browser: {browser}
"""
TRAWLER = {"wait_for": "#app[data-ready]"}
PLAYWRIGHT_DEFAULTS = {"wait_for": "#app[data-ready]", "wait_until": "load", "block_resources": [], "max_pages": 16}


PLAIN_HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def crawl(name: str, profiles: Path, env: dict[str, str], extra: list[str]) -> tuple[int, float]:
    stats_file = profiles / f"{name}-stats.json"
    args = [sys.executable, "-m", "crawler", "crawl", name, "--no-progress", "--set", "TRAWLER_STORE=False",
            "--set", f"TRAWLER_STATS_FILE={stats_file}", *extra]  # fmt: skip
    subprocess.run(args, cwd=REPO, env={**os.environ, **env, "TRAWLER_PROFILE_DIRS": str(profiles)},
                   capture_output=True, text=True, check=True)  # fmt: skip
    stats = json.loads(stats_file.read_text())
    rendered = int(stats["response_received_count"]) - int(stats.get("robotstxt/response_count", 0))
    return rendered, float(stats["elapsed_time_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port-base", type=int, default=18571)
    args = parser.parse_args()
    profiles = Path(tempfile.mkdtemp(prefix="trawler-render-bench-"))
    options = BuildOptions(scale=args.scale, now=datetime.now(UTC).replace(microsecond=0))
    ours: list[float] = []
    defaults: list[float] = []
    with DemoServer(options, args.port_base, only="market-js") as server:
        url = server.urls["market-js"]
        (profiles / "ours.yaml").write_text(PROFILE.format(name="bench-ours", url=url, browser=json.dumps(TRAWLER)))
        (profiles / "defaults.yaml").write_text(
            PROFILE.format(name="bench-defaults", url=url, browser=json.dumps(PLAYWRIGHT_DEFAULTS))
        )
        for round_no in range(1, args.rounds + 1):
            plain = json.dumps({"http": PLAIN_HANDLER, "https": PLAIN_HANDLER})
            runs = (("bench-defaults", defaults, ["--set", f"DOWNLOAD_HANDLERS={plain}"]), ("bench-ours", ours, []))
            for name, rates, extra in runs:
                started = time.monotonic()
                pages, seconds = crawl(name, profiles, server.env, extra)
                rates.append(pages / seconds)
                print(f"round {round_no}: {name:15s} {pages:4d} rendered pages in {seconds:6.1f} s = "
                      f"{pages / seconds:5.2f} pages/s (wall {time.monotonic() - started:.0f} s)")  # fmt: skip
    a, b = statistics.median(defaults), statistics.median(ours)
    print(f"\nmedians: scrapy-playwright defaults {a:.2f} pages/s, Trawler defaults {b:.2f} pages/s, ratio {b / a:.2f}")


if __name__ == "__main__":
    main()
