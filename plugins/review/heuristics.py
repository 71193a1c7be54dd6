"""Markup-blind readings for the generic layer: hints in class names, dates in text, ratings in any form.

Review software is written by people who name things: ``class="review"``,
``"opinia-autor"``, ``"bew-note"``, ``data-consumer-name-typography``. The
generic layer reads those names (class, id, ``itemprop`` and ``data-*``
attribute names, lower-cased) for hints in several languages, and falls back
on patterns (dates, "4/5", star icons) where the markup names nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from lxml import etree

from crawler.extract import Node, clean
from plugins.review.parsing import bare_score, class_score, number, parse_out_of, width_score

SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "select", "option", "textarea", "button"})
# Hints, as substrings of the lower-cased hint text (see :func:`hints`).
REVIEW_HINTS = ("review", "opinia", "opinie", "bewertung", "eintrag", "testimonial", "comment", "avis", "recenz",
                "rese", "rev", "feedback", "erfahrung", "otzyv", "vidguk")  # fmt: skip
AUTHOR_HINTS = ("author", "autor", "reviewer", "username", "user-name", "user_name", "consumer-name", "member",
                "nickname", "scrname", "verfasser", "who", "byline")  # fmt: skip
TITLE_HINTS = ("title", "headline", "subject", "betreff", "quote", "tytul", "titel", "titlu")
BODY_HINTS = ("text", "body", "content", "comment", "entry", "message", "tresc", "txt", "inhalt", "opinion", "descr")
DATE_HINTS = ("date", "time", "datum", "when", "posted", "data", "published", "czas")
RATING_HINTS = ("rating", "score", "star", "stele", "sterne", "note", "ocena", "bubble", "grade", "punkt", "gesamt",
                "average", "trustscore", "bewertung")  # fmt: skip
RESPONSE_HINTS = ("response", "reply", "antwort", "answer", "mgrrspn", "owner", "raspuns", "odpowied", "réponse",
                  "respuesta", "risposta", "antwoord")  # fmt: skip

_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|"
    "october|november|december|januar|februar|märz|mai|juni|juli|oktober|dezember|janvier|février|mars|avril|juin|"
    "juillet|août|septembre|octobre|novembre|décembre|ianuarie|februarie|martie|aprilie|iunie|iulie|septembrie|"
    "octombrie|noiembrie|decembrie|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|"
    "diciembre|gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|januari|februari|maart|mei|"
    "augustus|stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|listopada|grudnia"
)
_TIME = r"(?:,?\s*(?:um\s+|at\s+|à\s+|o\s+)?\d{1,2}:\d{2}(?:\s*(?:uhr|h|am|pm))?)?"
DATE_PATTERN = re.compile(
    r"\b(?:\d{1,2}\.\s?\d{1,2}\.\s?\d{4}"
    + _TIME
    + r"|\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2})?|\d{1,2}/\d{1,2}/\d{4}"
    + _TIME
    + r"|\d{1,2}\.?\s(?:"
    + _MONTHS
    + r")\.?,?\s\d{4}"
    + _TIME
    + r"|(?:"
    + _MONTHS
    + r")\.?\s\d{1,2},?\s\d{4}"
    + _TIME
    + r"|\d+\s(?:second|minute|hour|day|week|month|year)s?\sago|yesterday|today|vor\s\d+\s\w+|"
    r"il y a\s\d+\s\w+|acum\s\d+\s\w+|hace\s\d+\s\w+|\d+\s\w+\stemu)\b",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(
    r"(\d{1,2})[./](\d{1,2})[./](\d{4})(?:,?\s*(?:um\s+|at\s+|à\s+|o\s+)?(\d{1,2}):(\d{2}))?(?:\s*(?:uhr|h))?$", re.I
)
_STAR_EMPTY = re.compile(r"empty|-o\b|outline|\bfar\b|\boff\b|gr[ae]y|inactive|blank|regular", re.IGNORECASE)
_STAR_HALF = re.compile(r"half", re.IGNORECASE)
_BY_WORD = re.compile(r"(?:^|\s)(?:von|by|from|de|par|od|di|door|av|от|від|napisał[a]?)\s*:?\s*$", re.IGNORECASE)
_RATING_ATTRS = ("data-rating", "data-score", "data-stars", "data-value", "data-rate")


def hints(element: Node) -> str:
    """What the page calls an element: class, id, ``itemprop``, ``itemtype`` and ``data-*`` names, lower-cased."""
    attrib = element.attrib
    parts = [attrib.get("class", ""), attrib.get("id", ""), attrib.get("itemprop", ""), attrib.get("name", "")]
    parts.extend(key for key in attrib if key.startswith("data-"))
    return " ".join(parts).lower()


def has_hint(element: Node, words: tuple[str, ...]) -> bool:
    text = hints(element)
    return bool(text) and any(word in text for word in words)


def is_element(node: object) -> bool:
    return isinstance(node, etree._Element) and isinstance(node.tag, str)


def elements(element: Node, skip: set[Node] | frozenset[Node] = frozenset()) -> list[Node]:
    """``element`` and its descendants in document order, without scripts, form controls and ``skip`` subtrees."""
    out: list[Node] = []

    def walk(node: Node) -> None:
        out.append(node)
        for child in node:
            if isinstance(child.tag, str) and child.tag not in SKIP_TAGS and child not in skip:
                walk(child)

    walk(element)
    return out


def visible_text(element: Node, skip: set[Node] | frozenset[Node] = frozenset()) -> str:
    """The element's text without scripts, styles, form controls, comments and ``skip`` subtrees."""
    parts: list[str] = []

    def walk(node: Node) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and child.tag not in SKIP_TAGS and child not in skip:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return clean(" ".join(parts)) or ""


def lines_text(element: Node) -> str | None:
    """Text with block boundaries (``br``, ``li``, ``p``, ``div``) turned into ", ": addresses shown on lines."""
    parts: list[str] = []
    for event, node in etree.iterwalk(element, events=("start", "end")):
        if not isinstance(node.tag, str):
            if event == "end" and node.tail and node is not element:
                parts.append(node.tail)
            continue
        if event == "start":
            if node.tag in ("br", "li", "p", "div", "tr") and node is not element:
                parts.append("\n")
            if node.text and node.tag not in SKIP_TAGS:
                parts.append(node.text)
        elif node is not element and node.tail:
            parts.append(node.tail)
    lines = (clean(line) for line in "".join(parts).split("\n"))
    return ", ".join(line.strip(", ") for line in lines if line and line.strip(", ")) or None


# -- dates -----------------------------------------------------------------------------


def find_date(text: str | None) -> str | None:
    """The first date-looking span of ``text`` ("11.03.2026, 21:47 Uhr", "3 days ago", "March 1, 2026")."""
    if not text:
        return None
    found = DATE_PATTERN.search(text)
    return found.group(0).strip() if found else None


def numeric_date(text: str, timezone: str) -> datetime | None:
    """``"11.03.2026, 21:47 Uhr"`` / ``"02/03/2026"`` read day first, in the site's zone (dateparser would guess)."""
    found = _NUMERIC_DATE.match(text.strip())
    if not found:
        return None
    day, month, year = int(found.group(1)), int(found.group(2)), int(found.group(3))
    hour, minute = (int(found.group(4)), int(found.group(5))) if found.group(4) else (0, 0)
    try:
        local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(timezone))
    except (ValueError, KeyError):
        return None
    return local.astimezone(UTC)


# -- ratings -----------------------------------------------------------------------------


def _star_icons(element: Node) -> tuple[float, float] | None:
    """Repeated star icons (``<i class="fa fa-star">`` x5, ``glsr-star-full``...): full + half/2 out of the count."""
    icons = [child for child in element if is_element(child) and "star" in hints(child) + (child.get("src") or "")]
    if not 3 <= len(icons) <= 10 or len(icons) < len(element) - 1:
        return None
    value = 0.0
    for icon in icons:
        described = hints(icon) + " " + (icon.get("src") or "") + " " + (icon.get("alt") or "")
        if _STAR_HALF.search(described):
            value += 0.5
        elif not _STAR_EMPTY.search(described):
            value += 1.0
    return value, float(len(icons))


def _text_stars(text: str) -> tuple[float, float] | None:
    full, empty = text.count("★"), text.count("☆")
    return (float(full), float(full + empty)) if full + empty >= 3 else None


def find_rating(element: Node, skip: set[Node] | frozenset[Node] = frozenset()) -> tuple[float, float, bool] | None:
    """A rating shown anywhere under ``element``: ``(raw, scale, explicit)``; ``explicit`` is False for a bare number.

    In order: microdata ``ratingValue``/``bestRating``; "4 out of 5" in an
    ``aria-label``/``title``/``alt``; a numeric ``data-rating``-like
    attribute; a class such as ``bubble_40``; repeated star icons or ★☆
    characters; "8/10" or a bare "8.0" in a rating-named element; a star bar
    filled to ``width: 80%``.
    """
    nodes = elements(element, skip)
    for node in nodes:
        if node.get("itemprop") == "ratingValue":
            value = bare_score(node.get("content") or clean(node.text_content()))
            if value:
                best = next((n for n in nodes if n.get("itemprop") == "bestRating"), None)
                scale = number(best.get("content") or best.text_content()) if best is not None else value[1]
                return value[0], scale, True
    for node in nodes:
        for attribute in ("aria-label", "title", "alt"):
            found = parse_out_of(node.get(attribute))
            if found:
                return found[0], found[1], True
    for node in nodes:
        for attribute in (*_RATING_ATTRS, *(k for k in node.attrib if k.startswith("data-") and "rating" in k)):
            value = node.get(attribute)
            if value and re.fullmatch(r"\d+(?:[.,]\d+)?", value.strip()):
                raw = number(value.strip())
                return raw, 5.0 if raw <= 5 else 10.0, raw <= 5
    for node in nodes:
        found = class_score(node.get("class"))
        if found:
            return found[0], found[1], True
    for node in nodes:
        found = _star_icons(node) or (_text_stars(node.text or "") if node.text else None)
        if found:
            return found[0], found[1], True
    for node in nodes:
        if has_hint(node, RATING_HINTS) and len(node) <= 3:
            shown = visible_text(node)
            found = parse_out_of(shown)
            if found:
                return found[0], found[1], True
            bare = bare_score(shown)
            if bare:
                return bare[0], bare[1], False
    for node in nodes:
        if has_hint(node, RATING_HINTS) or has_hint(node.getparent(), RATING_HINTS):
            found = width_score(node.get("style"))
            if found:
                return found[0], found[1], True
    return None


def preceded_by_word(element: Node) -> bool:
    """Whether the text just before ``element`` is "von", "by", "de"...: "von <b>Radu</b> am 11.03.2026"."""
    previous = element.getprevious()
    before = (
        previous.tail
        if previous is not None
        else (element.getparent().text if element.getparent() is not None else None)
    )
    return bool(before and _BY_WORD.search(before))
