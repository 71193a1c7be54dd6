"""Monitoring thresholds: built-in defaults, overridden by the ``TRAWLER_MONITORING`` setting, then per site.

A site profile's ``monitoring:`` section and the global setting are both read
with :class:`MonitoringOptions`, whose fields are all optional: a field left
out means "as the level below says". :func:`resolve` merges the three levels
into one complete :class:`Thresholds`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# Markers of challenge and block pages served with status 200 (Cloudflare, DataDome, PerimeterX,
# Imperva, Akamai). Deliberately specific: a plain reCAPTCHA widget also sits on many login forms.
DEFAULT_BLOCK_MARKERS: tuple[str, ...] = (
    "cf-chl-",
    "/cdn-cgi/challenge-platform/",
    "<title>just a moment...</title>",
    "attention required! | cloudflare",
    "captcha-delivery.com",
    "px-captcha",
    "_incapsula_resource",
    "<title>access denied</title>",
)


class Thresholds(BaseModel):
    """Every threshold, complete. Rates and coverage are fractions (0.05 = 5 %)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="run the checks after each crawl")
    history_runs: int = Field(5, ge=1, le=50, description="finished runs of the site the baseline is taken from")
    history_days: int = Field(60, ge=1, le=3650, description="only runs started this many days back count")
    min_history: int = Field(2, ge=1, le=50, description="runs needed before comparing with the baseline")
    listings_drop: float = Field(
        0.3, gt=0, le=1, description="alert when listings extracted fall this fraction below the baseline median"
    )
    coverage_drop: float = Field(
        0.25, gt=0, le=1, description="alert when a field's coverage falls this much (absolute) below the baseline"
    )
    min_kind_listings: int = Field(
        20, ge=1, description="listings of a kind, now and in the baseline, before its coverage is compared"
    )
    max_error_rate: float = Field(0.1, ge=0, le=1, description="errors per request above which to alert")
    max_ban_rate: float = Field(0.05, ge=0, le=1, description="blocked responses per response above which to alert")
    rate_rise: float = Field(
        0.02, gt=0, le=1, description="alert when a rate rises this much (absolute) above its baseline median"
    )
    ignore_fields: tuple[str, ...] = Field((), description="fields whose coverage is not checked")
    block_statuses: tuple[int, ...] = Field((403, 429, 503), description="HTTP statuses counted as blocked")
    block_markers: tuple[str, ...] = Field(
        DEFAULT_BLOCK_MARKERS, description="text that marks a 200 page as a challenge or block page"
    )


class MonitoringOptions(BaseModel):
    """A ``monitoring:`` profile section, or the ``TRAWLER_MONITORING`` setting: overrides only.

    ``block_markers`` are added to the markers of the level below; every other field replaces it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = None
    history_runs: int | None = Field(None, ge=1, le=50)
    history_days: int | None = Field(None, ge=1, le=3650)
    min_history: int | None = Field(None, ge=1, le=50)
    listings_drop: float | None = Field(None, gt=0, le=1)
    coverage_drop: float | None = Field(None, gt=0, le=1)
    min_kind_listings: int | None = Field(None, ge=1)
    max_error_rate: float | None = Field(None, ge=0, le=1)
    max_ban_rate: float | None = Field(None, ge=0, le=1)
    rate_rise: float | None = Field(None, gt=0, le=1)
    ignore_fields: list[str] | None = None
    block_statuses: list[Annotated[int, Field(ge=100, le=599)]] | None = None
    block_markers: list[str] | None = None

    def apply_to(self, base: Thresholds) -> Thresholds:
        changes: dict[str, Any] = self.model_dump(exclude_none=True)
        if "block_markers" in changes:
            extra = [m for m in changes["block_markers"] if m and m not in base.block_markers]
            changes["block_markers"] = (*base.block_markers, *extra)
        return base.model_copy(update={k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()})


class MonitoringSettingError(ValueError):
    """``TRAWLER_MONITORING`` holds an unknown field or a value out of range."""


def global_options(settings: Any) -> MonitoringOptions:
    raw = settings.getdict("TRAWLER_MONITORING") if settings is not None else {}
    try:
        return MonitoringOptions.model_validate(raw or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise MonitoringSettingError(f"setting TRAWLER_MONITORING: field {name!r} {first['msg']}") from exc


def resolve(settings: Any, profile: Any = None) -> Thresholds:
    """The thresholds for one site: defaults, then ``TRAWLER_MONITORING``, then the profile's section."""
    thresholds = global_options(settings).apply_to(Thresholds())
    site = getattr(profile, "monitoring", None)
    if isinstance(site, MonitoringOptions):
        thresholds = site.apply_to(thresholds)
    return thresholds
