"""Benchmark: a first crawl vs an incremental recrawl after 1% of the listings changed, on the demo platforms.

For each platform: a first crawl (incremental recrawls on, so page states are
recorded), then the server is restarted with ``change_fraction`` of the
listings edited (same seed, same build time, so everything else is byte for
byte the same) and the site is recrawled; then once more with nothing changed.
Prints pages (requests), time, the ratio of pages, and whether the listings that
got a new version are exactly the ones the generator changed.

    python bench/incremental_recrawl.py --scale 4 --depth 4
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pymongo

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.demo.base import BuildOptions  # noqa: E402
from crawler.demo.process import DemoServer  # noqa: E402
from crawler.demo.server import build_all  # noqa: E402
from crawler.storage import embedded  # noqa: E402

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
ENRICHERS_OFF = "contacts,indicators,language,location,neardup,imagehash"  # enrichers: the same on both crawls


def changed_ids(name: str, options: BuildOptions) -> set[str]:
    built: Any = build_all(options, (name,))[name]
    site = f"demo-{'reviews' if name == 'reviews' else name}"
    if name == "forum":
        return built.changed_ids(site)
    if name == "market":
        return {f"{site}:ad:{ad_id}" for ad_id in built.changed}
    return {f"{site}:{kind}:{native}" for kind, native in built.changed}


def crawl(name: str, options: BuildOptions, env: dict[str, str], port_base: int, tmp: Path, *extra: str) -> dict:
    stats_file = tmp / f"stats-{name}-{datetime.now(UTC):%H%M%S%f}.json"
    with DemoServer(options, port_base, only=name) as server:
        args = [sys.executable, "-m", "crawler", "crawl", f"demo-{name}", "--no-progress"]
        args += ["--set", f"TRAWLER_STATS_FILE={stats_file}", "--set", "LOG_LEVEL=WARNING", *extra]
        subprocess.run(args, cwd=REPO, env={**os.environ, **env, **server.env}, check=True, capture_output=True)
    return json.loads(stats_file.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platforms", default="forum,market,reviews")
    parser.add_argument("--scale", type=int, default=4)
    parser.add_argument("--depth", type=int, default=4, help="items per board/category list, times the default")
    parser.add_argument("--change", type=float, default=0.01, help="share of the listings changed")
    parser.add_argument("--port-base", type=int, default=18571)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="trawler-bench-incremental-"))
    state = embedded.ensure_running(tmp)
    client = pymongo.MongoClient(state.uri)
    rows = []
    try:
        for name in args.platforms.split(","):
            database = f"bench_incremental_{name}"
            client.drop_database(database)
            env = {
                "MONGO_URI": state.uri,
                "MONGO_DATABASE": database,
                "TRAWLER_VAR_DIR": str(tmp),
                "TRAWLER_INCREMENTAL": "1",
                "TRAWLER_BLOCK_PLUGINS": ENRICHERS_OFF,
            }
            first_options = BuildOptions(seed=7, scale=args.scale, depth=args.depth, now=NOW)
            changed_options = BuildOptions(
                seed=7, scale=args.scale, depth=args.depth, now=NOW, change_fraction=args.change
            )
            expected = changed_ids(name, changed_options)
            first = crawl(name, first_options, env, args.port_base, tmp)
            second = crawl(name, changed_options, env, args.port_base, tmp)
            versioned = {d["listing_id"] for d in client[database].listing_versions.find({}, {"listing_id": 1})}
            removed = client[database].listings.count_documents({"crawl.removed_at": {"$ne": None}})
            third = crawl(name, changed_options, env, args.port_base, tmp)
            rows.append((name, first, second, third, expected, versioned, removed))
            client.drop_database(database)
    finally:
        client.close()
        embedded.stop(tmp)

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"scale {args.scale}, depth {args.depth}, {args.change:.0%} of the listings changed\n")
    print(
        "| platform | listings | first crawl: pages, s | recrawl: pages (304s), s | pages ratio "
        "| full downloads ratio | changed listings | new versions | removed | unchanged recrawl: pages (304s) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for name, first, second, third, expected, versioned, removed in rows:
        pages = [int(s.get("downloader/request_count", 0)) for s in (first, second, third)]
        secs = [float(s.get("elapsed_time_seconds", 0.0)) for s in (first, second)]
        not_modified = int(second.get("trawler/incremental/pages_not_modified", 0))
        exact = "exactly those" if versioned == expected else f"{len(versioned)} ({len(versioned ^ expected)} off)"
        print(
            f"| demo-{name} | {first.get('trawler/listings_new', 0)} | {pages[0]}, {secs[0]:.1f} | "
            f"{pages[1]} ({not_modified}), {secs[1]:.1f} | {pages[1] / pages[0]:.3f} | "
            f"{(pages[1] - not_modified) / pages[0]:.3f} | {len(expected)} | {exact} | {removed} | "
            f"{pages[2]} ({third.get('trawler/incremental/pages_not_modified', 0)}) |"
        )


if __name__ == "__main__":
    main()
