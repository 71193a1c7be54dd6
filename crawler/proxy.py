"""A site's proxy: HTTP(S) or SOCKS5, for its plain requests and for its browser-rendered pages alike.

The profile's ``proxy`` is a URL:

- ``http://[user:pass@]host:port`` or ``https://...``: an HTTP proxy. Scrapy's own download handler and
  ``HttpProxyMiddleware`` use it (credentials included), through ``request.meta["proxy"]``.
- ``socks5://...`` or ``socks5h://...``: a SOCKS5 proxy; ``socks5h`` lets the proxy resolve host names, which
  ``.onion`` addresses need (Tor's SOCKS port). Scrapy's default handler speaks no SOCKS, so such a site's
  ``http``/``https`` requests go through the httpx download handler of ``scrapy-download-handlers-incubator``
  (maintained by the Scrapy developers; ``httpx2[socks]``).

A site rendered in a browser gets the same proxy in Chromium's launch options, so no page, script or robots.txt
of a proxied site is ever fetched directly. A SOCKS proxy with a user name is refused for rendered sites:
Chromium does not authenticate to SOCKS proxies. The run record shows the proxy without its credentials.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from scrapy import Request

from crawler.profile_middleware import ProfileMiddleware

HTTP_SCHEMES = ("http", "https")
SOCKS_SCHEMES = ("socks5", "socks5h")
SOCKS_HANDLER = "scrapy_download_handlers_incubator.HttpxDownloadHandler"


def check_proxy(url: str) -> str:
    """``url`` if it is a usable proxy URL; ``ValueError`` saying what is wrong otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in HTTP_SCHEMES + SOCKS_SCHEMES:
        allowed = ", ".join(f"{s}://" for s in HTTP_SCHEMES + SOCKS_SCHEMES)
        raise ValueError(f"proxy {redacted(url)!r}: the scheme must be one of {allowed}")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"proxy {redacted(url)!r}: {exc}") from None
    if not parts.hostname or port is None:
        raise ValueError(f"proxy {redacted(url)!r}: give the host and the port, e.g. socks5h://127.0.0.1:9050")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"proxy {redacted(url)!r}: a proxy URL has no path, query or fragment")
    return url


def is_socks(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in SOCKS_SCHEMES


def redacted(url: str | None) -> str | None:
    """The proxy URL without its user name and password (for logs and the run record)."""
    if not url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()


def handler_settings(url: str | None) -> dict[str, Any]:
    """The download handlers a site with this proxy needs (none for an HTTP proxy or no proxy)."""
    if not is_socks(url):
        return {}
    return {"DOWNLOAD_HANDLERS": {"http": SOCKS_HANDLER, "https": SOCKS_HANDLER}}


def browser_proxy(url: str) -> dict[str, str]:
    """Playwright's ``proxy`` launch option for this proxy URL (credentials as separate fields)."""
    parts = urlsplit(url)
    # Chromium resolves names through a SOCKS5 proxy by itself and knows no "socks5h" scheme.
    scheme = "socks5" if parts.scheme == "socks5h" else parts.scheme
    # "<-loopback>": Chromium otherwise sends requests to localhost around the proxy; a proxied site's requests
    # all go through its proxy, as its plain requests do.
    option = {"server": f"{scheme}://{parts.hostname}:{parts.port}", "bypass": "<-loopback>"}
    if parts.username:
        option["username"] = unquote(parts.username)
        option["password"] = unquote(parts.password or "")
    return option


class ProfileProxyMiddleware(ProfileMiddleware):
    """Sets ``request.meta["proxy"]`` from the profile's ``proxy`` (a request's own proxy wins).

    Runs before Scrapy's HttpProxyMiddleware, which then applies it (credentials included).
    """

    def process_request(self, request: Request, spider: Any = None) -> None:
        profile = self.profile_of(spider)
        if profile is not None and profile.proxy and "proxy" not in request.meta:
            request.meta["proxy"] = profile.proxy
