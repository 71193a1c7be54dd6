"""A site profile's ``schedule``: a cron expression read in a time zone, or a fixed interval.

Written in a profile as a string (``"*/30 * * * *"``, ``"every 6h"``, ``"every 1h30m"``, ``"every 2s"``) or
as a mapping (``{cron: "0 3 * * *", timezone: Europe/London}``, ``{every: 6h}``; ``distributed: true`` in a
mapping makes each run a distributed crawl, seeded into Redis for ``trawler worker``s, see
:mod:`crawler.scaleout`). A cron schedule is read in
the mapping's ``timezone``, else the profile's ``timezone``. APScheduler's triggers do the calendar work
(day-of-week names, ranges, daylight-saving changes); this module only parses and validates.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from pydantic import BaseModel, ConfigDict, model_validator

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_UNIT_WORDS = {
    "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "hour": "h", "hours": "h", "hr": "h", "hrs": "h",
    "day": "d", "days": "d",
}  # fmt: skip
_PART = re.compile(r"(\d+)\s*([a-z]+)")


def parse_interval(text: str) -> float:
    """Seconds in ``"6h"``, ``"1h30m"``, ``"90 minutes"``, ``"2s"``; ValueError if it is not one."""
    compact = text.strip().lower()
    if not compact:
        raise ValueError("an interval needs a number and a unit, e.g. '6h', '30m', '1h30m'")
    seconds, pos = 0, 0
    for match in _PART.finditer(compact):
        if compact[pos : match.start()].strip(" ,"):
            break
        unit = _UNIT_WORDS.get(match.group(2), match.group(2))
        if unit not in _UNITS:
            raise ValueError(f"unknown unit {match.group(2)!r} in {text!r} (use s, m, h or d)")
        seconds += int(match.group(1)) * _UNITS[unit]
        pos = match.end()
    if pos != len(compact):
        raise ValueError(f"{text!r} is not an interval like '6h', '30m', '1h30m' or '2s'")
    if seconds < 1:
        raise ValueError(f"interval {text!r} must be at least one second")
    return float(seconds)


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as 'Europe/Berlin' or 'UTC')") from None
    return name


class Schedule(BaseModel):
    """When a site is crawled: exactly one of ``cron`` (5 fields) and ``every`` (seconds)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cron: str | None = None
    every: float | None = None
    timezone: str | None = None
    distributed: bool = False  # seed a distributed crawl (Redis, workers) instead of starting a crawl process

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.lower().startswith("every "):
                value = {"every": text[6:]}
            else:
                value = {"cron": text[5:] if text.lower().startswith("cron ") else text}
        if isinstance(value, dict) and isinstance(value.get("every"), str):
            value = {**value, "every": parse_interval(value["every"])}
        return value

    @model_validator(mode="after")
    def _check(self) -> Schedule:
        if (self.cron is None) == (self.every is None):
            raise ValueError("give either a cron expression ('*/30 * * * *') or an interval ('every 6h')")
        if self.every is not None and self.every < 1:
            raise ValueError("the interval must be at least one second")
        if self.timezone is not None:
            check_timezone(self.timezone)
        if self.cron is not None:
            # Builds the trigger once to validate every field with APScheduler's own parser.
            self.trigger("UTC")
        return self

    def trigger(self, default_timezone: str) -> BaseTrigger:
        """The APScheduler trigger; a cron expression is read in ``timezone`` or else ``default_timezone``."""
        zone = self.timezone or default_timezone
        if self.cron is not None:
            try:
                return CronTrigger.from_crontab(self.cron, timezone=zone)
            except ValueError as exc:
                raise ValueError(f"invalid cron expression {self.cron!r}: {exc}") from None
        assert self.every is not None
        return IntervalTrigger(seconds=self.every, timezone=zone)

    def next_after(self, moment: datetime, default_timezone: str) -> datetime:
        """The first run time strictly after ``moment``: an interval counts from ``moment`` (the last run)."""
        if self.every is not None:
            return moment + timedelta(seconds=self.every)
        fire = self.trigger(default_timezone).get_next_fire_time(None, moment + timedelta(microseconds=1))
        assert fire is not None  # a cron expression always fires again
        return fire

    def describe(self, default_timezone: str) -> str:
        """One canonical line, also stored with the schedule to notice a profile's schedule changed."""
        how = ", distributed" if self.distributed else ""
        if self.every is not None:
            return f"every {format_interval(self.every)}{how}"
        return f"cron {' '.join((self.cron or '').split())} ({self.timezone or default_timezone}{how})"


def format_interval(seconds: float) -> str:
    rest, parts = int(seconds), []
    for unit in ("d", "h", "m", "s"):
        count, rest = divmod(rest, _UNITS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
