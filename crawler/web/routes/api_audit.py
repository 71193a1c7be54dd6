"""/api/v1/audit (admin): the audit log, a page at a time or streamed whole as CSV / JSON Lines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from bson import ObjectId
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from crawler.accounts import audit
from crawler.accounts.roles import Role
from crawler.query.models import utc
from crawler.web.auth import Principal, database, record, require_role
from crawler.web.exports import csv_lines, jsonl_lines
from crawler.web.models import AuditEntry, Error, Page

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses={401: {"model": Error}, 403: {"model": Error}})

Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
COLUMNS = ("id", "at", "actor", "role", "via", "action", "ip", "params")


def audit_filter(
    actor: Annotated[str | None, Query(pattern=r"^[a-z0-9_.-]{1,64}$", description="who")] = None,
    action: Annotated[str | None, Query(pattern=audit.ACTION_PATTERN, description="e.g. login.failure")] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 time, inclusive")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601 time, inclusive")] = None,
) -> audit.AuditFilter:
    return audit.AuditFilter(actor=actor, action=action, since=utc(since), until=utc(until))


Filter = Annotated[audit.AuditFilter, Depends(audit_filter)]


def _entry(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(doc["_id"]),
        "at": doc["at"],
        "actor": doc["actor"],
        "role": doc.get("role", ""),
        "via": doc.get("via", ""),
        "action": doc["action"],
        "params": doc.get("params", {}),
        "ip": doc.get("ip", ""),
    }


def _params(filters: audit.AuditFilter) -> dict[str, str]:
    return {k: str(v) for k, v in vars(filters).items() if v is not None}


@router.get("", response_model=Page[AuditEntry])
def list_audit(
    request: Request,
    principal: Admin,
    filters: Filter,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9a-f]{24}$", description="next_cursor of the last page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[AuditEntry]:
    """Audit entries, newest first, a keyset page at a time (admin)."""
    before = ObjectId(cursor) if cursor else None
    docs = audit.page(database(request), filters, limit + 1, before)
    record(request, principal, "audit.list", {**_params(filters), "cursor": cursor or ""})
    more = len(docs) > limit
    items = [AuditEntry(**_entry(d)) for d in docs[:limit]]
    return Page[AuditEntry](items=items, next_cursor=items[-1].id if more else None, limit=limit)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}},
)
def export_audit(
    request: Request,
    principal: Admin,
    filters: Filter,
    format: Annotated[Literal["csv", "jsonl"], Query(description="csv or jsonl")] = "csv",
) -> StreamingResponse:
    """Every matching audit entry, newest first, streamed (admin)."""
    db = database(request)
    # The export is recorded before it streams, so it is in the log even if the download is cut off.
    record(request, principal, "audit.export", {**_params(filters), "format": format})
    rows: Iterator[dict[str, Any]] = (_entry(d) for d in audit.iterate(db, filters))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if format == "csv":
        body, media = csv_lines(COLUMNS, rows), "text/csv; charset=utf-8"
    else:
        body, media = jsonl_lines(rows), "application/x-ndjson"
    disposition = f'attachment; filename="trawler-audit-{stamp}.{format}"'
    return StreamingResponse(body, media_type=media, headers={"content-disposition": disposition})
