"""Security of the web app: anonymous refusal on every route, CSRF, headers, operator injection, inert content."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from bson import ObjectId
from fastapi import APIRouter
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pymongo.database import Database
from starlette.routing import Mount, Route

from crawler.accounts.roles import Role
from crawler.storage.schema import API_TOKENS, LISTINGS
from crawler.web.headers import CSP
from crawler.web.registry import WebExtension, builtin_extensions
from crawler.web.render import http_url
from tests.conftest import MongoServer
from tests.webapp import Web, bearer, login, login_form_token, running_app, signed_in


@pytest.fixture
def web(mongo: MongoServer, db: Database, tmp_path: Path) -> Iterator[Web]:
    yield from running_app(mongo, db, tmp_path)


# Routes anyone may reach: the login form and the stylesheet it needs. Adding one means editing this set.
PUBLIC = {("GET", "/login"), ("POST", "/login")}
PUBLIC_MOUNTS = {"/static"}


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "xx", path)


def _flat_routes(app: Any) -> list[Any]:
    try:  # FastAPI >= 0.16x keeps included routers as such; this flattens them
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return list(app.routes)
    return [context.original_route for context in iter_route_contexts(app.routes)]


def _routes(app: Any) -> list[tuple[str, str]]:
    found = []
    for route in _flat_routes(app):
        if isinstance(route, APIRoute | Route):
            found += [(method, route.path) for method in sorted(route.methods - {"HEAD"})]
    return found


def test_every_route_refuses_anonymous_callers(web: Web) -> None:
    probe = APIRouter()

    @probe.get("/api/v1/probe")
    def forgot_its_own_check() -> dict[str, str]:
        return {"secret": "data"}

    app = make_app_with(web, [*builtin_extensions(), WebExtension("probe", probe)])
    client = TestClient(app)
    routes = _routes(app)
    assert ("GET", "/api/v1/probe") in routes and ("GET", "/listings/{listing_id}") in routes
    assert {m.path for m in _flat_routes(app) if isinstance(m, Mount)} == PUBLIC_MOUNTS
    assert set(routes) >= PUBLIC
    for method, path in routes:
        if (method, path) in PUBLIC:
            continue
        response = client.request(method, _concrete(path), follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json() == {
                "detail": "authentication required: sign in, or send Authorization: Bearer <token>"
            }
        else:
            assert (response.status_code, response.headers.get("location")) == (303, "/login"), (method, path)
    bad_token = client.get("/api/v1/me", headers=bearer("trw_not-a-real-token-at-all-xxxxxxxxxxxxxx"))
    assert bad_token.status_code == 401
    assert client.get("/static/trawler.css").status_code == 200


def make_app_with(web: Web, extensions: list[WebExtension]) -> Any:
    from crawler.storage.connection import DatabaseConfig
    from crawler.web import create_app

    settings = web.app.state.web_settings
    config = DatabaseConfig(_uri(web), web.db.name, "var-unused", embedded=False)
    return create_app(config, settings, extensions=extensions)


def _uri(web: Web) -> str:
    host, port = web.db.client.address
    return f"mongodb://{host}:{port}"


def test_an_extension_gets_the_role_it_declares(web: Web) -> None:
    router = APIRouter()

    @router.get("/api/v1/adminish")
    def adminish() -> dict[str, str]:
        return {"ok": "yes"}

    app = make_app_with(web, [WebExtension("adminish", router, role=Role.ADMIN)])
    analyst, admin = TestClient(app), TestClient(app)
    login(analyst, "ann")
    login(admin, "ada")
    assert analyst.get("/api/v1/adminish").status_code == 403
    assert admin.get("/api/v1/adminish").json() == {"ok": "yes"}


# --- CSRF ----------------------------------------------------------------------------------------------


def test_state_changing_requests_need_the_sessions_csrf_token(web: Web) -> None:
    ann, ann_csrf = signed_in(web, "ann")
    _, vic_csrf = signed_in(web, "vic")
    cases = {
        "missing": {},
        "wrong": {"x-csrf-token": "0" * 64},
        "another session's": {"x-csrf-token": vic_csrf},
    }
    for name, headers in cases.items():
        response = ann.post("/api/v1/tokens", json={"name": "t"}, headers=headers)
        assert response.status_code == 403, name
        assert response.json() == {"detail": "CSRF token missing or wrong: reload the page and try again"}
    form = ann.post("/logout", data={"csrf_token": "0" * 64}, follow_redirects=False)
    assert form.status_code == 403 and "CSRF token missing or wrong" in form.text
    assert ann.get("/api/v1/me").status_code == 200  # still signed in
    assert web.db[API_TOKENS].count_documents({}) == 0
    assert ann.post("/api/v1/tokens", json={"name": "t"}, headers={"x-csrf-token": ann_csrf}).status_code == 201
    assert ann.post("/logout", data={"csrf_token": ann_csrf}, follow_redirects=False).status_code == 303


def test_bearer_tokens_need_no_csrf_token(web: Web) -> None:
    client, csrf = signed_in(web, "ann")
    secret = client.post("/api/v1/tokens", json={"name": "s"}, headers={"x-csrf-token": csrf}).json()["token"]
    script = TestClient(web.app)
    assert script.delete("/api/v1/tokens/0123456789abcdef", headers=bearer(secret)).status_code == 404


def test_the_login_form_is_csrf_protected(web: Web) -> None:
    client = TestClient(web.app)
    token = login_form_token(client)
    no_token = client.post("/login", data={"username": "ann", "password": "ann-password-123"})
    assert no_token.status_code == 403 and "The login form expired" in no_token.text
    forged = TestClient(web.app)  # a token without the browser's own pre-login cookie
    response = forged.post("/login", data={"username": "ann", "password": "ann-password-123", "csrf_token": token})
    assert response.status_code == 403
    assert "trawler_session" not in forged.cookies and web.audit() == []


# --- headers -------------------------------------------------------------------------------------------

EXPECTED_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def test_security_headers_are_on_every_kind_of_response(web: Web) -> None:
    anonymous = TestClient(web.app)
    client, _ = signed_in(web, "ada")
    web.db[LISTINGS].insert_one({"_id": "l1", "title": "t"})
    responses = {
        "login page": anonymous.get("/login"),
        "redirect": anonymous.get("/", follow_redirects=False),
        "401": anonymous.get("/api/v1/me"),
        "404": anonymous.get("/nothing-here"),
        "static": anonymous.get("/static/trawler.css"),
        "page": client.get("/"),
        "listing": client.get("/listings/l1"),
        "422": client.get("/api/v1/audit?limit=x"),
        "400": client.get("/api/v1/audit?bogus=1"),
        "403": signed_in(web, "vic")[0].get("/api/v1/users"),
        "bad token": anonymous.get("/api/v1/me", headers={"authorization": "Bearer x"}),
        "stream": client.get("/api/v1/audit/export"),
        "openapi": client.get("/api/v1/openapi.json"),
    }
    for name, response in responses.items():
        got = {k: response.headers.get(k) for k in EXPECTED_HEADERS}
        assert got == EXPECTED_HEADERS, name
        assert response.headers.get("cache-control") == (None if name == "static" else "no-store"), name
        assert "server" not in response.headers or name != "page"
    assert "frame-ancestors 'none'" in CSP and "unsafe" not in CSP and CSP.startswith("default-src 'self'")


def test_no_page_loads_anything_from_elsewhere_or_inline(web: Web) -> None:
    client, _ = signed_in(web, "ada")
    for path in ("/", "/search?q=x", "/admin/audit", "/login", "/account", "/admin/users"):
        html = client.get(path).text
        assert re.findall(r'(?:src|href)="([^"]+)"', html) and all(
            u.startswith(("/", "#")) for u in re.findall(r'(?:src|href)="([^"]+)"', html)
        ), path
        # Scripts only as local files or inert JSON data (the dashboard's charts): never inline code.
        scripts = re.findall(r"<script([^>]*)>", html)
        local_or_data = r' src="/static/[\w./-]+" defer| type="application/json" id="[\w-]+"'
        assert all(re.fullmatch(local_or_data, attrs) for attrs in scripts), (path, scripts)
        assert "style=" not in html and "<style" not in html, path


def test_the_openapi_description_is_versioned_and_typed(web: Web) -> None:
    client, _ = signed_in(web, "vic")
    spec = client.get("/api/v1/openapi.json").json()
    assert sorted(spec["paths"]) == [
        "/api/v1/audit",
        "/api/v1/audit/export",
        "/api/v1/entities/{entity}",
        "/api/v1/entities/{entity}/evidence",
        "/api/v1/export",
        "/api/v1/listings/{listing_id}",
        "/api/v1/listings/{listing_id}/evidence",
        "/api/v1/listings/{listing_id}/pivot",
        "/api/v1/me",
        "/api/v1/search",
        "/api/v1/snapshots/{sha256}",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/users",
        "/api/v1/users/{username}/disable",
        "/api/v1/users/{username}/enable",
        "/api/v1/watchlists",
        "/api/v1/watchlists/{watchlist_id}",
        "/api/v1/watchlists/{watchlist_id}/hits",
        "/api/v1/watchlists/{watchlist_id}/seen",
    ]
    params = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/audit"]["get"]["parameters"]}
    assert params["limit"] == {"type": "integer", "maximum": 500, "minimum": 1, "default": 50, "title": "Limit"}
    assert client.get("/docs").status_code == 404 and client.get("/openapi.json").status_code == 404


# --- operator injection --------------------------------------------------------------------------------

PAYLOADS: list[Any] = [{"$gt": ""}, {"$where": "1"}, {"$ne": None}, "a.b", "$ne", '{"$gt": ""}', ["x", "y"]]
TEXT_PAYLOADS = ["a.b", "$ne", '{"$gt": ""}', '{"$where": "1"}', "x'; db.dropDatabase(); '"]
# Operators the app itself puts in queries, and the only types they ever take.
OWN_OPERATORS = {
    "$gt": datetime,
    "$lte": datetime,
    "$lt": ObjectId,
    "$gte": ObjectId,
    "$in": list,  # the query layer's "_id in these listing ids": strings only (checked below)
}
UPDATE_COMMANDS = {"update", "findAndModify"}


def _filters(command_name: str, command: dict[str, Any]) -> list[dict[str, Any]]:
    if command_name in ("find", "count", "aggregate"):
        return [command.get("filter") or command.get("query") or {}]
    if command_name == "delete":
        return [d["q"] for d in command.get("deletes", [])]
    if command_name in UPDATE_COMMANDS:
        return [u["q"] for u in command.get("updates", [])] + ([command["query"]] if "query" in command else [])
    return []


def _check_filter(query: dict[str, Any]) -> list[Any]:
    """Every leaf value of a filter; fails on any operator or field name the app does not write itself."""
    leaves = []
    for key, value in query.items():
        assert "." not in key and key not in ("$where", "$expr", "$function", "$ne", "$regex"), (key, query)
        if key.startswith("$"):
            assert key in OWN_OPERATORS and isinstance(value, OWN_OPERATORS[key]), (key, value)
            assert not isinstance(value, list) or all(isinstance(v, str) for v in value), (key, value)
            leaves.append(value)
        elif isinstance(value, dict):
            leaves += _check_filter(value)
        else:
            assert isinstance(value, str | datetime | ObjectId | type(None)), (key, value)
            leaves.append(value)
    return leaves


def _leaves_sent(web: Web) -> list[Any]:
    leaves = []
    for name, _, command in web.recorder.commands:
        for query in _filters(name, command):
            leaves += _check_filter(query)
    return leaves


def test_operator_injection_in_json_bodies_is_refused(web: Web) -> None:
    admin, csrf = signed_in(web, "ada")
    headers = {"x-csrf-token": csrf}
    bodies = []
    for payload in PAYLOADS:
        bodies += [
            ("/api/v1/users", {"username": payload, "role": "viewer"}),
            ("/api/v1/users", {"username": "okname", "role": payload}),
            ("/api/v1/users", {"username": "okname", "role": "viewer", "password": payload}),
            ("/api/v1/tokens", {"name": payload if not isinstance(payload, str) else {"$gt": payload}}),
            ("/api/v1/tokens", {"name": "n", "role": payload}),
        ]
    bodies += [
        ("/api/v1/users", {"username": "okname", "role": "viewer", "$where": "1"}),
        ("/api/v1/users", {"username": "okname", "role": "viewer", "a.b": "1"}),
        ("/api/v1/tokens", {"name": "n", "$where": "1"}),
    ]
    web.recorder.commands.clear()
    for path, body in bodies:
        response = admin.post(path, json=body, headers=headers)
        if body.get("username") in ("a.b",):
            assert response.status_code == 201, body  # a valid username that happens to hold a dot: plain text
            continue
        assert response.status_code == 422, (path, body, response.text)
    assert [name for name, _, _ in web.recorder.commands if name == "insert"] == ["insert", "insert"]
    _leaves_sent(web)


def test_strings_that_look_like_operators_are_stored_and_matched_as_text(web: Web) -> None:
    admin, csrf = signed_in(web, "ada")
    headers = {"x-csrf-token": csrf}
    web.recorder.commands.clear()
    for text in TEXT_PAYLOADS:
        created = admin.post("/api/v1/tokens", json={"name": text}, headers=headers)
        assert created.status_code == 201 and created.json()["name"] == text
        assert web.db[API_TOKENS].find_one({"token_id": created.json()["token_id"]})["name"] == text
        assert admin.get("/search", params={"q": text}).status_code == 200
        assert admin.get(f"/listings/{quote(text, safe='')}").status_code == 404
        status = admin.post(f"/api/v1/users/{quote(text, safe='')}/disable", headers=headers).status_code
        assert status == (404 if text == "a.b" else 422), text
        for param in ("actor", "action"):
            status = admin.get("/api/v1/audit", params={param: text}).status_code
            assert status == (200 if text == "a.b" else 422), (param, text)
        assert admin.get("/api/v1/audit", params={"cursor": text}).status_code == 422
        assert admin.get("/api/v1/audit", params={"since": text}).status_code == 422
        assert admin.get("/api/v1/audit/export", params={"format": text}).status_code == 422
        assert admin.delete(f"/api/v1/tokens/{quote(text, safe='')}", headers=headers).status_code in (404, 422)
        form = {"name": text, "role": "viewer", "csrf_token": csrf}
        assert admin.post("/account/tokens", data=form).status_code == 201
        revoke = admin.post(f"/account/tokens/{quote(text, safe='')}/revoke", data={"csrf_token": csrf})
        assert revoke.status_code == 422
        assert admin.post("/account/tokens", data={**form, "role": text}).status_code == 422
        account = admin.post("/admin/users", data={"username": text, "role": "viewer", "csrf_token": csrf})
        assert account.status_code == (201 if text == "a.b" else 422), text
        toggle = admin.post(f"/admin/users/{quote(text, safe='')}/enable", data={"csrf_token": csrf})
        assert toggle.status_code == (200 if text == "a.b" else 422), text
    for query in ("actor[$ne]=x", "actor[$gt]=", "%24where=1", "a.b=1"):
        response = admin.get(f"/api/v1/audit?{query}")
        assert response.status_code == 400 and response.json()["detail"].startswith("unknown query parameter(s)")
    leaves = _leaves_sent(web)
    # The texts reached the database only as plain string values.
    for text in TEXT_PAYLOADS:
        assert text in leaves, text
    searched = [e["params"]["text"] for e in web.audit("search")]
    assert searched == TEXT_PAYLOADS


def test_login_fields_are_text(web: Web) -> None:
    client = TestClient(web.app)
    web.recorder.commands.clear()
    for text in TEXT_PAYLOADS:
        token = login_form_token(client)
        response = client.post("/login", data={"username": text, "password": text, "csrf_token": token})
        assert response.status_code == 401
    leaves = _leaves_sent(web)
    assert "a.b" in leaves and "a.b|testclient" in leaves and '{"$gt": ""}|testclient' in leaves
    assert [e["params"]["username"] for e in web.audit("login.failure")] == TEXT_PAYLOADS


# --- hostile scraped content ---------------------------------------------------------------------------

HOSTILE = {
    "_id": "demo-market:666",
    "site": "demo-market",
    "platform_type": "marketplace",
    "kind": "ad",
    "title": "<script>window.pwned=1</script>Cheap <b>flat</b>",
    "url": "javascript:window.pwned=1",
    "body": 'Call now <img src=x onerror="window.pwned=1"> <a href="javascript:window.pwned=1">here</a>',
    "author": {"name": '"><svg onload=window.pwned=1>', "url": " JaVaScRiPt:window.pwned=1"},
    "contacts": {
        "phones": ["+447700900123"],
        "links": [
            "java\tscript:window.pwned=1",
            "data:text/html,<script>window.pwned=1</script>",
            "http://ok.example/a?b=<c>",
        ],
    },
}


def test_hostile_listing_fields_render_as_text(web: Web) -> None:
    web.db[LISTINGS].insert_one(HOSTILE)
    client, _ = signed_in(web, "vic")
    html = client.get(f"/listings/{quote(HOSTILE['_id'])}").text
    assert "<script>window" not in html and "<img src=x" not in html and "<svg" not in html
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;Cheap &lt;b&gt;flat&lt;/b&gt;" in html
    assert "onerror=&#34;window.pwned=1&#34;" in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert [h for h in hrefs if not h.startswith(("/", "#"))] == ["http://ok.example/a?b=&lt;c&gt;"]
    assert '<a class="ext" href="http://ok.example/a?b=&lt;c&gt;" rel="noopener noreferrer nofollow"' in html
    assert html.count('<span class="inert-url"') == 4
    assert [e["params"] for e in web.audit("listing.view")] == [{"id": "demo-market:666"}]


def test_only_absolute_http_urls_become_links() -> None:
    assert [
        http_url(u)
        for u in (
            "javascript:alert(1)",
            " JAVASCRIPT:alert(1)",
            "java\tscript:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "//evil.example/x",
            "/relative",
            "http://",
            "https://ok.example/path?q=1#f",
            " http://ok.example ",
            "http://ok.example/a b",
            json.dumps({"$gt": ""}),
            None,
        )
    ] == [
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        "https://ok.example/path?q=1#f",
        "http://ok.example",
        None,
        None,
        None,
    ]
