"""CSRF tokens: a synchronizer token bound to the session, as an HMAC of the session token.

Written here (a dozen lines of ``hmac``) rather than taken from a library because the maintained
ones (fastapi-csrf-protect, asgi-csrf, starlette-csrf) implement the double-submit cookie, which is
weaker than a token tied to a server-side session (a cookie planted by a sibling subdomain defeats it)
and needs a second cookie. The login form, which has no session yet, uses a random pre-login cookie
in place of the session token (signed double submit), which stops login CSRF.
"""

from __future__ import annotations

import hashlib
import hmac

FIELD = "csrf_token"
HEADER = "x-csrf-token"
LOGIN_COOKIE = "trawler_login"


def token_for(secret_key: bytes, purpose: str, bound_to: str) -> str:
    return hmac.new(secret_key, f"{purpose}|{bound_to}".encode(), hashlib.sha256).hexdigest()


def check(secret_key: bytes, purpose: str, bound_to: str, presented: object) -> bool:
    if not isinstance(presented, str) or not bound_to:
        return False
    return hmac.compare_digest(token_for(secret_key, purpose, bound_to), presented)
