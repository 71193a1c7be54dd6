"""HTML of the demo forum, modelled on phpBB 3.3 with the prosilver style.

Every generated text goes through :func:`html.escape`. Dates are shown as
the board's users chose them: ``Mon Mar 09, 2026 2:05 pm``, ``09.03.2026, 14:05``
or ``3 hours ago`` beside a ``<time datetime>``; the German board's legacy
posts have a text date only (``09. März 2026 14:05``, ``gestern, 14:05``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from html import escape
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from crawler.demo.base import Page

if TYPE_CHECKING:
    from crawler.demo.forum import Board, Category, ForumPlatform, Post, Topic, User

TZ = ZoneInfo("Europe/Berlin")
SITE_NAME = "Expat Workers Forum"
TOPICS_PER_PAGE = 5  # phpBB's "topics per page" board setting (default 25, set low here)
POSTS_PER_PAGE = 10  # phpBB's "posts per page"
FIRST = ' class="first"'
_DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONATE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember"]  # fmt: skip
_RELATIVE = {  # style -> (minutes, hours) templates, singular and plural
    "en": (("{n} minute ago", "{n} minutes ago"), ("{n} hour ago", "{n} hours ago")),
    "dmy": (("{n} minute ago", "{n} minutes ago"), ("{n} hour ago", "{n} hours ago")),
    "de": (("vor {n} Minute", "vor {n} Minuten"), ("vor {n} Stunde", "vor {n} Stunden")),
    "ro": (("acum {n} minut", "acum {n} minute"), ("acum {n} oră", "acum {n} ore")),
}
ROBOTS = """User-agent: *
Disallow: /search.php
Disallow: /ucp.php
Disallow: /memberlist.php
Disallow: /posting.php
"""

STYLE = """body{font-family:Verdana,Helvetica,Arial,sans-serif;font-size:10px;background:#f5f7fa;color:#536482}
.wrap{max-width:1152px;margin:0 auto;padding:15px;background:#fff;border:1px solid #e6e9ed;border-radius:8px}
.headerbar{background:linear-gradient(#6aceff,#0076b1 2px,#12a3eb 92px);border-radius:7px;padding:5px}
.forabg,.forumbg{background:#0076b1;border-radius:7px;margin-bottom:4px;padding:5px}
ul.topiclist{list-style:none;margin:0;padding:0}ul.topiclist li.row{border-top:1px solid #fff}
.bg1{background:#ecf3f7}.bg2{background:#e1ebf2}.post{padding:5px 10px;margin-bottom:4px;border-radius:7px}
.postprofile{float:right;width:22%;border-left:1px solid #fff}.postbody{float:left;width:76%}
blockquote{background:#ebeadd;border:1px solid #dbdbce;margin:10px 1px 1px 25px;padding:5px}
.signature{border-top:1px solid #ccc;margin-top:1.5em;padding-top:.2em;font-size:1.1em}
.pagination{float:right;text-align:right}.pagination li{display:inline}"""


# --- dates ----------------------------------------------------------------------------------------------------------


def _clock12(local: datetime) -> str:
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'am' if local.hour < 12 else 'pm'}"


def long_date(moment: datetime) -> str:
    """phpBB's default English format: ``Mon Mar 09, 2026 2:05 pm`` (board time)."""
    local = moment.astimezone(TZ)
    return f"{_DAYS[local.weekday()]} {_MONTHS[local.month - 1]} {local.day:02d}, {local.year} {_clock12(local)}"


def visible_date(moment: datetime, style: str, now: datetime) -> str:
    """The date text beside a ``<time>`` element, in the board's chosen format."""
    age = now - moment
    if age < timedelta(hours=24):
        minutes_tpl, hours_tpl = _RELATIVE[style]
        if age < timedelta(hours=1):
            count, templates = max(1, int(age.total_seconds() // 60)), minutes_tpl
        else:
            count, templates = int(age.total_seconds() // 3600), hours_tpl
        return templates[count != 1].format(n=count)
    if style == "en":
        return long_date(moment)
    local = moment.astimezone(TZ)
    return f"{local:%d.%m.%Y, %H:%M}"


def _local_day_offset(moment: datetime, now: datetime) -> int:
    return (now.astimezone(TZ).date() - moment.astimezone(TZ).date()).days


def legacy_date(moment: datetime, now: datetime) -> str:
    """A legacy German post's text-only date."""
    local = moment.astimezone(TZ)
    offset = _local_day_offset(moment, now)
    if offset == 0:
        return f"heute, {local:%H:%M}"
    if offset == 1:
        return f"gestern, {local:%H:%M}"
    return f"{local.day:02d}. {_MONATE[local.month - 1]} {local.year} {local:%H:%M}"


def date_text(post: Post, now: datetime) -> str:
    if post.has_time:
        return visible_date(post.at, post.topic.board.date_style, now)
    return legacy_date(post.at, now)


def is_relative_text(post: Post, now: datetime) -> bool:
    """Whether the only date a post shows is relative to the build time (so the truth needs a tolerance)."""
    return not post.has_time and _local_day_offset(post.at, now) <= 1


def _time(post: Post, now: datetime) -> str:
    text = escape(date_text(post, now))
    if not post.has_time:
        return text
    return f'<time datetime="{post.at.isoformat()}">{text}</time>'


# --- page chrome ----------------------------------------------------------------------------------------------------


def _crumbs(trail: list[tuple[str, str, int | None]]) -> str:
    out = [
        '<span class="crumb" itemtype="https://schema.org/ListItem" itemprop="itemListElement" itemscope>'
        '<a href="/" itemtype="https://schema.org/Thing" itemscope itemprop="item" accesskey="h" '
        'data-navbar-reference="index"><i class="icon fa-home fa-fw"></i><span itemprop="name">Board index</span>'
        '</a><meta itemprop="position" content="1" /></span>'
    ]
    for position, (href, label, fid) in enumerate(trail, start=2):
        out.append(
            f'<span class="crumb" itemtype="https://schema.org/ListItem" itemprop="itemListElement" itemscope '
            f'data-forum-id="{fid}"><a href="{escape(href)}" itemtype="https://schema.org/Thing" itemscope '
            f'itemprop="item"><span itemprop="name">{escape(label)}</span></a>'
            f'<meta itemprop="position" content="{position}" /></span>'
        )
    return "\n".join(out)


def _layout(title: str, section: str, trail: list[tuple[str, str, int | None]], body: str) -> Page:
    html = f"""<!DOCTYPE html>
<html dir="ltr" lang="en-gb">
<head>
<meta charset="utf-8" />
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>{escape(title)} - {SITE_NAME}</title>
<style>{STYLE}</style>
</head>
<body id="phpbb" class="nojs notouch section-{section} ltr ">
<div id="wrap" class="wrap">
<a id="top" class="top-anchor" accesskey="t"></a>
<div id="page-header">
<div class="headerbar" role="banner"><div class="inner">
<div id="site-description" class="site-description">
<a id="logo" class="logo" href="/" title="Board index"><span class="site_logo"></span></a>
<h1>{SITE_NAME}</h1>
<p>Advice on working, studying and travelling abroad</p>
<p class="skiplink"><a href="#start_here">Skip to content</a></p>
</div>
<div id="search-box" class="search-box search-header" role="search">
<form action="/search.php" method="get" id="search"><fieldset>
<input name="keywords" id="keywords" type="search" maxlength="128" title="Search for keywords"
 class="inputbox search tiny" size="20" value="" placeholder="Search…" />
<button class="button button-search" type="submit" title="Search">
<i class="icon fa-search fa-fw" aria-hidden="true"></i><span class="sr-only">Search</span></button>
<a href="/search.php" class="button button-search-end" title="Advanced search">
<i class="icon fa-cog fa-fw" aria-hidden="true"></i><span class="sr-only">Advanced search</span></a>
</fieldset></form>
</div>
</div></div>
<div class="navbar" role="navigation"><div class="inner">
<ul id="nav-main" class="nav-main linklist" role="menubar">
<li id="quick-links" class="quick-links dropdown-container responsive-menu" data-skip-responsive="true">
<a href="#" class="dropdown-trigger"><i class="icon fa-bars fa-fw" aria-hidden="true"></i><span>Quick links</span></a>
<div class="dropdown"><ul class="dropdown-contents" role="menu">
<li><a href="/search.php?search_id=unanswered" role="menuitem"><span>Unanswered topics</span></a></li>
<li><a href="/search.php?search_id=active_topics" role="menuitem"><span>Active topics</span></a></li>
<li class="separator"></li>
<li><a href="/memberlist.php?mode=team" role="menuitem"><span>The team</span></a></li>
</ul></div>
</li>
<li data-skip-responsive="true">
<a href="/app.php/help/faq" rel="help" title="Frequently Asked Questions" role="menuitem">
<i class="icon fa-question-circle fa-fw" aria-hidden="true"></i><span>FAQ</span></a></li>
<li class="rightside" data-skip-responsive="true">
<a href="/ucp.php?mode=login&amp;redirect=index.php" title="Login" accesskey="x" role="menuitem">
<i class="icon fa-power-off fa-fw" aria-hidden="true"></i><span>Login</span></a></li>
<li class="rightside" data-skip-responsive="true"><a href="/ucp.php?mode=register" role="menuitem">
<i class="icon fa-pencil-square-o fa-fw" aria-hidden="true"></i><span>Register</span></a></li>
</ul>
<ul id="nav-breadcrumbs" class="nav-breadcrumbs linklist navlinks" role="menubar">
<li class="breadcrumbs" itemscope itemtype="https://schema.org/BreadcrumbList">
{_crumbs(trail)}
</li>
</ul>
</div></div>
</div>
<a id="start_here" class="anchor"></a>
<div id="page-body" class="page-body" role="main">
{body}
</div>
<div id="page-footer" class="page-footer" role="contentinfo">
<div class="navbar" role="navigation"><div class="inner">
<ul id="nav-footer" class="nav-footer linklist" role="menubar">
<li class="breadcrumbs"><span class="crumb"><a href="/" data-navbar-reference="index">
<i class="icon fa-home fa-fw" aria-hidden="true"></i><span>Board index</span></a></span></li>
<li class="rightside">All times are <span title="Europe/Berlin">Europe/Berlin</span></li>
<li class="rightside"><a href="/ucp.php?mode=delete_cookies" data-ajax="true" data-refresh="true" role="menuitem">
<i class="icon fa-trash fa-fw" aria-hidden="true"></i><span>Delete cookies</span></a></li>
<li class="rightside" data-last-responsive="true"><a href="/memberlist.php?mode=contactadmin" role="menuitem">
<i class="icon fa-envelope fa-fw" aria-hidden="true"></i><span>Contact us</span></a></li>
</ul>
</div></div>
<div class="copyright">
<p class="footer-row"><span class="footer-copyright">Powered by <a href="https://www.phpbb.com/">phpBB</a>
&reg; Forum Software &copy; phpBB Limited</span></p>
</div>
</div>
</div>
<script>
(function(){{var b=document.body;b.className=b.className.replace('nojs','hasjs');}})();
</script>
</body>
</html>
"""
    return Page(html.encode("utf-8"))


def _user_link(user: User, css: str = "username") -> str:
    if user.profile_path is None:
        return f'<span class="username">{escape(user.name)}</span>'
    if user.colour:
        return (
            f'<a href="{escape(user.profile_path)}" style="color: #{user.colour};" '
            f'class="username-coloured">{escape(user.name)}</a>'
        )
    attr = f' class="{css}"' if css else ""
    return f'<a href="{escape(user.profile_path)}"{attr}>{escape(user.name)}</a>'


def _pagination(total: int, label: str, start: int, per_page: int, path_for: Callable[[int], str]) -> str:
    pages = -(-total // per_page) or 1
    current = start // per_page + 1
    plural = label if total == 1 else label + "s"
    if pages == 1:
        return (
            f'<div class="pagination">\n{total} {plural} &bull; Page <strong>1</strong> of <strong>1</strong>\n</div>'
        )
    items = []
    if current > 1:
        href = escape(path_for((current - 2) * per_page))
        items.append(
            f'<li class="arrow previous"><a class="button button-icon-only" href="{href}" rel="prev" role="button">'
            '<i class="icon fa-chevron-left fa-fw" aria-hidden="true"></i>'
            '<span class="sr-only">Previous</span></a></li>'
        )
    for number in range(1, pages + 1):
        if number == current:
            items.append(f'<li class="active"><span>{number}</span></li>')
        else:
            href = escape(path_for((number - 1) * per_page))
            items.append(f'<li><a class="button" href="{href}" role="button">{number}</a></li>')
    if current < pages:
        href = escape(path_for(current * per_page))
        items.append(
            f'<li class="arrow next"><a class="button button-icon-only" href="{href}" rel="next" role="button">'
            '<i class="icon fa-chevron-right fa-fw" aria-hidden="true"></i><span class="sr-only">Next</span></a></li>'
        )
    return (
        f'<div class="pagination">\n{total} {plural} &bull; <span class="page-of">Page <strong>{current}</strong> of '
        f"<strong>{pages}</strong></span>\n<ul>\n" + "\n".join(items) + "\n</ul>\n</div>"
    )


def _jumpbox(platform: ForumPlatform, back_href: str, back_label: str, current: Category) -> str:
    """The "Jump to" menu: every category, and the boards of the current one (keeps pages small at scale)."""
    links = []
    for category in platform.categories:
        links.append(
            f'<li><a href="{category.path}" class="jumpbox-cat-link"><span>{escape(category.name)}</span></a></li>'
        )
        for board in category.boards if category is current else []:
            links.append(
                f'<li><a href="{board.page_path(0)}" class="jumpbox-sub-link"><span class="spacer"></span> '
                f"<span>&#8627; &nbsp; {escape(board.name)}</span></a></li>"
            )
    return (
        f'<div class="action-bar actions-jump">\n<p class="jumpbox-return"><a href="{escape(back_href)}" '
        f'class="left-box arrow-left" accesskey="r"><i class="icon fa-angle-left fa-fw icon-black"></i>'
        f"<span>Return to {escape(back_label)}</span></a></p>\n"
        '<div class="jumpbox dropdown-container dropdown-container-right dropdown-up dropdown-left '
        'dropdown-button-control"><span title="Jump to" class="button button-secondary dropdown-trigger '
        'dropdown-select"><span>Jump to</span></span>'
        '<div class="dropdown"><ul class="dropdown-contents">\n' + "\n".join(links) + "\n</ul></div></div>\n</div>"
    )


def _last_post(post: Post, now: datetime) -> str:
    return (
        f'<dd class="lastpost"><span><dfn>Last post </dfn>by {_user_link(post.author)} '
        f'<a href="{escape(post.page_path)}#p{post.pid}" title="Go to last post">'
        f'<i class="icon fa-external-link-square fa-fw icon-lightgray icon-md" aria-hidden="true"></i>'
        f'<span class="sr-only">View the latest post</span></a><br />{_time(post, now)}</span></dd>'
    )


# --- pages ----------------------------------------------------------------------------------------------------------


def _forum_rows(boards: list[Board], now: datetime) -> str:
    rows = []
    for board in boards:
        posts = [p for t in board.topics for p in t.posts]
        latest = max(posts, key=lambda p: (p.at, p.pid))
        rows.append(
            f'<li class="row">\n<dl class="row-item forum_read">\n<dt title="No unread posts">'
            f'<div class="list-inner"><a href="{board.page_path(0)}" class="forumtitle">{escape(board.name)}</a>'
            f"<br />{escape(board.description)}</div></dt>\n"
            f'<dd class="topics">{len(board.topics)} <dfn>Topics</dfn></dd>\n'
            f'<dd class="posts">{len(posts)} <dfn>Posts</dfn></dd>\n{_last_post(latest, now)}\n</dl>\n</li>'
        )
    return "\n".join(rows)


def _forabg(category: Category, now: datetime) -> str:
    return (
        f'<div class="forabg">\n<div class="inner">\n<ul class="topiclist">\n<li class="header">\n'
        f'<dl class="row-item"><dt><div class="list-inner"><a href="{category.path}">{escape(category.name)}</a>'
        '</div></dt><dd class="topics">Topics</dd><dd class="posts">Posts</dd><dd class="lastpost"><span>Last post'
        f'</span></dd></dl>\n</li>\n</ul>\n<ul class="topiclist forums">\n{_forum_rows(category.boards, now)}\n'
        "</ul>\n</div>\n</div>"
    )


def render_index(platform: ForumPlatform) -> Page:
    now = platform.options.now
    posts = platform.posts
    newest = max(platform.users, key=lambda u: (u.joined, u.uid or 0))
    body = (
        f'<p class="right responsive-center time rightside">It is currently {long_date(now)}</p>\n'
        '<ul class="linklist"><li><a href="/search.php?search_id=unanswered">Unanswered topics</a> &bull; '
        '<a href="/search.php?search_id=active_topics">Active topics</a></li></ul>\n'
        + "\n".join(_forabg(c, now) for c in platform.categories)
        + (f"\n{_forabg(platform.members, now)}" if platform.members else "")
        + '\n<div class="stat-block online-list"><h3>Who is online</h3><p>In total there are <strong>'
        f"{7 + len(posts) % 13}</strong> users online :: 1 registered, 0 hidden and {6 + len(posts) % 13} guests "
        "(based on users active over the past 5 minutes)</p></div>\n"
        '<div class="stat-block statistics"><h3>Statistics</h3><p>Total posts <strong>'
        f"{len(posts)}</strong> &bull; Total topics <strong>{len(platform.topics)}</strong> &bull; Total members "
        f"<strong>{len(platform.users) + 6}</strong> &bull; Our newest member <strong>{_user_link(newest)}"
        "</strong></p></div>"
    )
    return _layout("Index page", "index", [], body)


def render_category(platform: ForumPlatform, category: Category) -> Page:
    body = (
        f'<h2 class="forum-title"><a href="{category.path}">{escape(category.name)}</a></h2>\n'
        + _forabg(category, platform.options.now)
        + "\n"
        + _jumpbox(platform, "/", "Board index", category)
    )
    return _layout(category.name, "viewforum", [(category.path, category.name, category.fid)], body)


def _topic_row(topic: Topic, index: int, now: datetime) -> str:
    first, last = topic.posts[0], topic.posts[-1]
    mini = ""
    if len(topic.posts) > 10:
        links = "".join(f'<li><a class="button" href="{escape(topic.page_path(s))}">{s // 10 + 1}</a></li>'
                        for s in topic.page_starts)  # fmt: skip
        mini = f'<div class="pagination"><span><i class="icon fa-clone fa-fw"></i></span><ul>{links}</ul></div>'
    kind = "sticky" if topic.sticky else ""
    edited = f'<div class="topic-edited">Edited {long_date(topic.edited_at)}</div>\n' if topic.edited_at else ""
    return (
        f'<li class="row bg{index % 2 + 1} {kind}">\n<dl class="row-item {kind or "topic"}_read">\n'
        f'<dt title="No unread posts"><div class="list-inner">\n'
        f'<a href="{topic.page_path(0)}" class="topictitle">{escape(topic.title)}</a>\n{mini}\n'
        f'<div class="responsive-hide left-box">by {_user_link(first.author)} &raquo; {_time(first, now)}</div>\n'
        f'{edited}</div></dt>\n<dd class="posts">{len(topic.posts) - 1} <dfn>Replies</dfn></dd>\n'
        f'<dd class="views">{topic.views} <dfn>Views</dfn></dd>\n{_last_post(last, now)}\n</dl>\n</li>'
    )


def render_board(platform: ForumPlatform, board: Board, start: int) -> Page:
    now = platform.options.now
    topics = board.topics[start : start + TOPICS_PER_PAGE]
    pagination = _pagination(len(board.topics), "topic", start, TOPICS_PER_PAGE, board.page_path)
    rows = "\n".join(_topic_row(t, i, now) for i, t in enumerate(topics))
    action = (
        f'<a href="/posting.php?mode=post&amp;f={board.fid}" class="button" title="Post a new topic">'
        '<span>New Topic</span> <i class="icon fa-pencil fa-fw" aria-hidden="true"></i></a>\n'
        '<div class="search-box" role="search"><form method="get" id="forum-search" action="/search.php">'
        f'<fieldset><input class="inputbox search tiny" type="search" name="keywords" size="20" '
        f'placeholder="Search this forum…" /><input type="hidden" name="fid[0]" value="{board.fid}" /></fieldset>'
        f"</form></div>\n{pagination}"
    )
    body = (
        f'<h2 class="forum-title"><a href="{board.page_path(0)}">{escape(board.name)}</a></h2>\n'
        f'<div class="forum-description"><p>{escape(board.description)}</p></div>\n'
        f'<div class="action-bar bar-top">\n{action}\n</div>\n'
        '<div class="forumbg">\n<div class="inner">\n<ul class="topiclist">\n<li class="header">\n'
        '<dl class="row-item"><dt><div class="list-inner">Topics</div></dt><dd class="posts">Replies</dd>'
        '<dd class="views">Views</dd><dd class="lastpost"><span>Last post</span></dd></dl>\n</li>\n</ul>\n'
        f'<ul class="topiclist topics">\n{rows}\n</ul>\n</div>\n</div>\n'
        f'<div class="action-bar bar-bottom">\n{action}\n</div>\n'
        + _jumpbox(platform, "/", "Board index", board.category)
    )
    trail = [
        (board.category.path, board.category.name, board.category.fid),
        (board.page_path(0), board.name, board.fid),
    ]
    return _layout(board.name, "viewforum", trail, body)


def _quote(post: Post) -> str:
    quoted = post.quote_of
    if quoted is None:
        return ""
    href = f"{quoted.page_path}#p{quoted.pid}" if quoted.page_path != post.page_path else f"#p{quoted.pid}"
    return (
        f'<blockquote cite="{escape(href)}"><div><cite>{_user_link(quoted.author, "")} wrote: '
        f'<a href="{escape(href)}" data-post-id="{quoted.pid}">↑</a>'
        f'<span class="responsive-hide">{escape(long_date(quoted.at))}</span></cite>'
        f"{escape(quoted.paragraphs[0])}</div></blockquote>"
    )


def _profile(post: Post) -> str:
    user = post.author
    lines = [
        f'<dl class="postprofile" id="profile{post.pid}">',
        f'<dt class="{"has" if user.rank else "no"}-profile-rank no-avatar"><div class="avatar-container"></div>'
        f"{_user_link(user)}</dt>",
    ]
    if user.uid is not None:
        if user.rank:
            lines.append(f'<dd class="profile-rank">{escape(user.rank)}</dd>')
        lines.append(
            f'<dd class="profile-posts"><strong>Posts:</strong> '
            f'<a href="/search.php?author_id={user.uid}&amp;sr=posts">{user.post_count}</a></dd>'
        )
        if user.joined:
            lines.append(f'<dd class="profile-joined"><strong>Joined:</strong> {long_date(user.joined)}</dd>')
        if user.location:
            lines.append(f'<dd class="profile-location"><strong>Location:</strong> {escape(user.location)}</dd>')
    lines.append("</dl>")
    return "\n".join(lines)


def _post(post: Post, index: int, now: datetime) -> str:
    text = "<br><br>".join(escape(p) for p in post.body.split("\n"))
    parts = [
        f'<div id="p{post.pid}" class="post has-profile bg{2 - index % 2}">\n<div class="inner">',
        _profile(post),
        f'<div class="postbody">\n<div id="post_content{post.pid}">',
        f'<h3{FIRST if post.number == 1 else ""}><a href="#p{post.pid}">{escape(post.subject)}</a></h3>',
        '<ul class="post-buttons"><li><a href="/posting.php?mode=quote&amp;p='
        f'{post.pid}" title="Reply with quote" class="button button-icon-only"><i class="icon fa-quote-left fa-fw" '
        'aria-hidden="true"></i><span class="sr-only">Quote</span></a></li></ul>',
        f'<p class="author"><a class="unread" href="#p{post.pid}" title="Post"><span class="sr-only">Post</span></a>'
        f'<span class="responsive-hide">by <strong>{_user_link(post.author)}</strong> &raquo; </span>'
        f"{_time(post, now)}</p>",
        f'<div class="content">{_quote(post)}{text}</div>',
    ]
    if post.edit:
        edited_at = min(post.at + timedelta(minutes=7 + post.pid % 50), now)
        parts.append(
            f'<div class="notice">Last edited by {_user_link(post.author)} on {long_date(edited_at)}, '
            "edited 1 time in total.</div>"
        )
    if post.author.signature:
        signature = "<br>".join(escape(line) for line in post.author.signature.split("\n"))
        parts.append(f'<div id="sig{post.pid}" class="signature">{signature}</div>')
    parts.append('</div>\n</div>\n</div>\n</div>\n<hr class="divider" />')
    return "\n".join(parts)


def render_topic(platform: ForumPlatform, topic: Topic, start: int) -> Page:
    now = platform.options.now
    board = topic.board
    pagination = _pagination(len(topic.posts), "post", start, POSTS_PER_PAGE, topic.page_path)
    action = (
        f'<a href="/posting.php?mode=reply&amp;t={topic.tid}" class="button" title="Post a reply">'
        '<span>Post Reply</span> <i class="icon fa-reply fa-fw" aria-hidden="true"></i></a>\n'
        '<div class="search-box" role="search"><form method="get" id="topic-search" action="/search.php">'
        '<fieldset><input class="inputbox search tiny" type="search" name="keywords" size="20" '
        f'placeholder="Search this topic…" /><input type="hidden" name="t" value="{topic.tid}" /></fieldset>'
        f"</form></div>\n{pagination}"
    )
    posts = "\n".join(_post(p, i, now) for i, p in enumerate(topic.posts[start : start + POSTS_PER_PAGE]))
    body = (
        f'<h2 class="topic-title"><a href="{topic.page_path(0)}">{escape(topic.title)}</a></h2>\n'
        f'<div class="action-bar bar-top">\n{action}\n</div>\n'
        f'<div class="topic-stats"><span class="topic-replies">Replies: {len(topic.posts) - 1}</span> &bull; '
        f'<span class="topic-views">Views: {topic.views:,}</span></div>\n'
        f"{posts}\n"
        f'<div class="action-bar bar-bottom">\n{action}\n</div>\n'
        + _jumpbox(platform, board.page_path(0), board.name, board.category)
    )
    trail = [
        (board.category.path, board.category.name, board.category.fid),
        (board.page_path(0), board.name, board.fid),
    ]
    return _layout(topic.title, "viewtopic", trail, body)


def render_faq() -> Page:
    body = (
        '<h2 class="faq-title">Frequently Asked Questions</h2>\n'
        '<div class="panel bg1" id="faqlinks"><div class="inner">'
        "<dl><dt><strong>Why do I need to register?</strong></dt><dd>You may not have to, it is up to the "
        "administrator of the board as to whether you need to register in order to post messages.</dd>"
        "<dt><strong>What are signatures?</strong></dt><dd>A signature is text shown below every one of your "
        "posts.</dd></dl></div></div>"
    )
    return _layout("Frequently Asked Questions", "faq", [], body)


LOGIN_REQUIRED = "The board requires you to be registered and logged in to view this forum."
LOGIN_FAILED = "You have specified an incorrect username or password. Please check them and try again."
# Every page's header links to the login form; a logged-in session sees a logout link instead.
LOGIN_LINK = b'<a href="/ucp.php?mode=login&amp;redirect=index.php" title="Login"'
LOGOUT_LINK = b'<a href="/ucp.php?mode=logout&amp;sid=demo" title="Logout"'


def render_login(message: str) -> Page:
    """phpBB's login box, with a message above it (a failed attempt, or "log in to view this forum")."""
    notice = (
        f'<div class="panel"><div class="inner"><p class="error">{escape(message)}</p></div></div>\n' if message else ""
    )
    body = (
        f"{notice}"
        '<form action="/ucp.php?mode=login" method="post" id="login" data-focus="username">\n'
        '<div class="panel"><div class="inner"><div class="content"><h2 class="login-title">Login</h2>\n'
        '<fieldset class="fields1"><dl><dt><label for="username">Username:</label></dt>'
        '<dd><input type="text" tabindex="1" name="username" id="username" size="25" value="" '
        'class="inputbox autowidth" /></dd>'
        '</dl><dl><dt><label for="password">Password:</label></dt>'
        '<dd><input type="password" tabindex="2" id="password" name="password" size="25" class="inputbox autowidth" '
        'autocomplete="off" /></dd></dl>\n'
        '<dl><dd><label for="autologin"><input type="checkbox" name="autologin" id="autologin" tabindex="4" /> '
        "Remember me</label></dd></dl>\n"
        '<input type="hidden" name="redirect" value="./index.php" />\n'
        '<dl><dt>&nbsp;</dt><dd><input type="submit" name="login" tabindex="6" value="Login" class="button1" /></dd>'
        "</dl></fieldset></div></div></div></form>"
    )
    return _layout("Login", "ucp", [], body)


def render_members(platform: ForumPlatform) -> dict[str, Page]:
    """The members area's category, board and topic pages (served only after a login)."""
    pages: dict[str, Page] = {}
    category = platform.members
    if category is None:
        return pages
    pages[category.path] = render_category(platform, category)
    for board in category.boards:
        for start in board.page_starts:
            pages[board.page_path(start)] = render_board(platform, board, start)
        for topic in board.topics:
            for start in topic.page_starts:
                pages[topic.page_path(start)] = render_topic(platform, topic, start)
    return pages


def render_all(platform: ForumPlatform) -> dict[str, Page]:
    pages = {
        "/": render_index(platform),
        "/robots.txt": Page(ROBOTS.encode("utf-8"), content_type="text/plain; charset=utf-8"),
        "/app.php/help/faq": render_faq(),
    }
    for category in platform.categories:
        pages[category.path] = render_category(platform, category)
        for board in category.boards:
            for start in board.page_starts:
                pages[board.page_path(start)] = render_board(platform, board, start)
            for topic in board.topics:
                for start in topic.page_starts:
                    pages[topic.page_path(start)] = render_topic(platform, topic, start)
    return pages
