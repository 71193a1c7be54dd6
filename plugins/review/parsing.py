"""Markup-independent readings shared by every layer: ratings, date labels, counts, ids from URLs.

Review sites show the same facts in a handful of forms ("4.2 out of 5",
"Rated 4 out of 5 stars", ``bubble_40``, ``style="width:80%"``, five star
icons, "8/10"); engine presets and the generic heuristics read them all
through these functions, so a fix here helps every layer. Regexes are
compiled at import: this runs once per review on the crawl's hot path.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qs, urlsplit

from crawler.extract import clean, normalise_rating

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_OUT_OF = re.compile(
    _NUMBER + r"\s*(?:out of|of|/|von|sur|din|z|na|su|de|van|из|з)\s*" + _NUMBER + r"(?!\d)", re.IGNORECASE
)
_INTEGER = re.compile(r"\d+")
_BARE_NUMBER = re.compile(r"^\s*" + _NUMBER + r"\s*(?:stars?|sterne?|étoiles?|stele|gwiazdk\w*|points?|pts)?\s*$", re.I)
# ``bubble_40`` (TripAdvisor), ``rating-45``, ``stars-4``, ``star-rating-3-5``: a number in a rating-ish class name.
_CLASS_RATING = re.compile(r"(?:bubble|rating|stars?|score|rate|note)[_-](\d{1,2})(?:[_-](\d))?$", re.IGNORECASE)
_WIDTH = re.compile(r"width\s*:\s*(\d+(?:\.\d+)?)\s*%", re.IGNORECASE)
_COUNT = re.compile(
    r"(\d{1,3}(?:[.,\u00a0\u202f ]\d{3})+|\d+)\s*"
    r"(?:reviews?|ratings?|opinions?|opinii|recenzi\w*|recenzj\w*|opinie|bewertungen|rezensionen|avis|recensioni|reseñas|opiniones|beoordelingen|отзыв\w*|відгук\w*)\b",
    re.IGNORECASE,
)
_DATE_LABEL = re.compile(
    r"^(?:reviewed|responded|replied|answered|posted|written|published|submitted|added|rated|date of review|"
    r"review date|date|on|"
    r"bewertet am|veröffentlicht(?: am)?|geschrieben am|datum|publié le|posté le|le|publicat(?: pe| la)?|"
    r"adăugat(?: pe)?|dodano|opublikowano|data|pubblicato il|publicado el|geplaatst op)\s*:?\s+",
    re.IGNORECASE,
)
_PAGE_PARAMS = ("page", "p", "pg", "seite", "pagina", "strona", "reviews-page", "reviews_page", "start", "offset")
_ID_PARAMS = ("id", "biz", "business", "company", "firma", "hotel", "place", "listing", "item", "b", "cid", "pid")
_EXTENSIONS = (".html", ".htm", ".php", ".asp", ".aspx", ".jsp", ".cfm", ".shtml")
_TA_ID = re.compile(r"-(d\d+)-")
_OFFSET_SEGMENT = re.compile(r"-or\d+(?=-)")


def number(text: str) -> float:
    """``"4,5"`` -> ``4.5``."""
    return float(text.replace(",", "."))


def parse_out_of(text: str | None) -> tuple[float, float] | None:
    """``"4.2 out of 5"``, ``"8/10"``, ``"Rated 4 out of 5 stars"`` -> ``(4.2, 5.0)``, ``(8.0, 10.0)``, ``(4.0, 5.0)``.

    Only the usual scales (5, 10, 100) count, so "page 3 of 7" is no rating.
    """
    if not text:
        return None
    found = _OUT_OF.search(text)
    if not found:
        return None
    value, scale = number(found.group(1)), number(found.group(2))
    if not scale or value > scale or scale not in (5, 10, 100):
        return None
    return value, scale


def scale_for(value: float) -> float | None:
    """The scale a bare score most likely uses: 5 stars, 10 points (Booking-style), 100 (percent)."""
    if value <= 5:
        return 5.0
    if value <= 10:
        return 10.0
    if value <= 100:
        return 100.0
    return None


def bare_score(text: str | None) -> tuple[float, float] | None:
    """A score shown alone (``"8.0"``, ``"4,5"``, ``"4 stars"``): the value with its guessed scale."""
    if not text:
        return None
    found = _BARE_NUMBER.match(text)
    if not found:
        return None
    value = number(found.group(1))
    scale = scale_for(value)
    return (value, scale) if scale else None


def class_score(classes: str | None) -> tuple[float, float] | None:
    """A rating spelt in a class name: ``bubble_40`` -> 4.0 of 5, ``rating-45`` -> 4.5 of 5, ``stars-4`` -> 4 of 5."""
    if not classes:
        return None
    for token in classes.split():
        found = _CLASS_RATING.search(token)
        if not found:
            continue
        digits = found.group(1)
        if found.group(2):
            value = float(f"{digits}.{found.group(2)}")
        elif len(digits) == 2 and int(digits) % 5 == 0 and int(digits) <= 50:
            value = int(digits) / 10  # bubble_45: tens of a 5-point scale
        else:
            value = float(digits)
        if 0 <= value <= 5:
            return value, 5.0
    return None


def width_score(style: str | None) -> tuple[float, float] | None:
    """A star bar filled to ``width: 80%`` -> 4.0 of 5."""
    if not style:
        return None
    found = _WIDTH.search(style)
    if not found:
        return None
    percent = float(found.group(1))
    return (round(percent / 20, 2), 5.0) if 0 <= percent <= 100 else None


def rating(found: tuple[float, float] | None) -> dict[str, float | None]:
    """A ``(raw, scale)`` pair as the listing's ``rating`` dict (``{}`` when nothing was found)."""
    return normalise_rating(*found) if found else {}


def review_count(text: str | None) -> int | None:
    """``"1,234 reviews"``, ``"25 Bewertungen"`` -> the integer; ``None`` when no count is named."""
    if not text:
        return None
    found = _COUNT.search(text)
    if not found:
        return None
    digits = re.sub(r"\D", "", found.group(1))
    return int(digits) if digits else None


def first_integer(text: str | None) -> int:
    found = _INTEGER.search((text or "").replace(",", "").replace(".", ""))
    return int(found.group()) if found else 0


def strip_date_label(text: str | None) -> str | None:
    """``"Reviewed 12 March 2026"`` -> ``"12 March 2026"``: the date as shown, without the word before it."""
    text = clean(text)
    if not text:
        return None
    return clean(_DATE_LABEL.sub("", text, count=1)) or text


def page_number(url: str) -> int:
    """The review page a URL asks for (``?page=3``, ``/page/3/``, TripAdvisor's ``-or10-`` offset); 1 by default."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for key in _PAGE_PARAMS[:8]:
        value = query.get(key, [""])[0]
        if value.isdigit():
            return max(int(value), 1)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and segments[-2] in ("page", "seite", "strona", "pagina") and segments[-1].isdigit():
        return max(int(segments[-1]), 1)
    offset = _OFFSET_SEGMENT.search(parts.path)
    return 2 if offset and offset.group() != "-or0" else 1


def url_business_id(url: str) -> str | None:
    """A business's native id from its page URL, for layers that know nothing of the site's URL scheme.

    In order: an id-like query parameter (``?id=417``, ``?firma=...``); a
    TripAdvisor-style ``-d1234567-`` token; otherwise the last path segment
    with its file extension and any pagination (``/page/2``, ``-or10``)
    removed. ``/review/example.com`` keeps its dots: only page extensions
    such as ``.html`` or ``.php`` are stripped.
    """
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for key in _ID_PARAMS:
        value = query.get(key, [""])[0].strip()
        if value:
            return value
    path = _OFFSET_SEGMENT.sub("", parts.path)
    found = _TA_ID.search(path)
    if found:
        return found.group(1)
    segments = [s for s in path.split("/") if s]
    if len(segments) >= 2 and segments[-2] in ("page", "seite", "strona", "pagina") and segments[-1].isdigit():
        segments = segments[:-2]
    if segments and segments[-1] in ("reviews", "bewertungen", "avis", "opinii", "opinie", "recenzje"):
        segments = segments[:-1]
    if not segments:
        return None
    last = segments[-1]
    for extension in _EXTENSIONS:
        if last.lower().endswith(extension):
            last = last[: -len(extension)]
            break
    return last or None


def fallback_review_id(author: str | None, body: str | None, title: str | None) -> str | None:
    """A stable id for a review the page gives no id: a hash of its author and the start of its text.

    White space and case are ignored, so every layer (structured data,
    generic heuristics) derives the same id from the same review.
    """
    text = re.sub(r"\W+", "", (body or title or "").lower())[:80]
    if not text:
        return None
    key = f"{(author or '').strip().lower()}|{text}"
    return "h" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
