"""The demo web server: every demo platform on its own port of 127.0.0.1.

All pages are generated once at start and served from memory, so the server
costs the crawler under test as little CPU as possible. Run it with
``trawler demo serve`` or ``python -m crawler.demo.server``; it prints one line
``READY name=url ...`` when every port listens.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import secrets
import signal
import sys
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from crawler.demo.base import REFERENCE_NOW, BuildOptions, DemoPlatform, Faults, LoginGate, Page
from crawler.demo.conditional import conditional_middleware

DEFAULT_PORT_BASE = 8471


@dataclass(frozen=True)
class PlatformEntry:
    name: str
    module: str
    port_offset: int
    env_var: str
    site: str


PLATFORMS: tuple[PlatformEntry, ...] = (
    PlatformEntry("forum", "crawler.demo.forum", 0, "TRAWLER_DEMO_FORUM_URL", "demo-forum"),
    PlatformEntry("market", "crawler.demo.market", 1, "TRAWLER_DEMO_MARKET_URL", "demo-market"),
    PlatformEntry("reviews", "crawler.demo.reviews", 2, "TRAWLER_DEMO_REVIEWS_URL", "demo-reviews"),
    PlatformEntry("market-js", "crawler.demo.market_js", 3, "TRAWLER_DEMO_MARKET_JS_URL", "demo-market-js"),
)
CRAWLED_BY_DEMO = ("forum", "market", "reviews", "market-js")
NEEDS_BROWSER = ("market-js",)


def build_platform(entry: PlatformEntry, options: BuildOptions) -> DemoPlatform:
    return importlib.import_module(entry.module).build(options)


def build_all(options: BuildOptions, names: tuple[str, ...] | None = None) -> dict[str, DemoPlatform]:
    return {e.name: build_platform(e, options) for e in PLATFORMS if names is None or e.name in names}


def urls_for(port_base: int, host: str = "127.0.0.1") -> dict[str, str]:
    return {e.name: f"http://{host}:{port_base + e.port_offset}" for e in PLATFORMS}


def env_for(urls: dict[str, str]) -> dict[str, str]:
    """The environment variables that point the demo site profiles at a running server (and its demo login)."""
    from crawler.demo.forum import MEMBER_PASSWORD, MEMBER_USERNAME

    env = {e.env_var: urls[e.name] for e in PLATFORMS if e.name in urls}
    env |= {"TRAWLER_DEMO_FORUM_USER": MEMBER_USERNAME, "TRAWLER_DEMO_FORUM_PASSWORD": MEMBER_PASSWORD}
    return env


def ground_truth(options: BuildOptions, urls: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Every listing a perfect crawl stores, per site profile name."""
    built = build_all(options, tuple(urls))
    return {e.site: built[e.name].truth(urls[e.name], e.site) for e in PLATFORMS if e.name in built}


def _response(page: Page, session_ok: bool = False, gate: LoginGate | None = None) -> web.Response:
    headers = dict(page.headers)
    headers["Content-Type"] = page.content_type
    body = page.body
    if session_ok and gate is not None and page.content_type.startswith("text/html"):
        body = body.replace(*gate.logged_in_marker)
    return web.Response(body=body, status=page.status, headers=headers)


class Sessions:
    """Logged-in sessions of one platform; each may serve ``budget`` protected pages (0 = unlimited)."""

    COOKIE = "demo_sid"

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.left: dict[str, int] = {}

    def open(self) -> str:
        sid = secrets.token_hex(8)
        self.left[sid] = self.budget
        return sid

    def valid(self, request: web.Request) -> bool:
        return request.cookies.get(self.COOKIE) in self.left

    def spend(self, request: web.Request) -> bool:
        """Use one protected page view; False once the session has expired."""
        sid = request.cookies.get(self.COOKIE)
        if sid not in self.left:
            return False
        if self.budget:
            if self.left[sid] <= 0:
                del self.left[sid]
                return False
            self.left[sid] -= 1
        return True


def _app(platform: DemoPlatform, session_budget: int = 0, faults: Faults | None = None) -> web.Application:
    faults = faults or Faults()
    pages = faults.apply(platform.pages())
    gate: LoginGate | None = platform.login_gate() if hasattr(platform, "login_gate") else None
    lazy = getattr(platform, "lazy_page", None)  # pages drawn on request (the marketplace's photos)
    sessions = Sessions(session_budget)
    throttled: Counter[str] = Counter()  # requests answered with the throttle status, per path

    async def serve(request: web.Request) -> web.Response:
        path = request.path_qs
        if (blocked := faults.status_for(path)) is not None:
            return web.Response(status=blocked, text=f"blocked ({blocked})", content_type="text/plain")
        if (rule := faults.throttle_for(path)) is not None and throttled[path] < int(rule.get("times", 1)):
            throttled[path] += 1
            headers = {"Retry-After": str(rule["retry_after"])} if "retry_after" in rule else {}
            status = int(rule.get("status", 429))
            return web.Response(status=status, text="slow down", content_type="text/plain", headers=headers)
        if gate is not None and path == gate.login_path:
            if request.method != "POST":
                return _response(gate.form_page, sessions.valid(request), gate)
            form = await request.post()
            if form.get("username") == gate.username and form.get("password") == gate.password:
                response = web.HTTPFound("/")
                response.set_cookie(Sessions.COOKIE, sessions.open(), httponly=True)
                return response
            return _response(gate.failed_page)
        if gate is not None and path in gate.protected:
            if sessions.spend(request):
                return _response(gate.protected[path], True, gate)
            return _response(gate.required_page)
        page = pages.get(path) or pages.get(request.raw_path) or (lazy(request.path) if lazy else None)
        if page is None:
            return web.Response(status=404, text="not found", content_type="text/plain")
        return _response(page, gate is not None and sessions.valid(request), gate)

    options = getattr(platform, "options", None)  # Last-Modified: when the platform was built
    app = web.Application(middlewares=[conditional_middleware(options.now if options else REFERENCE_NOW)])
    app.router.add_route("*", "/{tail:.*}", serve)
    return app


async def serve_forever(
    options: BuildOptions,
    port_base: int,
    names: tuple[str, ...] | None = None,
    session_budget: int = 0,
    faults: Faults | None = None,
) -> None:
    platforms = build_all(options, names)
    runners = []
    ready = []
    for entry in PLATFORMS:
        if entry.name not in platforms:
            continue
        runner = web.AppRunner(_app(platforms[entry.name], session_budget, faults), access_log=None)
        await runner.setup()
        port = port_base + entry.port_offset
        await web.TCPSite(runner, "127.0.0.1", port).start()
        runners.append(runner)
        ready.append(f"{entry.name}=http://127.0.0.1:{port}")
    print("READY " + " ".join(ready), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for runner in runners:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port-base", type=int, default=DEFAULT_PORT_BASE)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--revision", type=int, default=0)
    parser.add_argument("--change-fraction", type=float, default=0.0, help="share of listings changed (seeded)")
    parser.add_argument("--depth", type=int, default=1, help="multiply the items per board/category list")
    parser.add_argument("--now", help="ISO time that relative dates are rendered against (default: now)")
    parser.add_argument("--only", help="comma-separated platform names")
    parser.add_argument(
        "--session-pages", type=int, default=0, help="a login session expires after this many members-only pages"
    )
    parser.add_argument(
        "--faults",
        default=os.environ.get("TRAWLER_DEMO_FAULTS", ""),
        help='JSON: {"status": {"path regex": 403}, "replace": {"old html": "new"}, "throttle": {"path regex": '
        '{"times": 1, "retry_after": "2"}}} (crawler.demo.base.Faults)',
    )
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC).replace(microsecond=0)
    options = BuildOptions(
        seed=args.seed,
        scale=args.scale,
        revision=args.revision,
        now=now,
        change_fraction=args.change_fraction,
        depth=args.depth,
    )
    names = tuple(args.only.split(",")) if args.only else None
    try:
        asyncio.run(serve_forever(options, args.port_base, names, args.session_pages, Faults.from_json(args.faults)))
    except OSError as exc:
        print(f"demo server cannot listen: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
