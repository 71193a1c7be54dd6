"""Unattended crawls: schedules, the per-site lease, run control (cancel, log tail) and the scheduler.

- :mod:`crawler.scheduling.schedule`: a profile's ``schedule`` (cron with a time zone, or an interval).
- :mod:`crawler.scheduling.leases`: one crawl per site at a time, across processes and machines.
- :mod:`crawler.scheduling.runcontrol`: the Scrapy extension every crawl runs with (lease, cancel, log tail).
- :mod:`crawler.scheduling.runstate`: run-record operations outside a crawl (cancel, interrupted runs).
- :mod:`crawler.scheduling.launch`: a crawl in its own process, and what its exit means for the run.
- :mod:`crawler.scheduling.scheduler`: the long-running ``trawler scheduler run``.
"""
