"""What every demo platform module provides to the demo server and the tests."""

from __future__ import annotations

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
    """

    seed: int = 7
    scale: int = 1
    revision: int = 0
    now: datetime = REFERENCE_NOW


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
