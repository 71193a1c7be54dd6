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
import signal
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from crawler.demo.base import BuildOptions, DemoPlatform, Page

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
CRAWLED_BY_DEMO = ("forum", "market", "reviews")


def build_platform(entry: PlatformEntry, options: BuildOptions) -> DemoPlatform:
    return importlib.import_module(entry.module).build(options)


def build_all(options: BuildOptions, names: tuple[str, ...] | None = None) -> dict[str, DemoPlatform]:
    return {e.name: build_platform(e, options) for e in PLATFORMS if names is None or e.name in names}


def urls_for(port_base: int, host: str = "127.0.0.1") -> dict[str, str]:
    return {e.name: f"http://{host}:{port_base + e.port_offset}" for e in PLATFORMS}


def env_for(urls: dict[str, str]) -> dict[str, str]:
    """The environment variables that point the demo site profiles at a running server."""
    return {e.env_var: urls[e.name] for e in PLATFORMS if e.name in urls}


def ground_truth(options: BuildOptions, urls: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Every listing a perfect crawl stores, per site profile name."""
    built = build_all(options, tuple(urls))
    return {e.site: built[e.name].truth(urls[e.name], e.site) for e in PLATFORMS if e.name in built}


def _app(pages: dict[str, Page]) -> web.Application:
    async def serve(request: web.Request) -> web.Response:
        page = pages.get(request.path_qs) or pages.get(request.raw_path)
        if page is None:
            return web.Response(status=404, text="not found", content_type="text/plain")
        headers = dict(page.headers)
        headers["Content-Type"] = page.content_type
        return web.Response(body=page.body, status=page.status, headers=headers)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", serve)
    return app


async def serve_forever(options: BuildOptions, port_base: int, names: tuple[str, ...] | None = None) -> None:
    platforms = build_all(options, names)
    runners = []
    ready = []
    for entry in PLATFORMS:
        if entry.name not in platforms:
            continue
        runner = web.AppRunner(_app(platforms[entry.name].pages()), access_log=None)
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
    parser.add_argument("--now", help="ISO time that relative dates are rendered against (default: now)")
    parser.add_argument("--only", help="comma-separated platform names")
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC).replace(microsecond=0)
    options = BuildOptions(seed=args.seed, scale=args.scale, revision=args.revision, now=now)
    names = tuple(args.only.split(",")) if args.only else None
    try:
        asyncio.run(serve_forever(options, args.port_base, names))
    except OSError as exc:
        print(f"demo server cannot listen: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
