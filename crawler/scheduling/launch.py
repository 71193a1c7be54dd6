"""A crawl in its own process, launched with the site's lease already taken, and what its exit means.

The launcher takes the lease first (so a site that is busy is skipped before any process starts), then
starts ``python -m crawler crawl SITE --no-progress`` with the lease holder, the run id and the trigger
in its environment; the crawl adopts the lease and renews it itself. Its output goes to
``<TRAWLER_VAR_DIR>/logs/runs/<run id>.log``. When it exits, :func:`record_exit` completes what the crawl
could not: a crawl that died before opening its run gets a ``failed`` record with the end of its log,
one that died mid-way is ``interrupted``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymongo.database import Database

from crawler.scheduling import leases
from crawler.scheduling.logtail import clean
from crawler.scheduling.runcontrol import HOLDER_ENV
from crawler.storage import runs
from crawler.storage.schema import RUNS

TRIGGERS = ("schedule", "manual", "retry")


@dataclass
class Child:
    site: str
    run_id: str
    holder: str
    trigger: str
    proc: subprocess.Popen[bytes]
    log_path: Path
    started: float = field(default_factory=time.monotonic)
    stopped: bool = False  # its launcher asked it to stop (SIGTERM), e.g. on a scheduler shutdown


class SiteBusy(RuntimeError):
    def __init__(self, site: str, lease: leases.Lease | None) -> None:
        who = lease.describe() if lease else "another crawl"
        super().__init__(f"site {site!r} is already being crawled by {who}")
        self.lease = lease


def launch(
    db: Database,
    site: str,
    trigger: str,
    *,
    var_dir: str | Path,
    ttl: float,
    extra_args: list[str] | None = None,
    cwd: str | Path | None = None,
) -> Child:
    """Take ``site``'s lease and start its crawl process; :class:`SiteBusy` if the lease is held."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    holder = leases.new_holder()
    run_id = runs.new_run_id(site)
    if leases.acquire(db, site, holder, ttl, run_id=run_id) is None:
        raise SiteBusy(site, leases.get(db, site))
    log_path = Path(var_dir) / "logs" / "runs" / f"{run_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TRAWLER_RUN_TRIGGER": trigger, "TRAWLER_RUN_ID": run_id, HOLDER_ENV: holder}
    args = [sys.executable, "-m", "crawler", "crawl", site, "--no-progress", *(extra_args or [])]
    try:
        with log_path.open("ab") as log:
            # Its own session: a Ctrl-C in the scheduler's terminal reaches the scheduler only, which then
            # stops its crawls in order.
            proc = subprocess.Popen(
                args, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
    except OSError:
        leases.release(db, site, holder)
        raise
    # The lease now names the crawl's process: it stays taken if this launcher exits, and frees up at
    # once if the crawl dies.
    leases.acquire(db, site, holder, ttl, run_id=run_id, pid=proc.pid)
    return Child(site, run_id, holder, trigger, proc, log_path)


def log_lines(path: Path, count: int = 50) -> list[str]:
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    return [clean(line)[:500] for line in text.splitlines()[-count:]]


def record_exit(db: Database, child: Child, returncode: int) -> dict[str, Any]:
    """Complete the run record after the crawl process exited; release its lease. Returns the record."""
    now = datetime.now(UTC)
    run = db[RUNS].find_one({"_id": child.run_id})
    if run is None:
        lines = log_lines(child.log_path)
        run = {
            "_id": child.run_id,
            "site": child.site,
            # Stopped while it was still starting up: nothing went wrong, it runs again (a retry).
            "status": "interrupted" if child.stopped else "failed",
            "finish_reason": "shutdown" if child.stopped else "exited_before_start",
            "trigger": child.trigger,
            "started_at": now,
            "finished_at": now,
            "host": leases.HOST,
            "pid": child.proc.pid,
            "exit_code": returncode,
            "error": f"the crawl process exited with code {returncode} before it started; see {child.log_path}",
            "log_tail": lines,
        }
        db[RUNS].insert_one(run)
    else:
        update: dict[str, Any] = {"exit_code": returncode, "log_file": str(child.log_path)}
        if run.get("status") == "running":
            update |= {
                "status": "interrupted",
                "finish_reason": "process_exited",
                "finished_at": now,
                "error": f"the crawl process exited with code {returncode} before it finished its run record",
            }
            if not run.get("log_tail"):
                update["log_tail"] = log_lines(child.log_path)
        db[RUNS].update_one({"_id": child.run_id}, {"$set": update})
        run |= update
    leases.release(db, child.site, child.holder)
    return run
