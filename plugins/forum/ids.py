"""Native ids read from forum URLs: topics, posts, users, and which page of a topic a URL shows.

Forum software puts ids in a handful of URL shapes (``viewtopic.php?t=13``,
``/threads/slug.4567/``, ``/t/slug/2841``, ``/topic/8812-slug/``,
``showthread.php?tid=1187``...). The structured-data and generic layers know
nothing else about a site, so they read ids here; presets use the same
helpers where their URLs fit, so every layer names a listing alike.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

_TOPIC_QUERY = ("t", "tid", "topic", "topic_id", "topicid", "threadid", "thread_id", "showtopic", "thread")
# "id" names a topic only on a topic script (topic.php?id=553), not on user.php?id=12.
_TOPIC_SCRIPT = re.compile(r"/(?:view|show)?(?:topic|thread|tema|temat)\w*\.php$", re.IGNORECASE)
_TOPIC_PATH = (
    re.compile(r"/threads?/[^/]*?\.(\d+)(?:/|$)"),  # XenForo: /threads/slug.4567/
    re.compile(r"/t/[^/]+/(\d+)(?:/|$)"),  # Discourse: /t/slug/2841
    re.compile(r"/t/(\d+)(?:/|$)"),
    re.compile(r"/topics?/(\d+)(?:[-/]|$)"),  # NodeBB /topic/312/slug, IPS /topic/8812-slug/
    re.compile(r"/(?:threads?|discussions?|d)/(\d+)(?:[-/.]|$)"),  # /thread/123, Vanilla /discussion/123/slug
    re.compile(r"/[^/]*?-t(\d+)(?:[-.]|$)"),  # SEO-rewritten phpBB: /jobs-abroad-t4521.html
    re.compile(r"/(\d+)-[^/]+\.html?$"),
)
_POST_QUERY = ("p", "pid", "post", "postid", "post_id", "comment", "msg", "reply")
_POST_FRAGMENT = re.compile(r"^(?:p|post|pid|msg|comment|reply|entry|post[-_])?-?(\d+)$", re.IGNORECASE)
_POST_PATH = (
    re.compile(r"/posts?[-/](\d+)(?:/|$)"),  # XenForo /threads/x.1/post-123, /posts/123/, NodeBB /post/12
    re.compile(r"/comments?/(\d+)(?:/|$)"),
)
_USER_QUERY = ("u", "uid", "user", "userid", "user_id", "showuser", "memberid", "member_id", "profile")
_USER_PATH = (
    re.compile(r"/members?/[^/]*?\.(\d+)(?:/|$)"),  # XenForo /members/name.1234/
    re.compile(r"/(?:profile|profiles|members?|users?|benutzer|people|author)/(\d+)(?:[-/.]|$)"),
    re.compile(r"/(?:u|user|users|profile|profiles|members?|people|author|benutzer)/([^/]+)/?$"),
)
PROFILE_HREF = re.compile(
    r"memberlist\.php\?[^#]*mode=viewprofile|profile\.php\?[^#]*mode=viewprofile|member\.php\?[^#]*action=profile"
    r"|[?&](?:u|uid|userid|user_id|showuser|memberid)=\d|/(?:members?|users?|u|profiles?|people|benutzer|author)/"
    r"|action=profile|showuser=|/(?:user|users|member|members|profile|userinfo|author)\.php\?",
    re.IGNORECASE,
)
_USER_SCRIPT = re.compile(r"/(?:user|users|member|members|profile|userinfo|author)\.php$", re.IGNORECASE)
_PAGE_PATH = re.compile(r"/page[-/]?(\d+)/?$")


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _first_digits(values: dict[str, list[str]], names: tuple[str, ...]) -> str | None:
    lowered = {key.lower(): value for key, value in values.items()}
    for name in names:
        for value in lowered.get(name, []):
            found = re.match(r"\d+", value)
            if found:
                return found.group()
    return None


def topic_id_from_url(url: str | None) -> str | None:
    """The topic id a topic URL names, or ``None``."""
    if not url:
        return None
    path = urlsplit(url).path
    names = (*_TOPIC_QUERY, "id") if _TOPIC_SCRIPT.search(path) else _TOPIC_QUERY
    found = _first_digits(_query(url), names)
    if found:
        return found
    for pattern in _TOPIC_PATH:
        match = pattern.search(path)
        if match:
            return match.group(1)
    return None


def post_id_from_url(url: str | None) -> str | None:
    """The post id a post permalink names (``#p123``, ``?pid=123``, ``/post-123``), or ``None``."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.fragment:
        match = _POST_FRAGMENT.match(parts.fragment)
        if match:
            return match.group(1)
    found = _first_digits(parse_qs(parts.query), _POST_QUERY)
    if found:
        return found
    for pattern in _POST_PATH:
        match = pattern.search(parts.path)
        if match:
            return match.group(1)
    return None


def user_id_from_url(url: str | None) -> str | None:
    """The user id (numeric, or the user name where the URL keys on it) a profile URL names."""
    if not url:
        return None
    path = urlsplit(url).path
    names = (*_USER_QUERY, "id") if _USER_SCRIPT.search(path) else _USER_QUERY
    found = _first_digits(_query(url), names)
    if found:
        return found
    for pattern in _USER_PATH:
        match = pattern.search(path)
        if match:
            return match.group(1)
    return None


def page_start(url: str) -> int | None:
    """The offset of the page's first post when the URL gives one (``start=20``), else ``None``."""
    value = _query(url).get("start", [None])[0]
    return int(value) if value and value.isdigit() else None


def page_number(url: str) -> int | None:
    """The page number a topic URL names (``page=2``, ``/page-2``), ``None`` when it names none."""
    values = _query(url)
    for name in ("page", "pg"):
        value = values.get(name, [None])[0]
        if value and value.isdigit():
            return int(value)
    match = _PAGE_PATH.search(urlsplit(url).path)
    return int(match.group(1)) if match else None


def is_first_page(url: str) -> bool:
    """Whether a topic URL shows the topic's first page (no offset, no page number above 1)."""
    start = page_start(url)
    page = page_number(url)
    return not start and (page is None or page <= 1)
