"""What every demo platform module provides to the demo server and the tests."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

# The demo world's clock: absolute dates are placed before it. Relative dates
# ("3 hours ago") are rendered against the time the platform was built (the
# ``now`` passed to ``build``), and the ground truth says so.
REFERENCE_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BuildOptions:
    """How to generate a demo platform.

    :param seed: the random seed; the same seed gives the same platform, byte for byte.
    :param scale: size knob, 1 = small (hundreds of listings); grows roughly linearly.
    :param revision: 0 = the first state; 1 = some listings edited (a fixed, seeded subset);
        2 = revision 1, and a few marketplace ads taken down.
    :param now: the moment relative dates are rendered against.
    :param change_fraction: share of the listings changed (seeded) on top of ``revision``, for incremental
        recrawl tests: the changed threads/ads move to the top of their lists with a new "last activity"/
        "updated" date, as platforms sorted by activity show them; edited reviews head the review site's
        latest-activity feed. 0 = off.
    :param depth: items per list (forum topics per board, ads per category, businesses per category) are
        multiplied by this; 1 = the usual shallow demo lists. Real boards and categories are deep.
    """

    seed: int = 7
    scale: int = 1
    revision: int = 0
    now: datetime = REFERENCE_NOW
    change_fraction: float = 0.0
    depth: int = 1


@dataclass(frozen=True)
class LoginGate:
    """A members-only area: which pages need a session, and how a session is opened.

    The demo server answers ``POST login_path`` with the form fields ``username``
    and ``password``; a right pair sets a session cookie and redirects to ``/``.
    A protected path without a valid session gets ``required_page``. While a
    session is valid, ``logged_in_marker`` (old, new) is swapped in every HTML
    page, as a real forum shows "Logout" instead of "Login".
    """

    protected: dict[str, Page]
    login_path: str
    username: str
    password: str
    form_page: Page
    failed_page: Page
    required_page: Page
    logged_in_marker: tuple[bytes, bytes]


class DemoPlatform(Protocol):
    """A built demo platform: every page it serves and the listings a perfect crawl stores."""

    name: str  # short platform name, also its default site profile suffix: demo-<name>

    def pages(self) -> dict[str, Page]:
        """Every servable path (with its query string, exactly as linked) mapped to its page, robots.txt included."""
        ...

    def truth(self, base_url: str, site: str) -> list[dict[str, Any]]:
        """The expected listings as Listing dicts (``_id`` and content fields), for a server at ``base_url``."""
        ...


@dataclass(frozen=True)
class Faults:
    """Misbehaviour the demo server can be told to show (none by default), to test crawl monitoring.

    :param status: path regex (matched against path and query) -> the status answered instead of the page,
        e.g. ``{"^/ad/a1000[0-4]$": 429}``: a site that rate-limits or bans some requests.
    :param replace: text -> replacement in every HTML page, e.g. ``{'<time class="posted"': '<span class="x"'}``:
        a site that changed its layout.
    :param throttle: path regex -> ``{"times": n, "status": 429, "retry_after": "2"}``: the first ``n`` requests of
        each matching path are answered with that status (429 by default) and that ``Retry-After`` header (none
        if not given), then the page: a site that rate-limits and tells the crawler how long to wait.

    Given to the server as JSON (``--faults`` or ``TRAWLER_DEMO_FAULTS``).
    """

    status: dict[str, int] = field(default_factory=dict)
    replace: dict[str, str] = field(default_factory=dict)
    throttle: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str) -> Faults:
        raw = json.loads(text) if text.strip() else {}
        return cls(
            {str(k): int(v) for k, v in raw.get("status", {}).items()},
            dict(raw.get("replace", {})),
            {str(k): dict(v) for k, v in raw.get("throttle", {}).items()},
        )

    def throttle_for(self, path: str) -> dict[str, Any] | None:
        return next((rule for pattern, rule in self.throttle.items() if re.search(pattern, path)), None)

    def status_for(self, path: str) -> int | None:
        return next((code for pattern, code in self.status.items() if re.search(pattern, path)), None)

    def apply(self, pages: dict[str, Page]) -> dict[str, Page]:
        """The pages with every replacement made in the HTML ones."""
        if not self.replace:
            return pages
        changed = {}
        for path, page in pages.items():
            body = page.body
            if page.content_type.startswith("text/html"):
                for old, new in self.replace.items():
                    body = body.replace(old.encode("utf-8"), new.encode("utf-8"))
            changed[path] = Page(body, page.content_type, page.status, page.headers) if body != page.body else page
        return changed
