"""The FastAPI application: ``create_app(db_config)`` wires accounts, routes, templates and headers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import pymongo
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pymongo.monitoring import CommandListener

from crawler.accounts.roles import Role
from crawler.accounts.secret import load_secret_key
from crawler.storage.connection import DatabaseConfig
from crawler.storage.schema import ensure_indexes
from crawler.web import render as rendering
from crawler.web.auth import BadParameter, Forbidden, NotAuthenticated, reject_unknown_query_params, require_role
from crawler.web.config import WebSettings
from crawler.web.headers import SecurityHeaders
from crawler.web.page import render
from crawler.web.registry import NavLink, WebExtension, builtin_extensions
from crawler.web.routes import account, admin_users, api_accounts, api_audit, pages

API_VERSION = "v1"
BASE_NAV = (
    NavLink("Dashboard", "/"),
    NavLink("Search", "/search"),
    NavLink("Account", "/account"),
    NavLink("Accounts", "/admin/users", Role.ADMIN),
    NavLink("Audit log", "/admin/audit", Role.ADMIN),
)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(request: Request, code: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": detail}, status_code=code, headers=headers)
    principal = getattr(request.state, "principal", None)
    return render(request, "error.html", {"code": code, "detail": detail}, principal, code)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def not_authenticated(request: Request, exc: NotAuthenticated) -> Response:
        if _is_api(request):
            detail = "authentication required: sign in, or send Authorization: Bearer <token>"
            return JSONResponse({"detail": detail}, status_code=401, headers={"www-authenticate": "Bearer"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _problem(request, 403, str(exc))

    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, exc: BadParameter) -> Response:
        return _problem(request, 400, str(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return _problem(request, exc.status_code, str(exc.detail), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            # FastAPI's own shape (a list of problems with their location), documented in the OpenAPI.
            return JSONResponse({"detail": _jsonable(exc.errors())}, status_code=422)
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:]))}: {e['msg']}" for e in exc.errors())
        return _problem(request, 422, f"bad parameter: {problems}")


def _jsonable(errors: Sequence[Any]) -> list[dict[str, Any]]:
    # Validation errors may carry the offending input or exception objects; keep what JSON can hold.
    out = []
    for error in errors:
        item = {k: error[k] for k in ("type", "loc", "msg") if k in error}
        if isinstance(error.get("input"), str | int | float | bool | type(None)):
            item["input"] = error["input"]
        out.append(item)
    return out


def create_app(
    db_config: DatabaseConfig,
    settings: WebSettings | None = None,
    *,
    extensions: Sequence[WebExtension] | None = None,
    event_listeners: Sequence[CommandListener] = (),
) -> FastAPI:
    """The analyst web app over the database ``db_config`` names.

    ``settings`` default to the environment, with the secret key from TRAWLER_SECRET_KEY or the
    var dir; ``extensions`` default to :func:`builtin_extensions`; ``event_listeners`` are pymongo
    command listeners (tests use one to see exactly which queries the app sends).
    """
    settings = settings or WebSettings.from_env(load_secret_key(db_config.var_dir))
    extensions = builtin_extensions() if extensions is None else list(extensions)
    client: pymongo.MongoClient = pymongo.MongoClient(
        db_config.uri,
        tz_aware=True,
        serverSelectionTimeoutMS=5000,
        w=db_config.write_concern,
        appname="trawler-web",
        event_listeners=list(event_listeners),
    )
    db = client[db_config.name]

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ensure_indexes(db)
        yield
        client.close()

    app = FastAPI(
        title="Trawler analyst API",
        version=API_VERSION,
        description="Accounts, audit log and (as they are added) search, listings and entities. "
        "Authenticate with a session (web page) or `Authorization: Bearer <token>`.",
        openapi_url=None,  # served below, behind a login
        docs_url=None,  # Swagger UI and ReDoc load their scripts from a CDN: not on a closed network
        redoc_url=None,
        lifespan=lifespan,
        dependencies=[Depends(reject_unknown_query_params)],
    )
    app.state.db = db
    app.state.web_settings = settings
    app.state.templates = rendering.templates([e.templates for e in extensions if e.templates])
    app.state.nav = [*BASE_NAV, *(link for e in extensions for link in e.nav)]
    _install_error_handlers(app)

    @app.get(f"/api/{API_VERSION}/openapi.json", include_in_schema=False)
    def openapi(_: Any = Depends(require_role(Role.VIEWER))) -> JSONResponse:
        return JSONResponse(app.openapi())

    app.include_router(pages.router)
    app.include_router(account.router)
    app.include_router(admin_users.router)
    app.include_router(api_accounts.router)
    app.include_router(api_audit.router)
    for extension in extensions:
        app.include_router(extension.router, dependencies=[Depends(require_role(extension.role))])
    app.mount("/static", StaticFiles(directory=rendering.STATIC), name="static")
    app.add_middleware(SecurityHeaders)
    return app
