"""Trawler: a plugin-based web-crawling framework for OSINT work."""

__version__ = "0.1.0"
