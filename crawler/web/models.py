"""Request and response models of the /api/v1 routes (they make the OpenAPI description)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from crawler.accounts.passwords import MIN_LENGTH
from crawler.accounts.roles import Role
from crawler.accounts.users import USERNAME_PATTERN

T = TypeVar("T")


class Strict(BaseModel):
    # Unknown fields are an error: a body carrying "$where" or "a.b" keys is refused, not ignored.
    model_config = ConfigDict(extra="forbid")


class Error(BaseModel):
    detail: str


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="pass as `cursor` for the next page; null on the last page")
    limit: int


class Me(BaseModel):
    username: str
    role: Role
    via: str = Field(description="session or token")
    csrf_token: str | None = Field(None, description="send as X-CSRF-Token on state-changing requests (sessions)")


class UserOut(BaseModel):
    username: str
    role: Role
    disabled: bool
    created_at: datetime
    last_login: datetime | None = None


class UserCreate(Strict):
    username: str = Field(pattern=USERNAME_PATTERN, examples=["jdoe"])
    role: Role
    password: str | None = Field(
        None, min_length=MIN_LENGTH, max_length=1000, description="omit to have one generated and returned once"
    )


class UserCreated(BaseModel):
    user: UserOut
    password: str | None = Field(None, description="the generated password, shown only now")


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=100, description="what the token is for")
    role: Role | None = Field(None, description="at most your own role; default: your role")


class TokenOut(BaseModel):
    token_id: str
    name: str
    role: Role
    created_at: datetime
    last_used: datetime | None = None
    revoked_at: datetime | None = None


class TokenCreated(TokenOut):
    token: str = Field(description="the secret, shown only now: send it as `Authorization: Bearer <token>`")


class AuditEntry(BaseModel):
    id: str
    at: datetime
    actor: str
    role: str
    via: str
    action: str
    params: dict[str, Any]
    ip: str
