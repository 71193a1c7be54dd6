"""/api/v1/me, /api/v1/users (admin) and /api/v1/tokens (your own)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response, status

from crawler.accounts import tokens, users
from crawler.accounts.roles import Role
from crawler.accounts.users import USERNAME_PATTERN, AccountError
from crawler.web.auth import Forbidden, Principal, csrf_token, database, record, require_role
from crawler.web.models import Error, Me, TokenCreate, TokenCreated, TokenOut, UserCreate, UserCreated, UserOut

router = APIRouter(prefix="/api/v1", responses={401: {"model": Error}, 403: {"model": Error}})

Viewer = Annotated[Principal, Depends(require_role(Role.VIEWER))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]
Username = Annotated[str, Path(pattern=USERNAME_PATTERN, description="lower-case letters, digits, _ . -")]


def _user_out(user: users.User) -> UserOut:
    return UserOut(
        username=user.username,
        role=user.role,
        disabled=user.disabled,
        created_at=user.created_at,
        last_login=user.last_login,
    )


def _token_out(token: tokens.ApiToken) -> TokenOut:
    return TokenOut(
        token_id=token.token_id,
        name=token.name,
        role=token.role,
        created_at=token.created_at,
        last_used=token.last_used,
        revoked_at=token.revoked_at,
    )


@router.get("/me", response_model=Me, tags=["accounts"])
def me(request: Request, principal: Viewer) -> Me:
    """Who you are signed in as, and the CSRF token for your session."""
    token = csrf_token(request, principal)
    return Me(username=principal.username, role=principal.role, via=principal.via, csrf_token=token or None)


@router.get("/users", response_model=list[UserOut], tags=["accounts"])
def list_users(request: Request, principal: Admin) -> list[UserOut]:
    """Every account (admin)."""
    return [_user_out(u) for u in users.list_users(database(request))]


@router.post(
    "/users",
    response_model=UserCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["accounts"],
    responses={409: {"model": Error}},
)
def create_user(request: Request, body: UserCreate, principal: Admin) -> UserCreated:
    """Create an account (admin). Without a password, one is generated and returned once."""
    try:
        user, generated = users.create_user(database(request), body.username, body.role, body.password)
    except AccountError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    record(request, principal, "user.create", {"username": user.username, "role": user.role.value})
    return UserCreated(user=_user_out(user), password=generated)


def _set_disabled(request: Request, principal: Principal, username: str, disabled: bool) -> UserOut:
    if disabled and username == principal.username:
        raise HTTPException(status.HTTP_409_CONFLICT, "you cannot disable your own account")
    try:
        user = users.set_disabled(database(request), username, disabled)
    except AccountError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    record(request, principal, "user.disable" if disabled else "user.enable", {"username": username})
    return _user_out(user)


@router.post("/users/{username}/disable", response_model=UserOut, tags=["accounts"], responses={404: {"model": Error}})
def disable_user(request: Request, username: Username, principal: Admin) -> UserOut:
    """Disable an account (admin): its sessions end and its API tokens are revoked at once."""
    return _set_disabled(request, principal, username, True)


@router.post("/users/{username}/enable", response_model=UserOut, tags=["accounts"], responses={404: {"model": Error}})
def enable_user(request: Request, username: Username, principal: Admin) -> UserOut:
    """Enable a disabled account again (admin); its old tokens stay revoked."""
    return _set_disabled(request, principal, username, False)


@router.get("/tokens", response_model=list[TokenOut], tags=["tokens"])
def list_tokens(request: Request, principal: Viewer) -> list[TokenOut]:
    """Your API tokens (never their secrets)."""
    return [_token_out(t) for t in tokens.list_tokens(database(request), principal.username)]


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED, tags=["tokens"])
def create_token(request: Request, body: TokenCreate, principal: Viewer) -> TokenCreated:
    """Create an API token for scripts; its secret is in this answer only."""
    if principal.via == "token":
        raise Forbidden("an API token cannot create tokens: sign in with your password")
    role = body.role or principal.role
    if not principal.role.allows(role):
        raise Forbidden(f"a token cannot have more than your own role ({principal.role.value})")
    token, secret = tokens.create_token(database(request), principal.username, body.name, role)
    record(request, principal, "token.create", {"token_id": token.token_id, "name": token.name, "role": role.value})
    return TokenCreated(**_token_out(token).model_dump(), token=secret)


@router.delete(
    "/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["tokens"],
    responses={404: {"model": Error}},
)
def revoke_token(
    request: Request,
    token_id: Annotated[str, Path(pattern=tokens.TOKEN_ID_PATTERN)],
    principal: Viewer,
) -> Response:
    """Revoke one of your tokens."""
    if not tokens.revoke_token(database(request), principal.username, token_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"you have no live token {token_id}")
    record(request, principal, "token.revoke", {"token_id": token_id})
    return Response(status_code=status.HTTP_204_NO_CONTENT)
