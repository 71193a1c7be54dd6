"""The ``incremental:`` section of a site profile."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class IncrementalOptions(BaseModel):
    """How a site is recrawled incrementally (``docs/incremental.md``); every field may be left out."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = Field(None, description="on/off for this site; unset = the TRAWLER_INCREMENTAL setting")
    row: str | None = Field(
        None, min_length=1, description="CSS selector of one item of a list page (the platform type's default)"
    )
    marker: str | None = Field(
        None,
        min_length=1,
        description="CSS selector, inside a row, of what changes when the item changes (last post, replies, "
        "updated date); unset = the platform type's default, else the row's whole text",
    )
    stop_pagination: bool = Field(True, description="stop at a list page whose items are all stored and unchanged")
    skip_unchanged: bool = Field(True, description="skip detail pages of unchanged items that are not due")
