"""The Listing model: the unit analysts query (one thread, post, ad, review, business or profile).

Extractors produce plain dicts; the storage pipeline validates them against
:class:`Listing`. Everything an extractor found lives in the *content* fields;
``crawl`` holds what the storage layer adds (first/last seen, hash, version).
The content hash covers the content fields only, so re-crawling an unchanged
page never creates a new version.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class PlatformType(StrEnum):
    """The built-in platform types; plugins may add their own."""

    FORUM = "forum"
    MARKETPLACE = "marketplace"
    REVIEW = "review"


class Kind(StrEnum):
    """The built-in listing kinds; plugins may add their own."""

    THREAD = "thread"
    POST = "post"
    AD = "ad"
    BUSINESS = "business"
    REVIEW = "review"
    PROFILE = "profile"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Author(_Part):
    name: str | None = None
    id: str | None = None
    url: str | None = None


class Location(_Part):
    raw: str | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 code")
    city: str | None = None
    candidates: list[str] = Field(
        default_factory=list, description="when the place name is ambiguous: the countries it may be in"
    )


class Price(_Part):
    amount: float | None = None
    currency: str | None = Field(None, description="ISO 4217 code")
    raw: str | None = None


class Rating(_Part):
    value: float | None = Field(None, ge=0, le=5, description="normalised to 0-5")
    raw: float | None = Field(None, description="as shown on the platform")
    scale: float | None = Field(None, gt=0, description="maximum of the platform's scale")


class Mention(_Part):
    """Where a contact value was found: the field, the character span in it, and the text as written."""

    type: str = Field(description="phone, email, handle or link")
    value: str = Field(description="the normalised value (E.164, lower-case e-mail, 'service:handle', URL)")
    field: str = Field(description="listing field it was found in: body, title, contacts.raw[2]...")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    raw: str = Field(description="the text as written on the page")
    read_in: str | None = Field(
        None, description="for a number written without its country code: the country it was read in (ISO alpha-2)"
    )


class Contacts(_Part):
    phones: list[str] = Field(default_factory=list, description="E.164 where normalised")
    emails: list[str] = Field(default_factory=list)
    handles: list[str] = Field(default_factory=list, description="'service:handle', e.g. 'telegram:anna_jobs'")
    links: list[str] = Field(default_factory=list)
    raw: list[str] = Field(default_factory=list, description="contact text as shown on the page")
    mentions: list[Mention] = Field(default_factory=list, description="where each value was found")


class IndicatorMatch(_Part):
    id: str
    category: str | None = None
    field: str | None = None
    start: int | None = None
    end: int | None = None
    text: str | None = Field(None, description="the matched text as written")
    weight: float | None = None
    language: str | None = None


class ImageHash(_Part):
    """A photo's perceptual hash (the ``imagehash`` plugin, off by default)."""

    url: str
    phash: str = Field(pattern=r"^[0-9a-f]{16}$", description="64-bit DCT perceptual hash (pHash), 16 hex digits")
    photo: str = Field(
        pattern=r"^[0-9a-f]{16}$",
        description="the photograph it shows: the first hash seen within TRAWLER_IMAGE_HASH_DISTANCE bits "
        "(the value of its `image` entity)",
    )


class TextSignature(_Part):
    """Near-duplicate signature of the listing's text (the ``neardup`` plugin; see plugins/neardup)."""

    version: str = Field(description="signature format; signatures of different versions are never compared")
    bands: list[str] = Field(default_factory=list, description="LSH band keys of all units (indexed)")
    minhash: list[str] = Field(
        default_factory=list, description="one MinHash per text unit: base64 of little-endian uint32 values"
    )


class Risk(_Part):
    """A risk score that explains itself: which indicators, with which weights, gave it."""

    score: float = Field(ge=0)
    reasons: list[str] = Field(default_factory=list, description="one line per contributing indicator")


class CrawlMeta(_Part):
    """Set by the storage layer, never by extractors."""

    first_seen: datetime | None = None
    last_seen: datetime | None = None
    content_hash: str | None = None
    version: int = 1
    run_id: str | None = None
    snapshot_id: str | None = None
    removed_at: datetime | None = Field(None, description="when a complete crawl no longer found it (never deleted)")
    text_cluster: str | None = Field(None, description="its near-duplicate text cluster (a `text_cluster` entity)")
    written_at: datetime | None = Field(
        None, description="when this version was stored: the search terms indexer's checkpoint (crawler/query/terms.py)"
    )


# Fields that are not content: changing them never creates a new version.
NON_CONTENT_FIELDS = frozenset({"id", "crawl"})
# Content that drifts while the posting does not change: "3 hours ago" becomes
# "4 hours ago" and resolves to a slightly different instant on every crawl.
# Left out of the hash; a new version (for another reason) still records them.
VOLATILE_FIELDS = frozenset({"posted_at", "posted_at_raw"})
# Stored beside the content, derived from it by the storage layer (search tokens and sort keys,
# crawler/query/tokens.py): never hashed, never diffed, never part of the model.
DERIVED_FIELDS = frozenset({"search"})


def listing_id(site: str, kind: str, native_id: str | None, url: str) -> str:
    """Stable id: readable when the platform gives a native id, a URL hash otherwise."""
    if native_id:
        return f"{site}:{kind}:{native_id}"
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]
    return f"{site}:{kind}:url-{digest}"


class Listing(BaseModel):
    """One collected posting. ``_id`` is stable per (site, kind, native id or URL)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, str_strip_whitespace=True)

    id: str = Field("", alias="_id", description="site:kind:native_id (or url-<sha1> without a native id)")
    site: str = Field(min_length=1)
    platform_type: str = Field(
        pattern=r"^[a-z][a-z0-9_-]*$", description="forum, marketplace, review, or a plugin's own type"
    )
    kind: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", description="thread, post, ad, business, review, profile...")
    url: str = Field(pattern=r"^https?://")
    native_id: str | None = None
    title: str | None = None
    body: str | None = None
    author: Author = Field(default_factory=Author)
    posted_at: datetime | None = None
    posted_at_raw: str | None = None
    location: Location = Field(default_factory=Location)
    price: Price = Field(default_factory=Price)
    rating: Rating = Field(default_factory=Rating)
    contacts: Contacts = Field(default_factory=Contacts)
    language: str | None = None
    images: list[str] = Field(default_factory=list)
    image_hashes: list[ImageHash] = Field(
        default_factory=list, description="perceptual hashes of the first images (imagehash plugin, off by default)"
    )
    parent_id: str | None = Field(None, description="listing this one belongs to (post -> thread, review -> business)")
    category: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict, description="platform-specific fields")
    indicators: list[IndicatorMatch] = Field(default_factory=list)
    text_sig: TextSignature | None = None
    risk: Risk | None = None
    crawl: CrawlMeta = Field(default_factory=CrawlMeta)

    @field_validator("title", "body")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _fill_id(self) -> Listing:
        if not self.id:
            self.id = listing_id(self.site, self.kind, self.native_id, self.url)
        if not (self.title or self.body):
            raise ValueError("a listing needs a title or a body")
        return self

    def content(self) -> dict[str, Any]:
        """The JSON-ready content fields (what an analyst compares between versions)."""
        return self.model_dump(mode="json", exclude=set(NON_CONTENT_FIELDS))

    def to_document(self) -> dict[str, Any]:
        """The MongoDB document (datetimes kept as datetimes)."""
        return self.model_dump(mode="python", by_alias=True)

    def content_hash(self) -> str:
        return document_hash(self.to_document())


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot hash a {type(value).__name__}")


def _without_empty(value: Any) -> Any:
    """``value`` without None, empty strings, lists and dicts, at every depth.

    So a field added to the model later, empty on every listing stored before, changes no content hash: an
    upgrade does not make every stored listing look edited.
    """
    if isinstance(value, dict):
        pruned = {k: _without_empty(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_without_empty(v) for v in value]
    return value


def document_hash(doc: dict[str, Any]) -> str:
    """sha256 of a listing document's stable content (no id, no crawl metadata, no drifting dates).

    Takes the stored form, so the storage layer hashes what it writes without a second serialisation.
    """
    skipped = VOLATILE_FIELDS | DERIVED_FIELDS
    stable = _without_empty({k: v for k, v in doc.items() if k not in ("_id", "crawl") and k not in skipped})
    canonical = json.dumps(stable, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def json_schema() -> dict[str, Any]:
    return Listing.model_json_schema(by_alias=True)
