"""Adaptive revisit intervals, in the manner of Nutch's AdaptiveFetchSchedule.

Each page has an interval. When a fetch finds it unchanged the interval grows
by ``grow``; when it changed it shrinks by ``shrink``; it always stays within
``[minimum, maximum]``. The page is due again ``interval`` after its fetch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class RevisitPolicy:
    initial_s: float = 86400.0
    minimum_s: float = 3600.0
    maximum_s: float = 30 * 86400.0
    grow: float = 1.5
    shrink: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.minimum_s <= self.maximum_s:
            raise ValueError("the revisit bounds need 0 < minimum <= maximum")
        if self.grow < 1 or not 0 < self.shrink <= 1:
            raise ValueError("the revisit factors need grow >= 1 and 0 < shrink <= 1")

    @classmethod
    def from_settings(cls, settings: Any) -> RevisitPolicy:
        return cls(
            initial_s=settings.getfloat("TRAWLER_REVISIT_INITIAL_S", cls.initial_s),
            minimum_s=settings.getfloat("TRAWLER_REVISIT_MIN_S", cls.minimum_s),
            maximum_s=settings.getfloat("TRAWLER_REVISIT_MAX_S", cls.maximum_s),
            grow=settings.getfloat("TRAWLER_REVISIT_GROW", cls.grow),
            shrink=settings.getfloat("TRAWLER_REVISIT_SHRINK", cls.shrink),
        )

    def clamp(self, seconds: float) -> float:
        return min(self.maximum_s, max(self.minimum_s, seconds))

    def next_interval(self, current_s: float | None, changed: bool) -> float:
        """The interval after a fetch: the first fetch gets ``initial``; then grow when unchanged, shrink when
        changed, within the bounds."""
        if current_s is None:
            return self.clamp(self.initial_s)
        return self.clamp(current_s * (self.shrink if changed else self.grow))

    def next_due(self, fetched_at: datetime, interval_s: float) -> datetime:
        return fetched_at + timedelta(seconds=interval_s)
