"""`trawler serve` as its own process: in the system Chromium, log in with the keyboard and open a hostile
listing (nothing runs); and the demo's web page with the login it prints."""

from __future__ import annotations

import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx2
from playwright.sync_api import sync_playwright
from pymongo.database import Database

from crawler.browser import CHROMIUM_ARGS, chromium_path
from crawler.storage import embedded
from crawler.storage.schema import LISTINGS
from tests.conftest import REPO, run_cli
from tests.test_web_security import HOSTILE

PASSWORD = "browser-password-1"


def _start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler", "serve", "--port", str(port)],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stdout.read().decode())
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("trawler serve did not start in 60 s")


def _words(text: str) -> str:
    return " ".join(text.split())


def test_hostile_listing_is_inert_in_chromium(crawl_env: dict[str, str], db: Database, tmp_path: Path) -> None:
    assert db.name == crawl_env["MONGO_DATABASE"]
    db[LISTINGS].insert_one(HOSTILE)
    env = {**crawl_env, "BEA_PASSWORD": PASSWORD}
    added = run_cli(["users", "add", "bea", "--role", "viewer", "--password-env", "BEA_PASSWORD"], env)
    assert added.returncode == 0, added.stderr
    port = embedded.free_port()
    base = f"http://127.0.0.1:{port}"
    server = _start_server(crawl_env, port)
    try:
        key_file = Path(crawl_env["TRAWLER_VAR_DIR"]) / "secret_key"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
            listing_url = f"{base}/listings/{quote(HOSTILE['_id'])}"

            page.goto(listing_url)
            assert page.url == f"{base}/login"
            # Keyboard only: the username field has the focus, Tab moves on, Enter submits.
            assert page.evaluate("document.activeElement.id") == "username"
            page.keyboard.type("bea")
            page.keyboard.press("Tab")
            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{base}/")
            assert _words(page.locator(".who").inner_text()) == "bea (viewer)"

            page.goto(listing_url)
            page.wait_for_load_state("load")
            assert page.evaluate("typeof window.pwned") == "undefined"
            assert page.locator("h1").inner_text() == HOSTILE["title"]
            assert page.locator("main script, main img, main svg, main iframe").count() == 0
            assert page.locator("[onerror], [onload], [onclick]").count() == 0
            links = page.eval_on_selector_all("main a", "els => els.map(e => [e.href, e.rel])")
            # Our own links (entities, pivot) stay on this origin; the only link out is the one http(s) URL.
            outside = [link for link in links if not link[0].startswith(f"{base}/")]
            assert outside == [["http://ok.example/a?b=%3Cc%3E", "noopener noreferrer nofollow"]]
            inert = [_words(t) for t in page.locator(".inert-url").all_inner_texts()]
            assert inert == [
                "javascript:window.pwned=1",
                "profile",  # the author link, labelled
                "java script:window.pwned=1",
                "data:text/html,<script>window.pwned=1</script>",
            ]
            assert "Call now <img src=x onerror=" in page.locator(".scraped").inner_text()
            assert "trawler_session" not in page.evaluate("document.cookie")  # HttpOnly
            page.screenshot(path=str(tmp_path / "hostile-listing.png"), full_page=True)
            # The skip link comes first in the tab order.
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.textContent") == "Skip to content"
            assert errors == []
            browser.close()
        assert (tmp_path / "hostile-listing.png").stat().st_size > 10_000
    finally:
        server.terminate()
        server.wait(20)


def test_the_demo_prints_the_address_and_a_login_that_works(crawl_env: dict[str, str]) -> None:
    port = embedded.free_port()
    code = (
        "from crawler.crawling import project_settings; from crawler.cli.serve import serve_demo; "
        f"serve_demo(project_settings(), {port})"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        env={**os.environ, **crawl_env, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = [proc.stdout.readline(), proc.stdout.readline()]
        assert lines[0] == f"Trawler analyst web page: http://127.0.0.1:{port}/  (Ctrl-C stops)\n", lines
        password = re.fullmatch(r"log in as analyst with password (\S{20})\n", lines[1]).group(1)
        with httpx2.Client(base_url=f"http://127.0.0.1:{port}") as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    form = client.get("/login")
                    break
                except httpx2.TransportError:
                    assert time.monotonic() < deadline, "the demo's web page did not come up"
                    time.sleep(0.2)
            token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', form.text).group(1)
            data = {"username": "analyst", "password": password, "csrf_token": token}
            assert client.post("/login", data=data).status_code == 303
            assert client.get("/api/v1/me").json()["role"] == "analyst"
    finally:
        proc.terminate()
        proc.wait(20)
