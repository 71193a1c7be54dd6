"""The baseline: a minimal Scrapy spider, no pipeline, on the same demo platform.

It follows the same navigation links as the platform's Trawler spider (the
CSS selector comes in ``BENCH_FOLLOW``, so both crawls fetch the same pages)
and reads five CSS fields per page, as the figures in ``../shared/MEASURED.md``
were measured. Run by ``pipeline_vs_raw.py``.
"""

from __future__ import annotations

import json
import os

import scrapy
from scrapy import signals


class StatsDump:
    """Write the final crawl stats to ``BENCH_STATS_FILE`` once the engine stops."""

    def __init__(self, crawler):
        self.crawler = crawler
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def engine_stopped(self):
        with open(os.environ["BENCH_STATS_FILE"], "w") as out:
            json.dump(self.crawler.stats.get_stats(), out, default=str)


class RawSpider(scrapy.Spider):
    name = "raw"
    custom_settings = {"EXTENSIONS": {f"{__name__}.StatsDump": 0}}

    async def start(self):
        yield scrapy.Request(os.environ["BENCH_START_URL"])

    def parse(self, response):
        yield {
            "url": response.url,
            "title": response.css("title::text").get(),
            "h1": response.css("h1::text").get(),
            "first_paragraph": response.css("p::text").get(),
            "time": response.css("time::attr(datetime)").get(),
            "links": len(response.css("a")),
        }
        yield from response.follow_all(css=os.environ["BENCH_FOLLOW"], callback=self.parse)
