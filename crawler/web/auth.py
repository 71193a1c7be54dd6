"""Who is asking: session cookie or API token, role checks, CSRF checks, and audit entries.

Every route outside ``/login`` and ``/static`` depends on :func:`require_role`; create_app adds it to
extension routers itself, and a test walks the app's routes to check nothing is left open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import Request
from pymongo.database import Database
from starlette.concurrency import run_in_threadpool

from crawler.accounts import audit
from crawler.accounts.roles import Role, lowest
from crawler.accounts.sessions import find_session
from crawler.accounts.tokens import find_token
from crawler.accounts.users import get_user
from crawler.web import csrf
from crawler.web.config import WebSettings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "trawler_session"
SECURE_SESSION_COOKIE = "__Host-trawler_session"  # the __Host- prefix pins it to this host and path /


class NotAuthenticated(Exception):
    pass


class Forbidden(Exception):
    pass


class BadParameter(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    via: Literal["session", "token"]
    session_token: str = ""
    token_id: str = ""


def web_settings(request: Request) -> WebSettings:
    return request.app.state.web_settings


def database(request: Request) -> Database:
    return request.app.state.db


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def cookie_is_secure(request: Request) -> bool:
    mode = web_settings(request).cookie_secure
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def session_cookie_name(request: Request) -> str:
    return SECURE_SESSION_COOKIE if cookie_is_secure(request) else SESSION_COOKIE


def csrf_token(request: Request, principal: Principal | None) -> str:
    if principal is None or principal.via != "session":
        return ""
    return csrf.token_for(web_settings(request).secret_key, "session", principal.session_token)


def _authenticate(request: Request) -> Principal | None:
    db = database(request)
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer":
        # A request that names a token is judged by that token alone, never by a cookie it also carries.
        # (Other schemes, e.g. Basic from a proxy in front, are not ours: the session cookie decides.)
        token = find_token(db, secret.strip())
        user = get_user(db, token.username) if token else None
        if token is None or user is None or user.disabled:
            return None
        return Principal(user.username, lowest(token.role, user.role), "token", token_id=token.token_id)
    cookie = request.cookies.get(session_cookie_name(request))
    session = find_session(db, cookie) if cookie else None
    user = get_user(db, session.username) if session else None
    if session is None or user is None or user.disabled:
        return None
    return Principal(user.username, user.role, "session", session_token=session.token)


async def current_principal(request: Request) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        principal = await run_in_threadpool(_authenticate, request)
        if principal is None:
            raise NotAuthenticated
        request.state.principal = principal
    return principal


async def _check_csrf(request: Request, principal: Principal) -> None:
    presented: object = request.headers.get(csrf.HEADER)
    content_type = request.headers.get("content-type", "")
    if presented is None and content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        presented = (await request.form()).get(csrf.FIELD)
    if not csrf.check(web_settings(request).secret_key, "session", principal.session_token, presented):
        raise Forbidden("CSRF token missing or wrong: reload the page and try again")


def require_role(minimum: Role | str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency: the caller, if signed in with at least ``minimum``; 401/403 otherwise.

    State-changing requests made with the session cookie must also carry the CSRF token (form field
    ``csrf_token`` or header ``X-CSRF-Token``); requests with an API token carry no ambient
    credentials, so they need none.
    """
    needed = Role(minimum)

    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if not principal.role.allows(needed):
            raise Forbidden(f"this needs the {needed.value} role (you have {principal.role.value})")
        if request.method not in SAFE_METHODS and principal.via == "session":
            await _check_csrf(request, principal)
        return principal

    dependency.__name__ = f"require_{needed.value}"
    return dependency


def record(request: Request, principal: Principal, action: str, params: Mapping[str, Any] | None = None) -> None:
    """Append an audit entry for what ``principal`` just did (call from a sync route, i.e. in a thread)."""
    audit.record(
        database(request),
        principal.username,
        action,
        params,
        ip=client_ip(request),
        role=principal.role.value,
        via=principal.via,
    )


def _declared_query_params(dependant: Any) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _declared_query_params(sub)
    return names


async def reject_unknown_query_params(request: Request) -> None:
    """API routes refuse query parameters they do not declare (``actor[$ne]=x`` is an error, not ignored)."""
    route = request.scope.get("route")
    if not request.url.path.startswith("/api/") or route is None or not hasattr(route, "dependant"):
        return
    declared = _declared_query_params(route.dependant)
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        raise BadParameter(f"unknown query parameter(s): {', '.join(unknown)}; allowed: {', '.join(sorted(declared))}")
