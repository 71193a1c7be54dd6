"""A site's job directory: the state that lets a killed crawl resume, and the facts about the crawl it continues.

``<TRAWLER_JOBS_DIR>/<site>/`` (``var/jobs/<site>/`` by default, or Scrapy's
``JOBDIR`` when set) holds:

- ``requests.sqlite``: the request queue (:mod:`crawler.jobs.queue`);
- ``seen.sqlite``: the seen set (:mod:`crawler.dupefilter`);
- ``job.json``: when the crawl first started and the ids of the runs that worked on it. After a resume,
  listings not seen since *that* start are the ones a clean finish marks removed;
- ``lock``: held while a process works on the job, so two crawls of one site never share it.

The directory exists from a crawl's start until it finishes cleanly; one found at start means the last
crawl of that site was interrupted, and this one resumes it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger("trawler.jobs")

JOB_FILE = "job.json"
LOCK_FILE = "lock"
STATE_FILES = ("requests.sqlite", "seen.sqlite")  # and their -wal, -shm companions
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class JobLocked(RuntimeError):
    """Another process is working on this job directory."""


def jobs_root(settings: Any) -> Path:
    configured = settings.get("TRAWLER_JOBS_DIR") or ""
    return Path(configured) if configured else Path(str(settings.get("TRAWLER_VAR_DIR") or "var")) / "jobs"


def job_directory(settings: Any, site: str) -> Path | None:
    """Where ``site`` keeps its crawl state, or None when job state is off (``TRAWLER_JOB_STATE``)."""
    if not settings.getbool("TRAWLER_JOB_STATE", True):
        return None
    if settings.get("JOBDIR"):
        return Path(settings.get("JOBDIR"))
    if not _SAFE_NAME.match(site) or ".." in site:
        raise ValueError(f"site name {site!r} cannot name a job directory")
    return jobs_root(settings) / site


@dataclass
class JobRecord:
    """``job.json``."""

    site: str
    started_at: datetime
    runs: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> JobRecord | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(data["site"]), datetime.fromisoformat(data["started_at"]), list(data.get("runs", [])))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring an unreadable %s: %s", path, exc)
            return None

    def write(self, path: Path) -> None:
        data = {"site": self.site, "started_at": self.started_at.isoformat(), "runs": self.runs}
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            json.dump(data, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(path)  # never a half-written job.json


@dataclass(frozen=True)
class Resumed:
    """The interrupted crawl a run continues."""

    run_id: str | None  # its last run, None if it was killed before its run record was opened
    started_at: datetime  # when the interrupted crawl first started
    run_ids: tuple[str, ...]


class Job:
    """One site's crawl state on disk, opened (and locked) for the lifetime of a crawl."""

    def __init__(self, directory: Path, site: str, persistent: bool = True) -> None:
        self.directory = directory
        self.site = site
        self.persistent = persistent  # False: a temporary directory, removed at the end whatever happens
        self._lock: IO[str] | None = None
        directory.mkdir(parents=True, exist_ok=True)
        self._take_lock()
        previous = JobRecord.read(directory / JOB_FILE) if persistent else None
        self.resumed = previous is not None
        self.record = previous or JobRecord(site, datetime.now(UTC))
        if previous is None:
            # Without a readable job.json, state files left beside it belong to no known crawl: a seen set
            # from it would make this fresh crawl skip pages. Only our own files: JOBDIR may be any folder.
            for stale in directory.iterdir():
                if stale.name.startswith(STATE_FILES) and stale.is_file():
                    stale.unlink()
            self.record.write(directory / JOB_FILE)

    def _take_lock(self) -> None:
        lock = (self.directory / LOCK_FILE).open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise JobLocked(
                f"another process is crawling {self.site} with the job directory {self.directory}"
            ) from None
        self._lock = lock

    def attach_run(self, run_id: str) -> Resumed | None:
        """Record that ``run_id`` works on this job; the crawl it resumes, if it resumes one."""
        earlier = tuple(self.record.runs)
        self.record.runs.append(run_id)
        if self.persistent:
            self.record.write(self.directory / JOB_FILE)
        if not self.resumed:
            return None
        return Resumed(earlier[-1] if earlier else None, self.record.started_at, earlier)

    def close(self, keep: bool) -> None:
        """Release the job; ``keep`` False (a clean finish, or a temporary job) removes its state."""
        if not self.persistent:
            shutil.rmtree(self.directory, ignore_errors=True)
        elif not keep:
            remove_state(self.directory)
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def in_use(directory: Path) -> bool:
    """Whether a running crawl holds the job directory's lock."""
    try:
        with (directory / LOCK_FILE).open("r") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except FileNotFoundError:
        return False
    except BlockingIOError:
        return True
    return False


def discard(settings: Any, site: str) -> bool:
    """Remove ``site``'s unfinished job state (the next crawl starts afresh); True if there was one."""
    directory = job_directory(settings, site)
    if directory is None or not directory.exists():
        return False
    if in_use(directory):
        raise JobLocked(f"{site} is being crawled by another process; its job state stays")
    remove_state(directory)
    return True


def remove_state(directory: Path) -> None:
    """Delete a job's files, and the directory if nothing else is in it (JOBDIR may be any folder)."""
    for name in os.listdir(directory):
        if name.startswith(STATE_FILES) or name in (JOB_FILE, LOCK_FILE, JOB_FILE + ".tmp"):
            (directory / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        directory.rmdir()


@dataclass(frozen=True)
class PendingJob:
    """An interrupted crawl found on disk, before any crawl opens it."""

    directory: Path
    started_at: datetime
    runs: tuple[str, ...]
    requests_pending: int


def pending_job(settings: Any, site: str) -> PendingJob | None:
    """The interrupted crawl of ``site`` that the next crawl would resume, if any (read-only)."""
    directory = job_directory(settings, site)
    if directory is None:
        return None
    record = JobRecord.read(directory / JOB_FILE)
    if record is None:
        return None
    from crawler.jobs.queue import count_pending

    return PendingJob(directory, record.started_at, tuple(record.runs), count_pending(directory))


def prepare_jobs(settings: Any, sites: list[str], fresh: bool) -> list[str]:
    """Before crawls start: discard the interrupted ones if ``fresh``; lines saying which will resume."""
    lines = []
    for site in sites:
        directory = job_directory(settings, site)
        if directory is not None and in_use(directory):
            lines.append(f"{site}: another process is crawling it (job state in {directory})")
            continue
        if fresh:
            if discard(settings, site):
                lines.append(f"{site}: discarded the state of its interrupted crawl; starting afresh")
            continue
        found = pending_job(settings, site)
        if found is not None:
            lines.append(
                f"{site}: resuming the interrupted crawl started {found.started_at:%Y-%m-%d %H:%M:%S %Z} "
                f"({found.requests_pending} requests queued; state in {found.directory}; --fresh starts over)"
            )
    return lines
