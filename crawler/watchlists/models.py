"""What a watchlist is, typed and checked: a saved search or an entity, its owner, checkpoint and channels.

Everything that reaches MongoDB from a watchlist passes through these models first: the saved search is a
:class:`crawler.query.SearchParams` (itself validated), the entity id and names match fixed patterns, and a
stored document is validated again when it is read back (a document edited by hand cannot smuggle an
operator into a query).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, StringConstraints, field_validator, model_validator

from crawler.accounts.users import USERNAME_PATTERN
from crawler.query.models import SearchParams, utc

WATCHLIST_ID_PATTERN = r"^[0-9a-f]{16}$"
# An entity id as crawler/storage/entities.py makes it: "<type>:<value>", the value free text without
# control characters (a phone in E.164, an e-mail, a handle, a photo key, a text cluster id).
ENTITY_TYPES = ("phone", "email", "handle", "image", "text_cluster")
ENTITY_ID_PATTERN = r"^(phone|email|handle|image|text_cluster):[^\x00-\x1f\x7f]{1,300}$"
# Paging and display fields of a search are not part of what is watched.
NOT_WATCHED = {"limit", "cursor", "facets", "sort"}

Username = Annotated[StrictStr, StringConstraints(pattern=USERNAME_PATTERN)]
WatchlistName = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
EntityId = Annotated[StrictStr, StringConstraints(pattern=ENTITY_ID_PATTERN)]


class Kind(StrEnum):
    SEARCH = "search"
    ENTITY = "entity"


class ChannelName(StrEnum):
    """The alert channels of crawler/monitoring/channels.py, as configured for the installation."""

    WEBHOOK = "webhook"
    EMAIL = "email"


class Change(StrEnum):
    NEW = "new"  # first seen since the checkpoint
    CHANGED = "changed"  # a new version of a listing seen before


def watched_search(params: SearchParams) -> SearchParams:
    """The search as a watchlist keeps it: without page, sort or cursor; it must narrow something."""
    kept = SearchParams.model_validate(params.model_dump(exclude=NOT_WATCHED))
    if not kept.filters_set():
        raise ValueError("a watched search needs words, a contact or at least one filter (it would match everything)")
    return kept


class WatchlistSpec(BaseModel):
    """A new watchlist as an analyst asks for it (the HTTP API's body, the CLI's options, the web form)."""

    model_config = ConfigDict(extra="forbid")

    name: WatchlistName
    kind: Kind
    search: SearchParams | None = Field(None, description="for kind=search: the search to watch")
    entity: StrictStr | None = Field(
        None, max_length=300, description="for kind=entity: an entity id or a contact value in any written form"
    )
    notify: list[ChannelName] = Field(
        default_factory=list, max_length=2, description="channels told about new hits: none, webhook, email or both"
    )

    @field_validator("notify")
    @classmethod
    def _unique(cls, values: list[ChannelName]) -> list[ChannelName]:
        return sorted(set(values))

    @model_validator(mode="after")
    def _one_target(self) -> WatchlistSpec:
        if self.kind is Kind.SEARCH:
            if self.search is None or self.entity is not None:
                raise ValueError("a search watchlist takes `search` and no `entity`")
            self.search = watched_search(self.search)
        elif self.entity is None or self.search is not None or not self.entity.strip():
            raise ValueError("an entity watchlist takes `entity` and no `search`")
        return self


class Delivery(BaseModel):
    channel: str
    target: str
    ok: bool
    attempts: int
    error: str | None = None
    at: datetime


class LastNotice(BaseModel):
    at: datetime
    hits: int
    deliveries: list[Delivery] = Field(default_factory=list)


class Watchlist(BaseModel):
    """A stored watchlist (collection ``watchlists``)."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[StrictStr, StringConstraints(pattern=WATCHLIST_ID_PATTERN)]
    owner: Username
    name: WatchlistName
    kind: Kind
    search: SearchParams | None = None
    entity: EntityId | None = None
    notify: list[ChannelName] = Field(default_factory=list)
    created: datetime
    checkpoint: datetime = Field(description="listings whose current version began before this were looked at")
    last_check: datetime | None = None
    last_error: str | None = None
    last_notice: LastNotice | None = None

    @field_validator("created", "checkpoint", "last_check")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return utc(value)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Watchlist:
        return cls.model_validate({**doc, "id": doc["_id"]})

    def document(self) -> dict[str, Any]:
        data = self.model_dump(mode="python", exclude={"id", "search", "last_notice"})
        data.update(_id=self.id, kind=self.kind.value, notify=[c.value for c in self.notify])
        data["search"] = (
            self.search.model_dump(mode="python", exclude=NOT_WATCHED, exclude_defaults=True) if self.search else None
        )
        data["last_notice"] = self.last_notice.model_dump() if self.last_notice else None
        return data

    def describe(self) -> str:
        """One line saying what is watched: the search's parameters or the entity."""
        if self.kind is Kind.ENTITY:
            return f"entity {self.entity}"
        assert self.search is not None
        data = self.search.model_dump(mode="json", exclude=NOT_WATCHED, exclude_defaults=True)
        shown = {k: ",".join(map(str, v)) if isinstance(v, list) else v for k, v in data.items()}
        return "search " + " ".join(f"{k}={v}" for k, v in shown.items())


class Hit(BaseModel):
    """A listing version that matched a watchlist (collection ``watchlist_hits``)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    watchlist_id: str
    listing_id: str
    version: int
    change: Change
    found_at: datetime = Field(description="when the check found it")
    listed_at: datetime | None = Field(None, description="when this version of the listing was first seen")
    seen: bool = False
    site: str = ""
    kind: str = ""
    title: str | None = None
    url: str = ""

    @field_validator("found_at", "listed_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return utc(value)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Hit:
        return cls.model_validate({**doc, "id": doc["_id"]})
