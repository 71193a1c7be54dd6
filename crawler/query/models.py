"""The typed questions and answers of the query layer; the CLI, the HTTP API and the web page only render them.

Every parameter is typed and checked here. Strings are text, never operators:
names (sites, kinds, indicators...) must match :data:`NAME`, which rules out
``$where``, dotted keys and white space; a dict or list where a string is
expected (``{"$gt": ""}``) fails validation. Values reach MongoDB only as
values of fixed field names chosen by this package.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, StringConstraints, ValidationInfo, field_validator

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # a bare date: the search reads it as the whole day

# A name: a site, kind, platform type, language, country, indicator id or category. No "$", no ".", no spaces.
NAME = r"^[A-Za-z0-9][A-Za-z0-9_\-:]{0,79}$"
Name = Annotated[StrictStr, StringConstraints(pattern=NAME)]
MAX_TEXT = 500
MAX_PAGE = 500


class Sort(StrEnum):
    DATE = "date"  # when posted (first seen when the page gives no date), newest first
    RISK = "risk"  # risk score, highest first; equal scores newest first


class Status(StrEnum):
    ANY = "any"
    LIVE = "live"
    REMOVED = "removed"


def utc(value: Any) -> datetime | None:
    """A datetime in UTC (a naive one is taken as UTC); anything else is None."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SearchParams(BaseModel):
    """One search: words and phrases, a contact value, filters, sort, page.

    Several values of one filter are alternatives (site A or site B); different filters must all hold.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: StrictStr = Field("", max_length=MAX_TEXT, description='words (all must occur) and "quoted phrases"')
    contact: StrictStr | None = Field(
        None, max_length=200, description="a phone number in any written form, an e-mail or a messenger handle"
    )
    site: list[Name] = Field(default_factory=list, max_length=50)
    platform_type: list[Name] = Field(default_factory=list, max_length=20)
    kind: list[Name] = Field(default_factory=list, max_length=20)
    language: list[Name] = Field(default_factory=list, max_length=20)
    country: list[Name] = Field(default_factory=list, max_length=50)
    city: StrictStr | None = Field(None, max_length=100, description="the city, without case or accents")
    category: list[StrictStr] = Field(default_factory=list, max_length=20, description="the listing's own category")
    indicator: list[Name] = Field(default_factory=list, max_length=50, description="indicator ids")
    indicator_category: list[Name] = Field(default_factory=list, max_length=20)
    min_risk: float | None = Field(None, ge=0, le=1e6)
    max_risk: float | None = Field(None, ge=0, le=1e6)
    posted_since: datetime | None = None
    posted_until: datetime | None = None
    seen_since: datetime | None = Field(None, description="last seen at or after")
    seen_until: datetime | None = Field(None, description="first seen at or before")
    has_contacts: bool | None = None
    status: Status = Status.ANY
    sort: Sort = Sort.DATE
    limit: int = Field(20, ge=1, le=MAX_PAGE)
    cursor: StrictStr | None = Field(None, max_length=400)
    facets: bool = True

    @field_validator("category")
    @classmethod
    def _short(cls, values: list[str]) -> list[str]:
        if any(len(v) > 100 for v in values):
            raise ValueError("a category is at most 100 characters")
        return values

    @field_validator("posted_since", "posted_until", "seen_since", "seen_until", mode="before")
    @classmethod
    def _whole_days(cls, value: Any, info: ValidationInfo) -> Any:
        """A bare date covers its whole day (UTC), in every face: "until 2026-09-30" ends at 23:59:59.999."""
        if isinstance(value, str) and _DAY.fullmatch(value.strip()):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                return value  # not a real day: the datetime parser names the parameter
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime.combine(value, time.max if info.field_name.endswith("until") else time.min, UTC)
        return value

    @field_validator("posted_since", "posted_until", "seen_since", "seen_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return utc(value)

    def filters_set(self) -> bool:
        """Whether any filter other than sort and page is set."""
        skip = {"sort", "limit", "cursor", "facets", "status"}
        data = self.model_dump(exclude=skip)
        return any(v not in (None, "", []) for v in data.values()) or self.status is not Status.ANY

    def fingerprint(self) -> str:
        """What a cursor belongs to: every parameter that changes the result order or set."""
        data = self.model_dump(mode="json", exclude={"limit", "cursor", "facets"})
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:12]


class ContactSummary(BaseModel):
    phones: list[str] = []
    emails: list[str] = []
    handles: list[str] = []


class ListingSummary(BaseModel):
    """One result row."""

    id: str
    site: str
    platform_type: str
    kind: str
    url: str
    title: str | None = None
    snippet: str = Field("", description="the start of the body, or the text around the first match")
    author: str | None = None
    posted_at: datetime | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    removed_at: datetime | None = None
    language: str | None = None
    country: str | None = None
    city: str | None = None
    category: str | None = None
    price: str | None = None
    risk: float = 0.0
    indicators: list[str] = Field(default_factory=list, description="indicator ids")
    contacts: ContactSummary = Field(default_factory=ContactSummary)
    text_cluster: str | None = None


class QueryPlan(BaseModel):
    """How the answer was found: which indexed predicate was queried, and how much was read."""

    strategy: Literal["candidates", "windows", "stored", "none"]
    predicate: dict[str, Any] = Field(default_factory=dict, description="the indexed part of the query")
    index: str | None = Field(None, description="the index meant to serve it")
    candidates: int = Field(0, description="documents read from the database")
    queries: int = 0


class FacetCounts(BaseModel):
    """Listings per value of each filter.

    ``exact``: counted over every match. Otherwise counted over the first ``counted`` matches only (a broad
    filtered search reads a bounded number of listings).
    """

    values: dict[str, dict[str, int]] = Field(default_factory=dict)
    exact: bool = True
    counted: int = 0


class SearchPage(BaseModel):
    items: list[ListingSummary]
    next_cursor: str | None = Field(None, description="pass it back as `cursor` for the next page; None: last page")
    total: int | None = Field(None, description="all matches, when known (None: a broad search, not counted)")
    facets: FacetCounts | None = None
    plan: QueryPlan
    warnings: list[str] = Field(default_factory=list)


class VersionSummary(BaseModel):
    version: int
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    replaced_at: datetime | None = None
    run_id: str | None = None
    snapshot_id: str | None = None
    diff: dict[str, dict[str, Any]] = Field(default_factory=dict, description="field: {old, new} against the next")


class EntityRef(BaseModel):
    id: str
    type: str
    value: str
    listing_count: int = 0
    site_count: int = 0


class ListingView(BaseModel):
    """A listing with everything an analyst checks: fields, entities, versions, evidence."""

    listing: dict[str, Any] = Field(description="the stored document, without derived search data")
    summary: ListingSummary
    entities: list[EntityRef]
    versions: list[VersionSummary] = Field(description="earlier versions, oldest first")
    version: int
    snapshot_id: str | None = Field(None, description="the snapshot's id, which is the page's sha256")
    snapshot_sha256: str | None = None
    snapshot_fetched_at: datetime | None = None


class EntityView(BaseModel):
    entity: EntityRef
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    sites: list[str] = Field(default_factory=list)
    platform_types: list[str] = Field(default_factory=list)
    listings: list[ListingSummary] = Field(default_factory=list, description="oldest first (the timeline)")
    matched_from: str | None = Field(None, description="the value as the analyst typed it, when it was resolved")


class TimelineEvent(BaseModel):
    at: datetime | None
    listing: ListingSummary


class Timeline(BaseModel):
    entity_id: str
    events: list[TimelineEvent] = Field(description="by posted date (first seen without one), oldest first")
    sites: list[str]


class PivotHit(BaseModel):
    listing: ListingSummary
    hops: int = Field(ge=1, le=2)
    via: list[str] = Field(default_factory=list, description="the entities through which it was reached first")


class PivotResult(BaseModel):
    """Listings that share an entity with the start listing (1 hop) or with one of those (2 hops), per site."""

    start: str
    hops: int
    entities: list[EntityRef]
    by_site: dict[str, list[PivotHit]]
    total: int
    truncated: bool = False
