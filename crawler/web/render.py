"""Jinja2 with autoescape on for every template, and helpers that keep scraped content inert.

Scraped text is hostile: it is only ever printed through autoescape (never ``|safe``), and a
scraped URL becomes a link only if it is http(s); anything else (``javascript:``, ``data:``...)
is shown as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def http_url(value: object) -> str | None:
    """The URL, normalised, if it is an absolute http(s) URL with a host; else None."""
    if not isinstance(value, str) or len(value) > 4096:
        return None
    text = value.strip()
    # Browsers drop tabs and newlines inside URLs ("java\tscript:"): refuse any control character or space.
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit(parts)


def environment(extra_dirs: Sequence[Path] = ()) -> Environment:
    loader = ChoiceLoader([FileSystemLoader(str(d)) for d in (*extra_dirs, TEMPLATES)])
    env = Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["http_url"] = http_url
    return env


def templates(extra_dirs: Sequence[Path] = ()) -> Jinja2Templates:
    return Jinja2Templates(env=environment(extra_dirs))
