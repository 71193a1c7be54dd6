"""Scale-out: one crawl drained by many worker processes through a shared Redis queue and dupe filter.

``trawler seed SITE`` opens a distributed crawl (a new crawl id, fresh Redis keys) and pushes the site's
start requests once; ``trawler worker`` processes, on any number of machines, pop requests from that queue,
push the requests their pages lead to, and write listings to the same MongoDB through the normal storage
pipeline. The crawl is drained when the queue is empty and every worker is idle; the last worker to leave
completes the crawl's run record and, after a clean crawl only, marks removed listings.

- :mod:`crawler.scaleout.state`: Redis key names, the atomic scripts, the crawl's shared state
- :mod:`crawler.scaleout.scheduler`: the Scrapy scheduler of a worker (scrapy-redis, with join/idle/leave)
- :mod:`crawler.scaleout.seeding`: ``seed`` (also called by the scheduler for distributed schedules)
- :mod:`crawler.scaleout.lease`: the site's lease, held in the crawl's name and renewed by its workers
- :mod:`crawler.scaleout.record`: the crawl-level run record and removed marks
- :mod:`crawler.scaleout.worker`: the worker loop (crawls one seeded crawl after another)
"""
