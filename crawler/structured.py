"""Structured data in pages (schema.org JSON-LD, microdata, RDFa; OpenGraph) via extruct, for extractors.

A fallback layer: engine presets answer first, because extruct costs a few
milliseconds per page. Items are returned in extruct's uniform shape
(``@type`` keys), with ``@graph`` containers and nested items flattened so a
caller can ask for every ``Product`` or ``Review`` wherever it sits.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from scrapy.http import Response

logger = logging.getLogger("trawler.structured")

SCHEMA_SYNTAXES = ("json-ld", "microdata", "rdfa")


def json_ld(response: Response) -> list[Any]:
    """Every JSON-LD block of the page; a broken block is skipped, not the others with it."""
    blocks = []
    for script in response.xpath('//script[@type="application/ld+json"]/text()').getall():
        try:
            blocks.append(json.loads(script))
        except ValueError:
            logger.debug("skipped a broken JSON-LD block on %s", response.url)
    return blocks


def extract_all(response: Response, syntaxes: Iterable[str] = (*SCHEMA_SYNTAXES, "opengraph")) -> dict[str, list]:
    """extruct's uniform output for ``response`` (JSON-LD read block by block); ``{}`` where nothing is found."""
    wanted = list(syntaxes)
    others = [s for s in wanted if s != "json-ld"]
    data: dict[str, list] = {}
    if others:
        import extruct  # 0.2 s to import (rdflib): only pages that reach the structured layer pay it

        try:
            data = extruct.extract(
                response.selector.root, base_url=response.url, syntaxes=others, uniform=True, errors="ignore"
            )
        except Exception as exc:  # extruct raises many kinds on broken markup; structured data is optional
            logger.debug("no structured data read from %s: %s", response.url, exc)
    if "json-ld" in wanted:
        data["json-ld"] = json_ld(response)
    return data


def types_of(item: dict[str, Any]) -> set[str]:
    """An item's schema.org types, short names (``"http://schema.org/Product"`` -> ``"Product"``)."""
    declared = item.get("@type") or []
    if isinstance(declared, str):
        declared = [declared]
    return {str(t).rsplit("/", 1)[-1] for t in declared}


def walk_items(value: Any) -> Iterator[dict[str, Any]]:
    """Every typed item in extruct output, nested ones and ``@graph`` members included, outermost first."""
    if isinstance(value, dict):
        if "@type" in value:
            yield value
        for child in value.values():
            yield from walk_items(child)
    elif isinstance(value, list):
        for child in value:
            yield from walk_items(child)


def schema_items(response: Response, *types: str) -> list[dict[str, Any]]:
    """Every schema.org item of one of ``types`` (e.g. ``"Product"``, ``"Review"``), nested ones included."""
    data = extract_all(response, SCHEMA_SYNTAXES)
    wanted = set(types)
    found = []
    for syntax in SCHEMA_SYNTAXES:
        for item in walk_items(data.get(syntax, [])):
            if not wanted or types_of(item) & wanted:
                found.append(item)
    return found


def opengraph(response: Response) -> dict[str, str]:
    """OpenGraph properties (``og:title``...) of the page, first value of each."""
    props: dict[str, str] = {}
    for item in extract_all(response, ("opengraph",)).get("opengraph", []):
        for key, value in item.items():
            if not key.startswith("@"):
                props.setdefault(key, value[0] if isinstance(value, list) else value)
    return props


def text(value: Any) -> str | None:
    """A schema.org value as text: plain strings, ``{"@value"}``, ``{"name"}`` objects, first of a list."""
    if value is None:
        return None
    if isinstance(value, list):
        return text(value[0]) if value else None
    if isinstance(value, dict):
        return text(value.get("@value") or value.get("name") or value.get("@id"))
    return str(value).strip() or None


def number(value: Any) -> float | None:
    raw = text(value)
    if raw is None:
        return None
    try:
        return float(raw.replace(",", "."))
    except ValueError:
        return None
