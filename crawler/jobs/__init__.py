"""Crawl jobs that survive a crash: per-site state on disk, and the resume of an interrupted crawl.

- :mod:`crawler.jobs.jobdir`: the job directory of a site (``var/jobs/<site>/``), ``job.json``, the lock;
- :mod:`crawler.jobs.queue`: the SQLite request queue;
- :mod:`crawler.jobs.scheduler`: ``JobScheduler``, Scrapy's ``SCHEDULER``, tying queue and seen set
  (:mod:`crawler.dupefilter`) together and deciding when a request is done;
- :mod:`crawler.jobs.durability`: the storage pipeline's count of safely stored items.

Other components ask this module about the crawl's job: :func:`attach_run` (the storage pipeline, for
the run record and the start time that decides which listings were removed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from crawler.jobs.jobdir import Job, Resumed

_jobs: WeakKeyDictionary[Any, Job] = WeakKeyDictionary()


def register(crawler: Any, job: Job) -> None:
    _jobs[crawler] = job


def job_of(crawler: Any) -> Job | None:
    """The crawl's job, or None when its scheduler keeps none (e.g. scrapy-redis workers)."""
    return _jobs.get(crawler)


def attach_run(crawler: Any, run_id: str) -> Resumed | None:
    """Record ``run_id`` in the crawl's job; the interrupted crawl it resumes, if it resumes one."""
    job = job_of(crawler)
    return job.attach_run(run_id) if job is not None else None
