"""Login, logout and the audit log page for admins (the dashboard, ``/``, is crawler/web/routes/dashboard.py)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from crawler.accounts import audit, ratelimit, users
from crawler.accounts.passwords import burn_time, needs_rehash, verify_password
from crawler.accounts.roles import Role
from crawler.accounts.sessions import create_session, end_session
from crawler.web import csrf
from crawler.web.auth import (
    Principal,
    client_ip,
    cookie_is_secure,
    database,
    record,
    require_role,
    session_cookie_name,
    web_settings,
)
from crawler.web.page import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]


def _login_cookie(request: Request) -> tuple[str, bool]:
    """The pre-login cookie the login form's CSRF token is bound to, and whether it is new."""
    value = request.cookies.get(csrf.LOGIN_COOKIE, "")
    if 20 <= len(value) <= 100:
        return value, False
    return secrets.token_urlsafe(32), True


def _login_page(request: Request, message: str = "", code: int = 200, username: str = "") -> Response:
    value, new = _login_cookie(request)
    token = csrf.token_for(web_settings(request).secret_key, "login", value)
    response = render(
        request, "login.html", {"csrf_token": token, "message": message, "username": username}, None, code
    )
    if new:
        response.set_cookie(
            csrf.LOGIN_COOKIE,
            value,
            httponly=True,
            samesite="strict",
            secure=cookie_is_secure(request),
            path="/login",
        )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _login_page(request)


def _attempt(request: Request, username: str, password: str) -> tuple[str, str]:
    """Check a login; returns (outcome, session token) with outcome ok, blocked or failed."""
    db = database(request)
    settings = web_settings(request)
    ip = client_ip(request)
    typed = username[:200]
    name = typed.strip().lower()
    actor = name if users.valid_username(name) else "-"
    if ratelimit.is_blocked(db, settings.login_limit, name, ip):
        audit.record(db, actor, "login.blocked", {"username": typed}, ip=ip, via="session")
        return "blocked", ""
    user = users.get_user(db, name)
    if user is None:
        burn_time(password)
    if user is None or user.disabled or not verify_password(user.password_hash, password):
        ratelimit.record_failure(db, settings.login_limit, name, ip)
        audit.record(db, actor, "login.failure", {"username": typed}, ip=ip, via="session")
        return "failed", ""
    if needs_rehash(user.password_hash):
        users.set_password(db, user.username, password, end_sessions=False)
    ratelimit.clear_failures(db, name, ip)
    users.note_login(db, user.username)
    session = create_session(db, user.username, settings.session_lifetime)
    audit.record(db, user.username, "login.success", {}, ip=ip, role=user.role.value, via="session")
    return "ok", session.token


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    value = request.cookies.get(csrf.LOGIN_COOKIE, "")
    if not csrf.check(web_settings(request).secret_key, "login", value, csrf_token):
        return _login_page(request, "The login form expired. Please try again.", status.HTTP_403_FORBIDDEN, username)
    outcome, token = await run_in_threadpool(_attempt, request, username, password)
    if outcome == "blocked":
        message = "Too many failed logins for this account from your address. Wait a while and try again."
        return _login_page(request, message, status.HTTP_429_TOO_MANY_REQUESTS, username)
    if outcome == "failed":
        return _login_page(request, "Wrong username or password.", status.HTTP_401_UNAUTHORIZED, username)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(
        session_cookie_name(request),
        token,
        max_age=int(web_settings(request).session_lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=cookie_is_secure(request),
        path="/",
    )
    response.delete_cookie(csrf.LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, principal: Viewer) -> Response:
    end_session(database(request), principal.session_token)
    record(request, principal, "logout")
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(session_cookie_name(request), path="/")
    return response


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(request: Request, principal: Admin) -> Response:
    # A week back at most: an unbounded sorted read costs a scan of the whole log on the embedded server.
    recent = audit.AuditFilter(since=datetime.now(UTC) - timedelta(days=7))
    entries: list[dict[str, Any]] = audit.page(database(request), recent, 100)
    record(request, principal, "audit.list", {"page": "web"})
    return render(request, "audit.html", {"entries": entries}, principal)
