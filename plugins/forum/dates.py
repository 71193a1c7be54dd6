"""Forum dates as boards print them: "Yesterday at 9:12 PM", "11.03.2024, 14:05", "03-14-2024, 09:15 AM".

dateparser reads most dates, but not these three families the way a board
means them: it guesses month-first for "11.03.2024" (every board writing dots
means day-first), it resolves "Yesterday, 21:40" with the offset of *now*
(wrong by an hour across a DST switch) and does not know "Monday at 3:30 PM".
So the engines and the generic layer try these readers first and hand the rest
to :func:`crawler.extract.parse_datetime`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crawler.extract import parse_datetime

# phpBB's own relative dates: "Today, 14:05", "Yesterday, 2:05 pm", "gestern, 14:05" (language packs).
_DAY_WORDS = {"today": 0, "yesterday": 1, "heute": 0, "gestern": 1, "azi": 0, "astăzi": 0, "ieri": 1,
              "aujourd'hui": 0, "hier": 1, "hoy": 0, "ayer": 1, "dzisiaj": 0, "wczoraj": 1}  # fmt: skip
_DAY_TIME = re.compile(r"^([^\W\d]+(?:'[^\W\d]+)?),?\s+(\d{1,2}):(\d{2})(?:\s*([ap])\.?m\.?)?$", re.IGNORECASE)

# Every board's "today"/"yesterday" and the weekday names XenForo prints for the last week.
_RELATIVE_DAYS = {
    **_DAY_WORDS, "dziś": 0, "oggi": 0, "vandaag": 0, "gisteren": 1, "hoje": 0, "ontem": 1, "dnes": 0,
    "včera": 1, "сегодня": 0, "вчера": 1, "сьогодні": 0, "вчора": 1, "днес": 0,
}  # fmt: skip
_WEEKDAYS = {
    name: number
    for names in ("monday tuesday wednesday thursday friday saturday sunday",
                  "montag dienstag mittwoch donnerstag freitag samstag sonntag")
    for number, name in enumerate(names.split())
}  # fmt: skip
_CONNECTORS = r"(?:,|\s+(?:at|um|o|о|об|в|à|om|alle|a\s+las|la|kl\.?|a\s+les))"
_RELATIVE = re.compile(
    rf"^([^\W\d]+(?:'[^\W\d]+)?){_CONNECTORS}?\s*(\d{{1,2}}):(\d{{2}})(?::\d{{2}})?(?:\s*([ap])\.?\s*m\.?)?$",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    r"(\d{1,4})([./-])(\d{1,2})\2(\d{2,4})\.?"
    r"(?:,?\s*(?:[^\W\d]{1,3}\.?\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([ap])\.?\s*m\.?)?)?",
    re.IGNORECASE,
)


def day_time(text: str, now: datetime, timezone: str) -> datetime | None:
    """``"gestern, 14:05"`` as an aware UTC datetime, or ``None`` if ``text`` is not of that form.

    Computed on the board's calendar so the UTC offset is that of the date
    meant, not of ``now`` (which is what dateparser's relative mode uses and
    gets wrong by an hour around the DST switches). No dateparser call either.
    The phpBB preset's reader: its word list is the demo's contract.
    """
    found = _DAY_TIME.match(text)
    if not found or found.group(1).lower() not in _DAY_WORDS:
        return None
    hour, minute, meridiem = int(found.group(2)), int(found.group(3)), (found.group(4) or "").lower()
    if meridiem:
        hour = hour % 12 + (12 if meridiem == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date() - timedelta(days=_DAY_WORDS[found.group(1).lower()])
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def _clock(hour: int, minute: int, meridiem: str | None) -> tuple[int, int] | None:
    if meridiem:
        hour = hour % 12 + (12 if meridiem.lower() == "p" else 0)
    return (hour, minute) if hour <= 23 and minute <= 59 else None


def _local(day: date, clock: tuple[int, int], timezone: str) -> datetime:
    return datetime.combine(day, time(*clock), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def relative_day(text: str, now: datetime, timezone: str) -> datetime | None:
    """``"Yesterday at 9:12 PM"``, ``"Вчора о 21:40"``, ``"Monday at 3:30 PM"`` on the board's calendar.

    A weekday means the latest such day before today (XenForo prints weekday
    names for the past week). ``None`` if ``text`` is not of this form.
    """
    found = _RELATIVE.match(text.strip())
    if not found:
        return None
    word = found.group(1).lower()
    today = now.astimezone(ZoneInfo(timezone)).date()
    if word in _RELATIVE_DAYS:
        day = today - timedelta(days=_RELATIVE_DAYS[word])
    elif word in _WEEKDAYS:
        day = today - timedelta(days=(today.weekday() - _WEEKDAYS[word]) % 7 or 7)
    else:
        return None
    clock = _clock(int(found.group(2)), int(found.group(3)), found.group(4))
    return _local(day, clock, timezone) if clock else None


def numeric_date(text: str, timezone: str, day_first: bool | None = None) -> datetime | None:
    """``"11.03.2024, 14:05"``, ``"03-14-2024, 09:15 AM"``, ``"2024-03-11 14:05"`` in ``timezone``.

    Dots mean day-first (every board writing them does); for slashes and
    dashes ``day_first`` decides, and a part above 12 overrides it. ``None``
    when ``text`` is not such a date.
    """
    found = _NUMERIC.fullmatch(text.strip())
    if not found:
        return None
    first, separator, middle, last = found.group(1), found.group(2), int(found.group(3)), found.group(4)
    if len(first) == 4:
        year, month, day = int(first), middle, int(last)
    else:
        if len(last) not in (2, 4):
            return None
        year = int(last) + (2000 if len(last) == 2 else 0)
        a, b = int(first), middle
        if separator == "." or a > 12:
            day_first = True
        elif b > 12:
            day_first = False
        elif day_first is None:
            day_first = separator == "-"  # "11-03-2024" is European; "03/11/2024" American
        day, month = (a, b) if day_first else (b, a)
    clock = (0, 0)
    if found.group(5):
        clock = _clock(int(found.group(5)), int(found.group(6)), found.group(8))
        if clock is None:
            return None
    try:
        return _local(date(year, month, day), clock, timezone)
    except ValueError:
        return None


def from_timestamp(value: str | None) -> datetime | None:
    """A Unix timestamp in seconds (or milliseconds) as an aware UTC datetime."""
    if not value or not value.strip().isdigit():
        return None
    seconds = int(value)
    if seconds > 10**11:
        seconds //= 1000
    return datetime.fromtimestamp(seconds, UTC)


def parse_shown(text: str | None, now: datetime, timezone: str, day_first: bool | None = None) -> datetime | None:
    """A date as a board shows it: the forum-specific readers first, then dateparser."""
    if not text:
        return None
    return (
        relative_day(text, now, timezone)
        or numeric_date(text, timezone, day_first)
        or parse_datetime(text, now=now, timezone=timezone)
    )


def parse_machine(value: str | None) -> datetime | None:
    """A machine-readable date (ISO 8601, or a Unix timestamp) as an aware UTC datetime."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return from_timestamp(value)
    try:
        return parse_datetime(value)
    except (ValueError, OverflowError):
        return None
