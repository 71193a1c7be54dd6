"""Downloader middleware: send a site's requests through the proxy its profile names."""

from __future__ import annotations

from typing import Any

from scrapy import Request

from crawler.profile_middleware import ProfileMiddleware


class ProfileProxyMiddleware(ProfileMiddleware):
    """Sets ``request.meta["proxy"]`` from the profile's ``proxy`` (a request's own proxy wins).

    Runs before Scrapy's HttpProxyMiddleware, which then applies it (credentials included).
    """

    def process_request(self, request: Request, spider: Any = None) -> None:
        profile = self.profile_of(spider)
        if profile is not None and profile.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = profile.proxy
