"""/admin/users: accounts on the web page (admin): list, create (password shown once), disable, enable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crawler.accounts import users
from crawler.accounts.roles import Role
from crawler.accounts.users import USERNAME_PATTERN, AccountError
from crawler.web.auth import Principal, database, record, require_role
from crawler.web.page import render

router = APIRouter(prefix="/admin/users", include_in_schema=False)

Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
Username = Annotated[str, Path(pattern=USERNAME_PATTERN)]


def _page(request: Request, principal: Principal, created: tuple[str, str] | None = None, code: int = 200) -> Response:
    context = {"accounts": users.list_users(database(request)), "created": created}
    return render(request, "admin_users.html", context, principal, code)


@router.get("", response_class=HTMLResponse)
def accounts_page(request: Request, principal: Admin) -> Response:
    return _page(request, principal)


@router.post("", response_class=HTMLResponse)
def create_account(
    request: Request,
    principal: Admin,
    username: Annotated[str, Form(pattern=USERNAME_PATTERN)],
    role: Annotated[Role, Form()],
) -> Response:
    try:
        user, password = users.create_user(database(request), username, role)
    except AccountError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    record(request, principal, "user.create", {"username": user.username, "role": user.role.value})
    # The generated password is in this answer only: it is stored as a hash.
    return _page(request, principal, created=(user.username, password or ""), code=status.HTTP_201_CREATED)


def _set_disabled(request: Request, principal: Principal, username: str, disabled: bool) -> Response:
    if disabled and username == principal.username:
        raise HTTPException(status.HTTP_409_CONFLICT, "you cannot disable your own account")
    try:
        users.set_disabled(database(request), username, disabled)
    except AccountError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    record(request, principal, "user.disable" if disabled else "user.enable", {"username": username})
    return RedirectResponse("/admin/users", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/{username}/disable")
def disable_account(request: Request, principal: Admin, username: Username) -> Response:
    return _set_disabled(request, principal, username, True)


@router.post("/{username}/enable")
def enable_account(request: Request, principal: Admin, username: Username) -> Response:
    return _set_disabled(request, principal, username, False)
