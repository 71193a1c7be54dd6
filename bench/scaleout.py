"""Benchmark: pages/s of a crawl drained by 1 and 2 workers through Redis, against Scrapy's in-memory scheduler.

All three crawl the same demo platform, served from memory by the demo server in its own process, into a
fresh database of one embedded SecantusDB server, with the same settings (robots.txt obeyed, AutoThrottle
off, 32 concurrent requests, per domain too). Rounds alternate the three so machine noise falls on all; the
medians and the ratios are printed (targets: 1 worker / in-memory >= 0.85, 2 workers / 1 worker >= 1.8),
and CPU milliseconds per page (``bench/cputime.py``), which a busy shared machine disturbs far less.

Time of a crawl: from its first process's spider opening to its last process's spider closing (Scrapy's
``start_time`` / ``finish_time``, from each process's ``TRAWLER_STATS_FILE``), so process start-up is left out
of all three alike. Pages: Scrapy's ``response_received_count`` summed (each process reads robots.txt once).

By default listings are not stored (``TRAWLER_STORE=False``): on a 2-core machine the embedded database's
~1,000 writes/s, on the same cores, would bound all three and hide what the scheduler costs. ``--store``
measures the whole pipeline instead.

    python bench/scaleout.py --site forum --scale 20 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pymongo
import redis

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crawler.demo.base import BuildOptions  # noqa: E402
from crawler.demo.process import DemoServer  # noqa: E402
from crawler.storage import embedded  # noqa: E402

COMMON = {
    "ROBOTSTXT_OBEY": "True",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "LOG_LEVEL": "WARNING",
}
CPU_TIME = {"EXTENSIONS": json.dumps({"bench.cputime.CpuTime": 0})}
IN_MEMORY = {"SCHEDULER": "scrapy.core.scheduler.Scheduler", "DUPEFILTER_CLASS": "scrapy.dupefilters.RFPDupeFilter"}


def sets(values: dict[str, str]) -> list[str]:
    return [arg for name, value in values.items() for arg in ("--set", f"{name}={value}")]


def measure(stats_files: list[Path]) -> tuple[int, float, float]:
    """Pages, wall seconds, and CPU seconds of all the crawl's processes."""
    stats = [json.loads(path.read_text()) for path in stats_files]
    assert all(st.get("finish_reason") == "finished" for st in stats), [st.get("finish_reason") for st in stats]
    pages = sum(int(st.get("response_received_count", 0)) for st in stats)
    started = min(datetime.fromisoformat(st["start_time"]) for st in stats)
    finished = max(datetime.fromisoformat(st["finish_time"]) for st in stats)
    cpu = sum(float(st["bench/cpu_seconds"]) for st in stats)
    return pages, (finished - started).total_seconds(), cpu


def run_in_memory(site: str, env: dict[str, str], settings: dict[str, str], out: Path) -> list[Path]:
    stats = out / "in-memory.json"
    extra = {**settings, **IN_MEMORY, "TRAWLER_STATS_FILE": str(stats)}
    args = [sys.executable, "-m", "crawler", "crawl", site, "--no-progress", *sets(extra)]
    subprocess.run(args, cwd=REPO, env=env, check=True, capture_output=True)
    return [stats]


def run_workers(site: str, env: dict[str, str], settings: dict[str, str], out: Path, workers: int) -> list[Path]:
    subprocess.run([sys.executable, "-m", "crawler", "seed", site], cwd=REPO, env=env, check=True,
                   capture_output=True)  # fmt: skip
    files = [out / f"worker-{n}-of-{workers}.json" for n in range(workers)]
    procs = []
    for path in files:
        args = [sys.executable, "-m", "crawler", "worker", site, "--max-idle", "0.5", "--poll", "0.2"]
        args += sets({**settings, "TRAWLER_STATS_FILE": str(path)})
        procs.append(subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL))
    for proc in procs:
        if proc.wait() != 0:
            raise SystemExit(f"a worker failed (exit {proc.returncode})")
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", default="forum", choices=["forum", "market", "reviews"])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port-base", type=int, default=18481)
    parser.add_argument("--store", action="store_true", help="store listings (the whole pipeline)")
    args = parser.parse_args()
    settings = {**COMMON, **CPU_TIME, "TRAWLER_STORE": str(args.store)}
    site = f"demo-{args.site}"

    var_dir = Path(tempfile.mkdtemp(prefix="trawler-bench-"))
    state = embedded.ensure_running(var_dir)
    client = pymongo.MongoClient(state.uri, tz_aware=True)
    redis_port = embedded.free_port()
    redis_proc = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(redis_url).ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    base_env = {**os.environ, "MONGO_URI": state.uri, "TRAWLER_VAR_DIR": str(var_dir), "REDIS_URL": redis_url}
    rates: dict[str, list[float]] = {"in-memory": [], "1 worker": [], "2 workers": []}
    cpu_ms: dict[str, list[float]] = {kind: [] for kind in rates}
    options = BuildOptions(scale=args.scale, now=datetime.now(UTC).replace(microsecond=0))
    try:
        with DemoServer(options, args.port_base) as server:
            for round_no in range(1, args.rounds + 1):
                for kind in rates:
                    database = f"bench_scaleout_{round_no}_{kind[0]}_{int(time.time())}"
                    env = {**base_env, **server.env, "MONGO_DATABASE": database}
                    with tempfile.TemporaryDirectory() as out:
                        if kind == "in-memory":
                            files = run_in_memory(site, env, settings, Path(out))
                        else:
                            files = run_workers(site, env, settings, Path(out), int(kind[0]))
                        pages, seconds, cpu = measure(files)
                    rates[kind].append(pages / seconds)
                    cpu_ms[kind].append(1000 * cpu / pages)
                    print(f"round {round_no}: {kind:9s} {pages:6d} pages in {seconds:6.2f} s = "
                          f"{pages / seconds:6.1f} pages/s, {1000 * cpu / pages:5.2f} ms CPU per page")  # fmt: skip
                    client.drop_database(database)
    finally:
        redis_proc.terminate()
        embedded.stop(var_dir)
    medians = {kind: statistics.median(values) for kind, values in rates.items()}
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"site {site}, scale {args.scale}, store {args.store}, {args.rounds} rounds, medians (pages/s):")
    print(", ".join(f"{kind} {rate:.1f}" for kind, rate in medians.items()))
    cpu = {kind: statistics.median(values) for kind, values in cpu_ms.items()}
    print("CPU per page (ms): " + ", ".join(f"{kind} {value:.2f}" for kind, value in cpu.items()))
    print(f"CPU per page, in-memory / 1 worker: {cpu['in-memory'] / cpu['1 worker']:.2f}")
    print(f"1 worker / in-memory: {medians['1 worker'] / medians['in-memory']:.2f}")
    print(f"2 workers / 1 worker: {medians['2 workers'] / medians['1 worker']:.2f}")


if __name__ == "__main__":
    main()
