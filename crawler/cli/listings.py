"""``trawler listings``: the first name of ``trawler search`` (crawler/cli/query.py), kept as an alias.

Scripts and notes written before the query layer keep working:
``trawler listings --site demo-market --limit 5`` and
``trawler listings --contact '07700 900123'`` mean what they meant.
"""

from __future__ import annotations

from crawler.cli.query import search_command as listings

__all__ = ["listings"]
