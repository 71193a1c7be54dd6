"""The three roles and what each may do; a higher role may do everything a lower one may."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"  # search only
    ANALYST = "analyst"  # search, export, watchlists
    ADMIN = "admin"  # users, sites, schedules, the audit log

    @property
    def rank(self) -> int:
        return _RANK[self]

    def allows(self, needed: Role | str) -> bool:
        return self.rank >= Role(needed).rank


_RANK = {Role.VIEWER: 0, Role.ANALYST: 1, Role.ADMIN: 2}


def lowest(a: Role, b: Role) -> Role:
    """The weaker of two roles: a token never grants more than its owner has now."""
    return a if a.rank <= b.rank else b
