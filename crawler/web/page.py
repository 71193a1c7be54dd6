"""Rendering a page: the template gets the request, the signed-in user, their CSRF token and the menu."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from crawler.web.auth import Principal, csrf_token
from crawler.web.registry import NavLink


def render(
    request: Request, template: str, context: dict[str, Any], principal: Principal | None, code: int = 200
) -> HTMLResponse:
    nav: list[NavLink] = request.app.state.nav
    allowed = [link for link in nav if principal is not None and principal.role.allows(link.role)]
    full = {
        "principal": principal,
        "csrf_token": csrf_token(request, principal),
        "nav": allowed,
        **context,
    }
    return request.app.state.templates.TemplateResponse(request, template, full, status_code=code)
