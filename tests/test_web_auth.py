"""Accounts, sessions, API tokens, login rate limits and the audit log, through the HTTP app."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pymongo
import pytest
from fastapi.testclient import TestClient
from pymongo.database import Database

from crawler.accounts import audit, users
from crawler.accounts.passwords import verify_password
from crawler.accounts.roles import Role
from crawler.accounts.secret import SecretKeyError, load_secret_key
from crawler.storage.schema import API_TOKENS, AUDIT_LOG, SESSIONS, USERS
from tests.conftest import MongoServer, run_cli
from tests.webapp import (
    LOGIN_LIMIT,
    PASSWORDS,
    ROLES,
    Web,
    bearer,
    login,
    make_app,
    post_login,
    running_app,
    signed_in,
)


@pytest.fixture
def web(mongo: MongoServer, db: Database, tmp_path: Path) -> Iterator[Web]:
    yield from running_app(mongo, db, tmp_path)


# --- login, sessions -------------------------------------------------------------------------------------


def test_login_sets_a_hardened_session_cookie_and_is_audited(web: Web) -> None:
    response = post_login(web.client, "ann", PASSWORDS["ann"])
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("trawler_session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert attributes == {"httponly", "max-age", "path", "samesite"}
    assert "samesite=strict" in cookie.lower() and "path=/" in cookie.lower() and "Max-Age=43200" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    session = web.db[SESSIONS].find_one({})
    assert session["username"] == "ann" and session["_id"] != token and len(session["_id"]) == 64
    assert web.client.get("/api/v1/me").json() == {
        "username": "ann",
        "role": "analyst",
        "via": "session",
        "csrf_token": web.client.get("/api/v1/me").json()["csrf_token"],
    }
    assert web.audit() == [
        {
            "actor": "ann",
            "action": "login.success",
            "params": {},
            "ip": "testclient",
            "role": "analyst",
            "via": "session",
        }
    ]
    assert web.db[USERS].find_one({"_id": "ann"})["last_login"] >= session["created_at"] - timedelta(seconds=1)


def test_over_https_the_cookie_is_secure_and_host_bound(web: Web) -> None:
    client = web.new_client(base_url="https://testserver")
    response = post_login(client, "ann", PASSWORDS["ann"])
    cookie = next(c for c in response.headers.get_list("set-cookie") if "session" in c)
    assert cookie.startswith("__Host-trawler_session=") and "; secure" in cookie.lower()
    assert client.get("/api/v1/me").json()["username"] == "ann"


def test_failed_logins_get_one_generic_answer_and_are_audited(web: Web) -> None:
    wrong = post_login(web.client, "ann", "not-the-password")
    unknown = post_login(web.client, "nobody", "whatever-password")
    weird = post_login(web.client, '{"$gt": ""}', "x")
    for response in (wrong, unknown, weird):
        assert response.status_code == 401 and "Wrong username or password." in response.text
    assert "trawler_session" not in web.client.cookies
    assert [(e["actor"], e["action"], e["params"]) for e in web.audit()] == [
        ("ann", "login.failure", {"username": "ann"}),
        ("nobody", "login.failure", {"username": "nobody"}),
        ("-", "login.failure", {"username": '{"$gt": ""}'}),
    ]


def test_login_is_rate_limited_per_username_and_address_then_allowed_after_the_window(web: Web) -> None:
    for _ in range(LOGIN_LIMIT.max_failures):
        assert post_login(web.client, "ann", "wrong-password-1").status_code == 401
    blocked = post_login(web.client, "ann", PASSWORDS["ann"])  # even the right password
    assert blocked.status_code == 429 and "Too many failed logins" in blocked.text
    assert post_login(web.new_client(), "vic", PASSWORDS["vic"]).status_code == 303  # other accounts unaffected
    # Allowed again once the first recorded failure has left the window.
    first = web.db["login_attempts"].find({"username": "ann"}).sort("at", 1).limit(1)[0]["at"]
    time.sleep(max(0.0, (first + LOGIN_LIMIT.window - datetime.now(UTC)).total_seconds() + 0.3))
    assert post_login(web.client, "ann", PASSWORDS["ann"]).status_code == 303
    assert [e["action"] for e in web.audit() if e["actor"] == "ann"] == [
        "login.failure",
        "login.failure",
        "login.failure",
        "login.blocked",
        "login.success",
    ]
    assert web.db["login_attempts"].count_documents({"username": "ann"}) == 0  # cleared by the success


def test_the_limit_survives_a_new_server_process(web: Web, mongo: MongoServer, tmp_path: Path) -> None:
    for _ in range(LOGIN_LIMIT.max_failures):
        post_login(web.client, "ann", "wrong-password-1")
    with TestClient(make_app(mongo, web.db.name, tmp_path / "var2")) as other:
        assert post_login(other, "ann", PASSWORDS["ann"]).status_code == 429


def test_logout_ends_the_session_everywhere(web: Web) -> None:
    csrf = login(web.client, "ann")
    stolen = web.client.cookies["trawler_session"]
    response = web.client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert web.db[SESSIONS].count_documents({}) == 0
    replay = web.new_client(cookies={"trawler_session": stolen})
    assert replay.get("/api/v1/me").status_code == 401
    assert [e["action"] for e in web.audit()] == ["login.success", "logout"]


def test_an_expired_session_is_refused_and_removed(web: Web) -> None:
    login(web.client, "ann")
    web.db[SESSIONS].update_many({}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(seconds=1)}})
    assert web.client.get("/api/v1/me").status_code == 401
    assert web.db[SESSIONS].count_documents({}) == 0


def test_a_bearer_token_decides_alone_but_other_schemes_leave_the_cookie_in_charge(web: Web) -> None:
    login(web.client, "ann")
    basic = web.client.get("/api/v1/me", headers={"authorization": "Basic dXNlcjpwYXNzd29yZA=="})
    assert basic.json()["username"] == "ann"  # e.g. a proxy's own Basic login in front of Trawler
    assert web.client.get("/api/v1/me", headers=bearer("trw_" + "B" * 43)).status_code == 401


# --- roles ---------------------------------------------------------------------------------------------

ROLE_MATRIX = [
    # method, path, json body, expected status for vic (viewer), ann (analyst), ada (admin)
    ("GET", "/api/v1/me", None, (200, 200, 200)),
    ("GET", "/api/v1/tokens", None, (200, 200, 200)),
    ("POST", "/api/v1/tokens", {"name": "t"}, (201, 201, 201)),
    ("GET", "/api/v1/users", None, (403, 403, 200)),
    ("POST", "/api/v1/users", {"username": "new1", "role": "viewer"}, (403, 403, 201)),
    ("POST", "/api/v1/users/new1/disable", None, (403, 403, 200)),
    ("POST", "/api/v1/users/new1/enable", None, (403, 403, 200)),
    ("GET", "/api/v1/audit", None, (403, 403, 200)),
    ("GET", "/api/v1/audit/export", None, (403, 403, 200)),
    ("GET", "/api/v1/openapi.json", None, (200, 200, 200)),
    ("GET", "/", None, (200, 200, 200)),
    ("GET", "/search", None, (200, 200, 200)),
    ("GET", "/account", None, (200, 200, 200)),
    ("GET", "/admin/audit", None, (403, 403, 200)),
    ("GET", "/admin/users", None, (403, 403, 200)),
]


def test_each_role_gets_exactly_its_endpoints(web: Web) -> None:
    for index, name in enumerate(("vic", "ann", "ada")):
        client, csrf = signed_in(web, name)
        for method, path, body, expected in ROLE_MATRIX:
            response = client.request(method, path, json=body, headers={"x-csrf-token": csrf})
            assert response.status_code == expected[index], (name, method, path, response.text)
            if response.status_code == 403 and path.startswith("/api/"):
                assert response.json() == {"detail": f"this needs the admin role (you have {ROLES[name].value})"}


def test_a_token_acts_with_its_own_lower_role(web: Web) -> None:
    client, csrf = signed_in(web, "ada")
    created = client.post(
        "/api/v1/tokens", json={"name": "read only", "role": "viewer"}, headers={"x-csrf-token": csrf}
    )
    assert created.status_code == 201 and created.json()["role"] == "viewer"
    secret = created.json()["token"]
    anonymous = web.new_client()
    assert anonymous.get("/api/v1/me", headers=bearer(secret)).json() == {
        "username": "ada",
        "role": "viewer",
        "via": "token",
        "csrf_token": None,
    }
    assert anonymous.get("/api/v1/users", headers=bearer(secret)).status_code == 403


# --- API tokens ----------------------------------------------------------------------------------------


def test_tokens_are_shown_once_stored_hashed_capped_and_revocable(web: Web) -> None:
    client, csrf = signed_in(web, "ann")
    headers = {"x-csrf-token": csrf}
    too_high = client.post("/api/v1/tokens", json={"name": "x", "role": "admin"}, headers=headers)
    assert too_high.status_code == 403
    assert too_high.json() == {"detail": "a token cannot have more than your own role (analyst)"}
    created = client.post("/api/v1/tokens", json={"name": "nightly export"}, headers=headers).json()
    secret, token_id = created["token"], created["token_id"]
    assert secret.startswith("trw_") and len(secret) == 47 and re.fullmatch(r"[0-9a-f]{16}", token_id)
    stored = web.db[API_TOKENS].find_one({"token_id": token_id})
    assert stored["username"] == "ann" and stored["role"] == "analyst" and secret not in json.dumps(stored, default=str)

    script = web.new_client()
    assert script.get("/api/v1/me", headers=bearer(secret)).json()["via"] == "token"
    assert web.db[API_TOKENS].find_one({"token_id": token_id})["last_used"] is not None
    by_token = script.post("/api/v1/tokens", json={"name": "more"}, headers=bearer(secret))
    assert by_token.status_code == 403
    assert by_token.json() == {"detail": "an API token cannot create tokens: sign in with your password"}
    listed = client.get("/api/v1/tokens").json()
    assert [(t["token_id"], t["name"], t["role"]) for t in listed] == [(token_id, "nightly export", "analyst")]
    assert "token" not in listed[0]

    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    assert script.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 404
    assert script.get("/api/v1/me", headers=bearer("trw_" + "A" * 43)).status_code == 401
    assert [(e["action"], e["params"]) for e in web.audit() if e["action"].startswith("token.")] == [
        ("token.create", {"token_id": token_id, "name": "nightly export", "role": "analyst"}),
        ("token.revoke", {"token_id": token_id}),
    ]


def test_the_account_page_creates_shows_once_and_revokes_tokens(web: Web) -> None:
    client, csrf = signed_in(web, "ann")
    page = client.get("/account").text
    assert "You have no API tokens." in page
    assert re.findall(r'<option value="(\w+)">', page) == ["viewer", "analyst"]
    created = client.post("/account/tokens", data={"name": "<b>nightly</b>", "role": "analyst", "csrf_token": csrf})
    assert created.status_code == 201
    secret = re.search(r'id="new-token" class="secret" type="text" value="(trw_[\w-]{43})"', created.text).group(1)
    assert "<td>&lt;b&gt;nightly&lt;/b&gt;</td>" in created.text
    assert web.new_client().get("/api/v1/me", headers=bearer(secret)).json()["role"] == "analyst"
    assert secret not in client.get("/account").text
    too_high = client.post("/account/tokens", data={"name": "x", "role": "admin", "csrf_token": csrf})
    assert too_high.status_code == 403
    no_csrf = client.post("/account/tokens", data={"name": "x", "role": "viewer"})
    assert no_csrf.status_code == 403
    token_id = web.db[API_TOKENS].find_one({})["token_id"]
    revoked = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert (revoked.status_code, revoked.headers["location"]) == (303, "/account")
    assert web.new_client().get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert client.get("/account").text.count('<span class="revoked">revoked</span>') == 1
    assert [e["action"] for e in web.audit() if e["action"].startswith("token.")] == ["token.create", "token.revoke"]


# --- users ---------------------------------------------------------------------------------------------


def test_admin_creates_and_disables_accounts(web: Web) -> None:
    admin, csrf = signed_in(web, "ada")
    headers = {"x-csrf-token": csrf}
    created = admin.post("/api/v1/users", json={"username": "zoe", "role": "analyst"}, headers=headers)
    assert created.status_code == 201
    generated = created.json()["password"]
    assert created.json()["user"]["username"] == "zoe" and len(generated) == 20
    assert verify_password(web.db[USERS].find_one({"_id": "zoe"})["password_hash"], generated)
    again = admin.post("/api/v1/users", json={"username": "zoe", "role": "viewer"}, headers=headers)
    assert again.status_code == 409 and again.json() == {"detail": "user 'zoe' already exists"}

    zoe = web.new_client()
    assert post_login(zoe, "zoe", generated).status_code == 303
    token = zoe.post(
        "/api/v1/tokens", json={"name": "t"}, headers={"x-csrf-token": zoe.get("/api/v1/me").json()["csrf_token"]}
    )
    secret = token.json()["token"]
    disabled = admin.post("/api/v1/users/zoe/disable", headers=headers)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert zoe.get("/api/v1/me").status_code == 401  # her session ended
    assert web.new_client().get("/api/v1/me", headers=bearer(secret)).status_code == 401  # her token too
    assert post_login(web.new_client(), "zoe", generated).status_code == 401
    assert admin.post("/api/v1/users/ada/disable", headers=headers).json() == {
        "detail": "you cannot disable your own account"
    }
    assert admin.post("/api/v1/users/nobody/disable", headers=headers).json() == {"detail": "no user 'nobody'"}
    assert [u["username"] for u in admin.get("/api/v1/users").json()] == ["ada", "ann", "vic", "zoe"]
    assert [(e["action"], e["params"]) for e in web.audit() if e["action"].startswith("user.")] == [
        ("user.create", {"username": "zoe", "role": "analyst"}),
        ("user.disable", {"username": "zoe"}),
    ]


def test_the_accounts_page_creates_and_disables(web: Web) -> None:
    admin, csrf = signed_in(web, "ada")
    page = admin.get("/admin/users").text
    assert re.findall(r'action="/admin/users/([a-z]+)/(\w+)"', page) == [("ann", "disable"), ("vic", "disable")]
    created = admin.post("/admin/users", data={"username": "yan", "role": "viewer", "csrf_token": csrf})
    assert created.status_code == 201
    password = re.search(r'id="new-password" class="secret" type="text" value="([\w-]{20})"', created.text).group(1)
    assert password not in admin.get("/admin/users").text
    yan = web.new_client()
    assert post_login(yan, "yan", password).status_code == 303
    assert admin.post("/admin/users", data={"username": "yan", "role": "viewer", "csrf_token": csrf}).status_code == 409
    assert (
        admin.post("/admin/users", data={"username": "Bad$", "role": "viewer", "csrf_token": csrf}).status_code == 422
    )
    assert admin.post("/admin/users/yan/disable", data={}).status_code == 403  # no CSRF token
    done = admin.post("/admin/users/yan/disable", data={"csrf_token": csrf}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, "/admin/users")
    assert yan.get("/api/v1/me").status_code == 401
    assert '<span class="state">disabled</span>' in admin.get("/admin/users").text
    assert admin.post("/admin/users/yan/enable", data={"csrf_token": csrf}).status_code == 200
    assert [(e["action"], e["params"]) for e in web.audit() if e["action"].startswith("user.")] == [
        ("user.create", {"username": "yan", "role": "viewer"}),
        ("user.disable", {"username": "yan"}),
        ("user.enable", {"username": "yan"}),
    ]


# --- audit log -----------------------------------------------------------------------------------------


def test_audit_pages_are_keyset_pages_and_filter(web: Web) -> None:
    for i in range(7):
        audit.record(web.db, "ann" if i % 2 else "vic", "search", {"q": f"query {i}"}, ip="10.0.0.1")
    client, _ = signed_in(web, "ada")
    seen, cursor = [], None
    while True:
        url = "/api/v1/audit?limit=3&action=search" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url).json()
        assert page["limit"] == 3
        seen += [e["params"]["q"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"query {i}" for i in range(6, -1, -1)]
    by_ann = client.get("/api/v1/audit?actor=ann&action=search").json()["items"]
    assert [e["params"]["q"] for e in by_ann] == ["query 5", "query 3", "query 1"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/audit", params={"since": future}).json()["items"] == []
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert len(client.get("/api/v1/audit", params={"until": past}).json()["items"]) == 0
    assert len(client.get("/api/v1/audit", params={"action": "search", "since": past}).json()["items"]) == 7
    assert client.get("/api/v1/audit?limit=0").status_code == 422
    listed = [e for e in web.audit("audit.list") if e["actor"] == "ada"]
    assert listed[0]["params"] == {"action": "search", "cursor": ""}


def test_audit_exports_stream_every_entry_and_are_audited(web: Web) -> None:
    audit.record(web.db, "ann", "search", {"q": '=HYPERLINK("http://evil.example")'}, ip="10.0.0.2")
    client, _ = signed_in(web, "ada")
    response = client.get("/api/v1/audit/export?format=csv&actor=ann")
    assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="trawler-audit-\d{8}T\d{6}Z\.csv"', response.headers["content-disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["actor"], r["action"], r["ip"]) for r in rows] == [("ann", "search", "10.0.0.2")]
    assert rows[0]["params"] == '{"q": "=HYPERLINK(\\"http://evil.example\\")"}'
    audit.record(web.db, "ann", "search", {"q": "plain"}, ip="10.0.0.2")
    again = client.get("/api/v1/audit/export?actor=ann&action=search").text
    assert [r["params"] for r in csv.DictReader(io.StringIO(again))] == [
        '{"q": "plain"}',
        '{"q": "=HYPERLINK(\\"http://evil.example\\")"}',
    ]

    lines = client.get("/api/v1/audit/export?format=jsonl").text.splitlines()
    entries = [json.loads(line) for line in lines]
    assert [e["action"] for e in entries] == [
        "audit.export",
        "audit.export",
        "search",
        "audit.export",
        "login.success",
        "search",
    ]
    assert entries[0]["params"] == {"format": "jsonl"}
    assert [e["params"] for e in web.audit("audit.export")] == [
        {"actor": "ann", "format": "csv"},
        {"actor": "ann", "action": "search", "format": "csv"},
        {"format": "jsonl"},
    ]


def test_formula_cells_are_neutralised() -> None:
    from crawler.web.exports import spreadsheet_safe

    assert [spreadsheet_safe(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "ok", None, 3)] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "ok",
        "",
        "3",
    ]


def test_the_code_never_updates_or_deletes_audit_entries() -> None:
    sources = "\n".join(p.read_text() for p in Path("crawler").rglob("*.py"))
    writes = re.findall(r"\[AUDIT_LOG\]\.(\w+)", sources)
    assert set(writes) == {"insert_one", "find"}


# --- CLI, demo login, secret key ------------------------------------------------------------------------


def test_users_cli_adds_lists_resets_tokens_and_disables(crawl_env: dict[str, str], mongo: MongoServer) -> None:
    env = {**crawl_env, "NEW_PASSWORD": "cli-password-1234"}
    added = run_cli(["users", "add", "carol", "--role", "viewer", "--password-env", "NEW_PASSWORD"], env)
    assert added.returncode == 0 and added.stdout == "created viewer account carol\n"
    generated = run_cli(["users", "add", "dave"], env)
    password = re.fullmatch(r"created analyst account dave\npassword \(shown only now\): (\S{20})\n", generated.stdout)
    assert password is not None
    bad = run_cli(["users", "add", "Bad$Name"], env)
    assert bad.returncode == 1 and "must match" in bad.stderr

    listing = run_cli(["users", "list"], env).stdout
    assert re.search(r"carol\s+│\s+viewer\s+│\s+active", listing) and re.search(r"dave\s+│\s+analyst", listing)
    token = run_cli(["users", "token", "carol", "--name", "ci"], env)
    secret = token.stdout.split()[-1]
    assert token.returncode == 0 and secret.startswith("trw_")
    reset = run_cli(["users", "password", "dave"], env)
    pattern = r"new password set for dave; its sessions ended\npassword \(shown only now\): (\S{20})\n"
    new_password = re.fullmatch(pattern, reset.stdout).group(1)

    db = pymongo.MongoClient(mongo.uri, tz_aware=True)[crawl_env["MONGO_DATABASE"]]
    assert verify_password(db[USERS].find_one({"_id": "carol"})["password_hash"], "cli-password-1234")
    dave = db[USERS].find_one({"_id": "dave"})["password_hash"]
    assert verify_password(dave, new_password) and not verify_password(dave, password.group(1))
    app = make_app(mongo, crawl_env["MONGO_DATABASE"], Path(crawl_env["TRAWLER_VAR_DIR"]))
    with TestClient(app) as client:
        assert client.get("/api/v1/me", headers=bearer(secret)).json()["username"] == "carol"
        disabled = run_cli(["users", "disable", "carol"], env)
        assert disabled.stdout == "disabled carol\n"
        assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 401
    assert [(e["actor"], e["action"], e["via"]) for e in db[AUDIT_LOG].find({}).sort("_id", 1)] == [
        ("cli", "user.create", "cli"),
        ("cli", "user.create", "cli"),
        ("cli", "token.create", "cli"),
        ("cli", "user.password", "cli"),
        ("cli", "user.disable", "cli"),
    ]


def test_the_demo_login_is_a_fresh_analyst_password_each_time(db: Database) -> None:
    first = users.local_login(db)
    second = users.local_login(db)
    user = users.get_user(db, "analyst")
    assert user.role == Role.ANALYST and not user.disabled and first != second
    assert verify_password(user.password_hash, second) and not verify_password(user.password_hash, first)


def test_secret_key_is_generated_once_with_owner_only_permissions(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.delenv("TRAWLER_SECRET_KEY", raising=False)
    key = load_secret_key(tmp_path / "var")
    path = tmp_path / "var" / "secret_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(key) == 64
    os.chmod(path, 0o644)
    assert load_secret_key(tmp_path / "var") == key and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    monkeypatch.setenv("TRAWLER_SECRET_KEY", "short")
    with pytest.raises(SecretKeyError, match="at least 32 characters"):
        load_secret_key(tmp_path / "var")
    monkeypatch.setenv("TRAWLER_SECRET_KEY", "k" * 40)
    assert load_secret_key(tmp_path / "var") == b"k" * 40
