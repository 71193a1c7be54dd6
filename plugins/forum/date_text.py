"""Finding a post's date in markup of unknown software.

A ``<time>`` (its ``datetime``, or XenForo's Unix ``data-time``), a
``datePublished``, a ``title`` holding the absolute date behind a relative one
("Yesterday" with ``title="03-13-2024"``), else the first substring shaped
like a date in a post's short texts ("Verfasst am: 11.03.2024, 14:05"). A
registration or visit date is told from a post date by the label in front
("Joined:", "Anmeldungsdatum:", "З нами з:"), in the same text, in the
``<strong>`` before it or in a ``<dt>`` before its element.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.extract import Node, clean
from plugins.forum import hints
from plugins.forum.text import render_text

_MONTH_PREFIXES = frozenset(
    [
        "jan",
        "feb",
        "mar",
        "apr",
        "may",
        "jun",
        "jul",
        "aug",
        "sep",
        "oct",
        "nov",
        "dec",
        "mär",
        "mai",
        "okt",
        "dez",
        "ene",
        "abr",
        "ago",
        "dic",
        "gen",
        "mag",
        "giu",
        "lug",
        "set",
        "ott",
        "fév",
        "fev",
        "avr",
        "jui",
        "aoû",
        "aou",
        "déc",
        "ian",
        "iun",
        "iul",
        "noi",
        "mrt",
        "mei",
        "sty",
        "lut",
        "kwi",
        "maj",
        "cze",
        "lip",
        "sie",
        "wrz",
        "paź",
        "paz",
        "lis",
        "gru",
        "янв",
        "фев",
        "мар",
        "апр",
        "мая",
        "май",
        "июн",
        "июл",
        "авг",
        "сен",
        "окт",
        "ноя",
        "дек",
        "січ",
        "лют",
        "бер",
        "кві",
        "тра",
        "чер",
        "лип",
        "сер",
        "вер",
        "жов",
        "лис",
        "гру",
    ]
)
_TIME = r"(?:,?\s*(?:[^\W\d]{1,3}\.?\s+)?\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp]\.?\s*[Mm]\.?)?)?"
_PATTERNS = (
    re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"),
    re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b" + _TIME),
    re.compile(r"\b\d{1,2}\.?\s+(?P<m1>[^\W\d_]{3,})\.?\s+\d{4}" + _TIME),
    re.compile(
        r"(?:\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\.?,?\s+)?\b(?P<m2>[^\W\d_]{3,})\.?\s+\d{1,2}(?:st|nd|rd|th)?,?"
        r"\s+\d{4}" + _TIME,
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?:today|yesterday|heute|gestern|сьогодні|вчора|сегодня|вчера|dzisiaj|wczoraj|azi|ieri|hoy|ayer|"
        r"aujourd'hui|hier|oggi|vandaag|gisteren|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
        r"(?:,|\s+(?:at|um|о|o|в|à|om|alle|a las|la))?\s*\d{1,2}:\d{2}(?:\s*[ap]\.?\s*m\.?)?",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b\d{1,3}\s+(?:minutes?|hours?|days?|weeks?|mins?|hrs?)\s+ago\b|\bvor\s+\d{1,3}\s+\w+|"
        r"\b\d{1,3}\s+\w+\s+(?:тому|назад|temu)\b|\bhace\s+\d{1,3}\s+\w+|\bil y a\s+\d{1,3}\s+\w+",
        re.IGNORECASE,
    ),
)
_JOINED = re.compile(
    r"(joined|registered|member since|registriert|anmeldungsdatum|dabei seit|mitglied seit|з нами|зареєстр|"
    r"регистрац|на форуме с|dołączył|rejestracja|înregistrat|inscrit|registrado|iscritto|lid sinds|"
    r"last (?:visit|active|seen)|letzter besuch|current time|it is currently|aktuelle zeit|ora este)"
    r"(?:\s+\w{1,5})?\s*:?\s*$",
    re.IGNORECASE,
)
_POSTED = re.compile(
    r"(posted|verfasst|geschrieben|написано|додано|опубліковано|opublikowano|postat|publicat|posté|publicado|"
    r"pubblicato|geplaatst|wrote on|date)\s*(am|on|le|el|il|op)?\s*:?\s*$",
    re.IGNORECASE,
)


def _month_ok(match: re.Match[str]) -> bool:
    for group in ("m1", "m2"):
        word = match.groupdict().get(group)
        if word is not None:
            return word[:3].lower() in _MONTH_PREFIXES
    return True


def find_date(text: str) -> str | None:
    """The first substring of ``text`` that reads as a date (with its clock time), or ``None``."""
    best: re.Match[str] | None = None
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if not _month_ok(match):
                continue
            if (
                best is None
                or match.start() < best.start()
                or (match.start() == best.start() and match.end() > best.end())
            ):
                best = match
            break
    return best.group().strip(" ,") if best else None


def is_joined_label(text: str) -> bool:
    """Whether ``text`` (what precedes a date) labels a registration or visit date, not a post date."""
    return bool(_JOINED.search(text.strip()))


def is_posted_label(text: str) -> bool:
    """Whether ``text`` (what precedes a date) labels the post's own date ("Posted:", "Verfasst am:")."""
    return bool(_POSTED.search(text.strip()))


def _label_before(element: Node) -> str:
    """The text just before ``element`` (a ``<dt>Joined</dt>`` label), for a date that is its whole text."""
    previous = element.getprevious()
    while previous is not None and not isinstance(previous.tag, str):
        previous = previous.getprevious()
    return (clean(" ".join(previous.itertext())) or "") if previous is not None else ""


def text_dates(element: Node) -> list[tuple[str, str]]:
    """``(date, the words before it)`` for each short text of ``element`` holding a post date."""
    found_dates = []
    texts = [(element.text, None)] + [(c.tail, c) for c in element if isinstance(c.tag, str)]
    for text, owner in texts:
        if not text or len(text) > 160:
            continue
        found = find_date(text)
        if not found:
            continue
        before = text[: text.find(found)]
        if not before.strip():  # the label is the element before: "<strong>Joined:</strong> 12 Jan 2023"
            before = (clean(" ".join(owner.itertext())) or "") if owner is not None else _label_before(element)
        if not is_joined_label(before):
            found_dates.append((found, before))
    return found_dates


@dataclass
class DateFound:
    """A post date: ``machine`` (ISO, Unix, or absolute text) to parse, ``shown`` as the page writes it."""

    machine: str | None
    shown: str | None
    node: Node | None = None


def _titled(element: Node) -> DateFound:
    """A date in a ``title``: MyBB's ``<span title="03-13-2024">Yesterday</span>, 09:15 PM`` in ``span.post_date``."""
    title = element.get("title") or ""
    shown = clean(" ".join(element.itertext()))
    parent = element.getparent()
    if parent is not None and hints.has(parent, hints.DATE):
        shown = render_text(parent, {e for e in parent.iter() if hints.has(e, hints.EDIT)})
        if ":" not in title:  # the title has the day; the clock time follows the span
            title = f"{title}, {clean(element.tail) or ''}".strip(", ")
    return DateFound(title, shown or None, element)


def date_of(blocks: list[Node], excluded: set[Node]) -> DateFound | None:
    """The post's date: a ``<time>``, a ``datePublished``, a dated ``title``, or a date in a short text."""
    candidates: list[tuple[int, int, DateFound]] = []
    edits: set[Node] = set()
    order = 0
    for block in blocks:
        for element in hints.outside(block, excluded):
            if element.tag in hints.SKIP_TAGS or hints.within(element, edits):
                continue
            if hints.has(element, hints.EDIT):  # "Last edited: ..." is not the post's date
                edits.add(element)
                continue
            order += 1
            if element.tag == "time":
                stamp = element.get("data-timestamp") or element.get("data-time")
                machine = stamp if stamp and stamp.isdigit() else element.get("datetime")
                shown = clean(" ".join(element.itertext()))
                if machine or (shown and find_date(shown)):
                    candidates.append((0, order, DateFound(machine or shown, shown, element)))
            elif element.get("itemprop") in ("datePublished", "dateCreated"):
                stated = element.get("content") or element.get("datetime")
                if stated:
                    candidates.append((1, order, DateFound(stated, None)))
            elif element.get("title") and find_date(element.get("title")) and element.tag in ("span", "a", "abbr"):
                candidates.append((1, order, _titled(element)))
            else:
                for found, before in text_dates(element):
                    score = 2 if is_posted_label(before) or hints.has(element, hints.DATE) else 3 if ":" in found else 4
                    candidates.append((score, order, DateFound(None, found, element)))
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c[0], c[1]))[2]
