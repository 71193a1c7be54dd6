"""Incremental and adaptive recrawls: fetch what is new or changed, not the whole platform.

- :mod:`.state`: the crawl state of every page in MongoDB (``page_states``), loaded in bulk when a crawl
  opens and written in batches by a thread of its own;
- :mod:`.middleware`: conditional requests (``If-None-Match`` / ``If-Modified-Since``); a 304 becomes the
  stored page again, flagged "not modified", so navigation goes on and extraction is skipped;
- :mod:`.markers`: the per-item marker of list pages (last post, replies, "updated" date): unchanged items'
  detail pages that are not due are skipped, and a list page showing only unchanged items ends pagination;
- :mod:`.schedule`: adaptive revisit intervals, as Nutch's adaptive fetch schedule.

``docs/incremental.md`` explains the design, in particular why a skipped page never makes its listings look
removed.
"""
