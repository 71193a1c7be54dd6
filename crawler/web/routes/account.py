"""/account: your API tokens on the web page (create, revoke), for analysts without shell access."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crawler.accounts import tokens
from crawler.accounts.roles import Role
from crawler.web.auth import Principal, database, record, require_role
from crawler.web.page import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]


def _page(request: Request, principal: Principal, new_secret: str = "", code: int = 200) -> Response:
    listed = tokens.list_tokens(database(request), principal.username)
    return render(request, "account.html", {"tokens": listed, "new_secret": new_secret}, principal, code)


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, principal: Viewer) -> Response:
    return _page(request, principal)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    principal: Viewer,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    role: Annotated[Role, Form()] = Role.VIEWER,
) -> Response:
    if not principal.role.allows(role):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a token cannot have more than your role ({principal.role})")
    token, secret = tokens.create_token(database(request), principal.username, name, role)
    record(request, principal, "token.create", {"token_id": token.token_id, "name": token.name, "role": role.value})
    # Shown in this answer only (not after a redirect): the secret is never stored.
    return _page(request, principal, new_secret=secret, code=status.HTTP_201_CREATED)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, principal: Viewer, token_id: Annotated[str, Path(pattern=tokens.TOKEN_ID_PATTERN)]
) -> Response:
    if not tokens.revoke_token(database(request), principal.username, token_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"you have no live token {token_id}")
    record(request, principal, "token.revoke", {"token_id": token_id})
    return RedirectResponse("/account", status_code=status.HTTP_303_SEE_OTHER)
