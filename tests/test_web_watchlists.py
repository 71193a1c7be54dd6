"""Watchlists on the web page and the API: analysts only, each sees only their own, CSRF on every form,
hits after a real batch and a check, audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from pymongo.database import Database

from crawler.accounts.roles import Role
from crawler.accounts.tokens import create_token
from crawler.models import Listing
from crawler.storage.entities import upsert as upsert_entities
from crawler.storage.schema import ensure_indexes
from crawler.storage.writer import ListingWriter, Pending
from crawler.watchlists import check_watchlists, store
from tests.conftest import MongoServer
from tests.test_web_security import _routes as all_routes  # every route, included routers flattened
from tests.webapp import Web, ad, bearer, running_app, signed_in

PHONE = "+447700900123"


def write(db: Database, ads: list[Listing], offset: timedelta = timedelta(seconds=1)) -> None:
    """A batch stored as the pipeline stores it, seen at now + ``offset`` (by default after any watchlist so far)."""
    seen = datetime.now(UTC) + offset
    result = ListingWriter(db).write([Pending(listing, seen, "run-web") for listing in ads])
    upsert_entities(db, (doc for doc, _ in result.stored))


@pytest.fixture
def web(mongo: MongoServer, db: Database, tmp_path: Path) -> Iterator[Web]:
    ensure_indexes(db)
    # Seen before the tests make their watchlists: never a hit.
    write(db, [ad("m1", "1", "Hostess jobs in Dubai", PHONE), ad("m1", "2", "Sofa for sale")], timedelta(minutes=-1))
    yield from running_app(mongo, db, tmp_path)


def token_for(web: Web, username: str, role: Role) -> dict[str, str]:
    _, secret = create_token(web.db, username, "script", role)
    return bearer(secret)


def created_id(response: object) -> str:
    assert response.status_code == 303, response.text
    return re.fullmatch(r"/watchlists/([0-9a-f]{16})", response.headers["location"]).group(1)


def test_an_analyst_saves_a_search_and_sees_its_hits(web: Web) -> None:
    client, csrf = signed_in(web, "ann")
    empty = client.get("/watchlists")
    assert empty.status_code == 200 and "You have no watchlists yet" in empty.text
    form = {"csrf_token": csrf, "watch": "search", "name": "Dubai ads", "q": "dubai", "site": "m1", "sort": "risk"}
    watchlist_id = created_id(client.post("/watchlists", data=form, follow_redirects=False))
    [stored] = store.list_for(web.db, "ann")
    assert (stored.id, stored.name, stored.describe()) == (watchlist_id, "Dubai ads", "search text=dubai site=m1")

    write(web.db, [ad("m1", "3", "Drivers for Dubai"), ad("m2", "4", "Dubai, other site"), ad("m1", "5", "Bike")])
    check_watchlists(web.db)
    write(web.db, [ad("m1", "6", "Cooks in Dubai")])
    check_watchlists(web.db)

    listing = client.get("/watchlists")
    row = re.search(rf'<a href="/watchlists/{watchlist_id}">Dubai ads</a>.*?</tr>', listing.text, re.S).group(0)
    assert '<strong class="unseen">2 new</strong>' in row
    page = client.get(f"/watchlists/{watchlist_id}")
    assert page.status_code == 200
    links = re.findall(r'<td><a href="(/listings/[^"]+)">([^<]+)</a></td>', page.text)
    assert links == [
        ("/listings/m1:ad:6", "Cooks in Dubai"),
        ("/listings/m1:ad:3", "Drivers for Dubai"),
    ]  # newest first
    for html in (listing.text, page.text):  # the CSP allows no inline script or style, nothing from elsewhere
        assert "<script" not in html and "style=" not in html and "<style" not in html
        assert all(u.startswith(("/", "#")) for u in re.findall(r'(?:src|href|action)="([^"]+)"', html))

    seen = client.post(f"/watchlists/{watchlist_id}/seen", data={"csrf_token": csrf}, follow_redirects=False)
    assert (seen.status_code, seen.headers["location"]) == (303, f"/watchlists/{watchlist_id}")
    assert store.unseen_count(web.db, watchlist_id) == 0
    deleted = client.post(f"/watchlists/{watchlist_id}/delete", data={"csrf_token": csrf}, follow_redirects=False)
    assert (deleted.status_code, deleted.headers["location"]) == (303, "/watchlists")
    assert store.list_for(web.db, "ann") == []
    assert [(e["action"], e["params"]) for e in web.audit() if e["action"].startswith("watchlist.")] == [
        ("watchlist.create", {"id": watchlist_id, "name": "Dubai ads", "kind": "search"}),
        ("watchlist.view", {"id": watchlist_id}),
        ("watchlist.seen", {"id": watchlist_id, "marked": 2}),
        ("watchlist.delete", {"id": watchlist_id, "name": "Dubai ads"}),
    ]


def test_watch_an_entity_from_a_form_and_bad_forms_say_why(web: Web) -> None:
    client, csrf = signed_in(web, "ann")
    form = {"csrf_token": csrf, "watch": "entity", "entity": "07700 900123", "name": "the phone", "notify": "webhook"}
    watchlist_id = created_id(client.post("/watchlists", data=form, follow_redirects=False))
    stored = store.get(web.db, watchlist_id)
    assert (stored.entity, stored.notify) == (f"phone:{PHONE}", ["webhook"])
    write(web.db, [ad("m3", "7", "Rooms to let", PHONE)])
    [result] = check_watchlists(web.db)
    assert [h["listing_id"] for h in result.new_hits] == ["m3:ad:7"]

    cases = [
        ({"watch": "entity", "entity": "phone:+1999", "name": "x"}, 404, "no entity &#39;phone:+1999&#39;"),
        ({"watch": "entity", "entity": "07700 900123", "name": "the phone"}, 409, "already have a watchlist named"),
        ({"watch": "search", "name": "all"}, 400, "it would match everything"),
        ({"watch": "search", "name": "x", "site": "$where"}, 400, "bad parameter site"),
        ({"watch": "search", "name": "x", "q": "a", "site[$ne]": "x"}, 400, "bad parameter site[$ne]"),
        ({"watch": "search", "name": "x", "q": "a", "notify": "sms"}, 400, "Input should be"),
        ({"watch": "both", "name": "x", "q": "a"}, 400, "watch must be search or entity"),
    ]
    for fields, code, message in cases:
        response = client.post("/watchlists", data={"csrf_token": csrf, **fields}, follow_redirects=False)
        assert (response.status_code, message in response.text) == (code, True), (fields, response.text[-800:])
    assert [w.id for w in store.list_all(web.db)] == [watchlist_id]


def test_forms_need_the_csrf_token(web: Web) -> None:
    client, csrf = signed_in(web, "ann")
    watchlist_id = created_id(
        client.post("/watchlists", data={"csrf_token": csrf, "name": "d", "q": "dubai"}, follow_redirects=False)
    )
    for path in ("/watchlists", f"/watchlists/{watchlist_id}/seen", f"/watchlists/{watchlist_id}/delete"):
        for token in (None, "0" * 64):
            data = {"name": "e", "q": "dubai"} | ({"csrf_token": token} if token else {})
            assert client.post(path, data=data, follow_redirects=False).status_code == 403, (path, token)
    api = client.post("/api/v1/watchlists", json={"name": "e", "kind": "search", "search": {"text": "dubai"}})
    assert api.status_code == 403
    assert [w.id for w in store.list_all(web.db)] == [watchlist_id]


def test_viewers_are_refused_and_analysts_see_only_their_own(web: Web) -> None:
    from crawler.accounts.users import create_user
    from tests.webapp import post_login

    create_user(web.db, "amy", Role.ANALYST, "amy-password-123")
    ann, ann_csrf = signed_in(web, "ann")
    watchlist_id = created_id(
        ann.post("/watchlists", data={"csrf_token": ann_csrf, "name": "mine", "q": "dubai"}, follow_redirects=False)
    )
    amy = web.new_client()
    assert post_login(amy, "amy", "amy-password-123").status_code == 303
    amy_csrf = amy.get("/api/v1/me").json()["csrf_token"]
    assert "mine" not in amy.get("/watchlists").text
    assert amy.get(f"/watchlists/{watchlist_id}").status_code == 404
    for path in (f"/watchlists/{watchlist_id}/seen", f"/watchlists/{watchlist_id}/delete"):
        assert amy.post(path, data={"csrf_token": amy_csrf}, follow_redirects=False).status_code == 404
    amy_api = token_for(web, "amy", Role.ANALYST)
    assert web.new_client().get("/api/v1/watchlists", headers=amy_api).json() == []
    for method, path in (
        ("GET", f"/api/v1/watchlists/{watchlist_id}"),
        ("GET", f"/api/v1/watchlists/{watchlist_id}/hits"),
        ("POST", f"/api/v1/watchlists/{watchlist_id}/seen"),
        ("DELETE", f"/api/v1/watchlists/{watchlist_id}"),
    ):
        response = web.new_client().request(method, path, headers=amy_api)
        assert response.json() == {"detail": f"you have no watchlist {watchlist_id}"}, (method, path)
    # An admin is no exception: watchlists are their owner's.
    assert web.new_client().get("/api/v1/watchlists", headers=token_for(web, "ada", Role.ADMIN)).json() == []

    vic, vic_csrf = signed_in(web, "vic")
    assert vic.get("/watchlists").status_code == 403
    form = {"csrf_token": vic_csrf, "name": "v", "q": "dubai"}
    assert vic.post("/watchlists", data=form, follow_redirects=False).status_code == 403
    viewer_api = token_for(web, "vic", Role.VIEWER)
    body = {"name": "v", "kind": "search", "search": {"text": "dubai"}}
    assert web.new_client().post("/api/v1/watchlists", json=body, headers=viewer_api).status_code == 403
    analyst_token_as_viewer = token_for(web, "ann", Role.VIEWER)  # a token acts with its own, lower role
    assert web.new_client().get("/api/v1/watchlists", headers=analyst_token_as_viewer).status_code == 403
    assert "Watchlists" not in vic.get("/account").text and "/watchlists" in ann.get("/account").text
    assert [w.owner for w in store.list_all(web.db)] == ["ann"]


def test_the_api_for_token_users(web: Web) -> None:
    client = web.new_client()
    headers = token_for(web, "ann", Role.ANALYST)
    body = {"name": "dubai", "kind": "search", "search": {"text": "dubai", "limit": 5}, "notify": ["email"]}
    created = client.post("/api/v1/watchlists", json=body, headers=headers)
    assert created.status_code == 201, created.text
    out = created.json()
    watchlist_id = out["id"]
    assert {k: out[k] for k in ("owner", "name", "kind", "search", "entity", "notify", "unseen", "hits")} == {
        "owner": "ann",
        "name": "dubai",
        "kind": "search",
        "search": {"text": "dubai"},
        "entity": None,
        "notify": ["email"],
        "unseen": 0,
        "hits": 0,
    }
    entity = client.post(
        "/api/v1/watchlists", json={"name": "p", "kind": "entity", "entity": PHONE}, headers=headers
    ).json()
    assert (entity["entity"], entity["watches"]) == (f"phone:{PHONE}", f"entity phone:{PHONE}")

    write(web.db, [ad("m1", "3", "Drivers for Dubai", PHONE), ad("m1", "4", "Dubai cooks")])
    results = {r.watchlist.id: r for r in check_watchlists(web.db)}
    # No e-mail is configured in this installation: the failed delivery is recorded with the watchlist.
    assert [(d["channel"], d["ok"]) for d in results[watchlist_id].deliveries] == [("email", False)]
    listed = client.get("/api/v1/watchlists", headers=headers).json()
    assert sorted((w["name"], w["unseen"], w["hits"]) for w in listed) == [("dubai", 2, 2), ("p", 1, 1)]
    detail = client.get(f"/api/v1/watchlists/{watchlist_id}", headers=headers).json()
    assert detail["last_notice"]["deliveries"][0]["error"] == (
        "no e-mail recipients are configured (TRAWLER_ALERT_EMAIL_TO)"
    )

    first = client.get(f"/api/v1/watchlists/{watchlist_id}/hits", params={"limit": 1}, headers=headers).json()
    second = client.get(
        f"/api/v1/watchlists/{watchlist_id}/hits", params={"limit": 1, "cursor": first["next_cursor"]}, headers=headers
    ).json()
    assert sorted(h["listing_id"] for h in first["items"] + second["items"]) == ["m1:ad:3", "m1:ad:4"]
    assert second["next_cursor"] is None
    assert client.post(f"/api/v1/watchlists/{watchlist_id}/seen", headers=headers).json() == {"marked": 2}
    unseen = client.get(f"/api/v1/watchlists/{watchlist_id}/hits", params={"unseen": True}, headers=headers).json()
    assert unseen["items"] == []

    assert client.post("/api/v1/watchlists", json=body, headers=headers).status_code == 409
    bad = [
        {"name": "x", "kind": "search", "search": {"site": ["$where"]}},
        {"name": "x", "kind": "search", "search": {"text": {"$gt": ""}}},
        {"name": "x", "kind": "search", "search": {"text": "a"}, "$where": "1"},
        {"name": "x", "kind": "search", "search": {"text": "a", "a.b": 1}},
        {"name": {"$ne": None}, "kind": "search", "search": {"text": "a"}},
        {"name": "x", "kind": "entity", "entity": {"$gt": ""}},
        {"name": "x", "kind": "search", "search": {}},
    ]
    for hostile in bad:
        assert client.post("/api/v1/watchlists", json=hostile, headers=headers).status_code == 422, hostile
    missing = client.post(
        "/api/v1/watchlists", json={"name": "x", "kind": "entity", "entity": "nobody@x.org"}, headers=headers
    )
    assert missing.status_code == 404
    assert client.get("/api/v1/watchlists/not-an-id", headers=headers).status_code == 422
    assert client.get(f"/api/v1/watchlists/{watchlist_id}/hits?cursor=zz", headers=headers).status_code == 400
    assert client.get(f"/api/v1/watchlists/{watchlist_id}/hits?owner=amy", headers=headers).status_code == 400

    assert client.delete(f"/api/v1/watchlists/{watchlist_id}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/watchlists/{watchlist_id}", headers=headers).status_code == 404
    assert web.db[store.HITS].count_documents({"watchlist_id": watchlist_id}) == 0
    audited = [e["action"] for e in web.audit() if e["action"].startswith("watchlist.")]
    assert audited == ["watchlist.create", "watchlist.create", "watchlist.view", "watchlist.view", "watchlist.seen",
                       "watchlist.view", "watchlist.delete"]  # fmt: skip


def test_every_watchlist_route_refuses_anonymous_callers(web: Web) -> None:
    anonymous = TestClient(web.app)
    routes = [(method, path) for method, path in all_routes(web.app) if "watchlists" in path]
    assert len(routes) == 11
    for method, path in routes:
        response = anonymous.request(method, path.replace("{watchlist_id}", "0123456789abcdef"), follow_redirects=False)
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
        else:
            assert (response.status_code, response.headers.get("location")) == (303, "/login"), (method, path)


def test_the_buttons_for_other_pages(web: Web) -> None:
    """The macros search.html and entity.html include: hidden search fields, nothing for viewers."""
    env = web.app.state.templates.env
    macros = env.get_template("_watch_buttons.html").module
    analyst = SimpleNamespace(role=Role.ANALYST)
    items = [("q", 'dubai "visa"'), ("site", "m1"), ("site", "m2"), ("cursor", "abc"), ("sort", "risk")]
    html = str(macros.save_search(items, "tok", analyst))
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html)
    assert hidden == [("csrf_token", "tok"), ("watch", "search"), ("q", "dubai &#34;visa&#34;"), ("site", "m1"),
                      ("site", "m2")]  # fmt: skip
    assert 'action="/watchlists"' in html and "Save this search" in html
    entity = str(macros.watch_entity(f"phone:{PHONE}", "tok", analyst, PHONE))
    assert re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', entity) == [
        ("csrf_token", "tok"),
        ("watch", "entity"),
        ("entity", f"phone:{PHONE}"),
    ]
    assert str(macros.save_search([("sort", "risk"), ("q", "")], "tok", analyst)).strip() == ""  # matches all
    viewer = SimpleNamespace(role=Role.VIEWER)
    assert str(macros.save_search(items, "tok", viewer)).strip() == ""
    assert str(macros.watch_entity("phone:+1", "tok", viewer)).strip() == ""
    # What the search page's form posts is a valid watchlist.
    client, csrf = signed_in(web, "ann")
    posted: dict[str, list[str]] = {"csrf_token": [csrf], "name": ["from search"]}
    for key, value in hidden:
        if key != "csrf_token":
            posted.setdefault(key, []).append(value.replace("&#34;", '"'))
    response = client.post("/watchlists", data=posted)
    assert response.status_code == 200  # followed to the watchlist's page
    [stored] = store.list_for(web.db, "ann")
    assert stored.describe() == 'search text=dubai "visa" site=m1,m2'
