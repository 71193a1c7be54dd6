"""Settings of the web server, from the environment (documented in docs/configuration.md)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from crawler.accounts.ratelimit import LoginLimit

CookieSecure = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class WebSettings:
    secret_key: bytes
    session_lifetime: timedelta = timedelta(hours=12)
    # auto: Secure cookies when the request came over https (uvicorn --proxy-headers behind a TLS proxy).
    cookie_secure: CookieSecure = "auto"
    login_limit: LoginLimit = field(default_factory=LoginLimit)

    @classmethod
    def from_env(cls, secret_key: bytes) -> WebSettings:
        secure = os.environ.get("TRAWLER_COOKIE_SECURE", "auto")
        if secure not in ("auto", "always", "never"):
            raise ValueError("TRAWLER_COOKIE_SECURE must be auto, always or never")
        return cls(
            secret_key=secret_key,
            session_lifetime=timedelta(hours=float(os.environ.get("TRAWLER_SESSION_HOURS", "12"))),
            cookie_secure=secure,  # type: ignore[arg-type]
            login_limit=LoginLimit(
                max_failures=int(os.environ.get("TRAWLER_LOGIN_MAX_FAILURES", "5")),
                window=timedelta(seconds=float(os.environ.get("TRAWLER_LOGIN_WINDOW", "900"))),
            ),
        )
