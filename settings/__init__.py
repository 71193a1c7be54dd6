"""Scrapy settings modules for Trawler (``settings.default`` is the project's)."""
