"""Layer 3: forums no preset knows that describe themselves with schema.org (JSON-LD or microdata).

The topic is a ``DiscussionForumPosting`` (or ``SocialMediaPosting``) with a
``headline``; its posts are its ``comment`` items, or ``Comment`` items
elsewhere on the page (XenForo marks each post up alone). The topic item
itself is the opening post when it carries the text (Discourse, Invision),
unless its first comment repeats its author and date (then that comment is
the opening post, with its full text rather than the topic's excerpt);
without text, the first comment opens the topic (NodeBB).

Structured data says what the posts are; the page's elements still give their
text as a reader sees it (quotes and signatures apart, line breaks kept): a
microdata item's ``text`` element, or for JSON-LD the element its ``@id``
fragment names (``#comment-456``). The opening post of an Invision topic has
no ``@id``: it is the one post anchor of the comments' kind (``comment-N``)
that no comment claims. Without an element, the structured ``text`` is used.
OpenGraph gives the title when nothing else does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response

from crawler import structured
from crawler.extract import Node, compiled_xpath
from crawler.profiles import SiteProfile
from plugins.forum import ids, page_info
from plugins.forum.dates import parse_machine
from plugins.forum.engines.base import thread_listing
from plugins.forum.post_parts import PostParts, read_post
from plugins.forum.schema_items import Item, json_ld_items, microdata_items, topic_counts
from plugins.forum.text import clean_lines, to_int

TOPIC_TYPES = {"DiscussionForumPosting", "SocialMediaPosting"}
POST_TYPES = {"Comment", "Answer", "DiscussionForumPosting", "SocialMediaPosting"}
_ANCHOR_ID = re.compile(r"^([A-Za-z_-]*?)(\d+)$")


@dataclass
class _Post:
    item: Item
    element: Node | None
    content: Node | None
    anchor: str | None = None


def _absolute(base: str, url: str | None) -> str | None:
    return urljoin(base, url) if url else None


def _moment(item: Item) -> Any:
    return parse_machine(item.text("datePublished", "dateCreated"))


def _author_key(item: Item) -> str | None:
    author = item.first("author", "creator")
    if isinstance(author, Item):
        return author.text("name")
    return structured.text(author)


def _breadcrumb(items: list[Item], title: str | None) -> str | None:
    for crumbs in (i for i in items if "BreadcrumbList" in i.types):
        names = []
        for entry in crumbs.items("itemListElement"):
            target = entry.item("item")
            name = entry.text("name") or (target.text("name") if target else None)
            if name and name != title:
                names.append(name)
        if names:
            return names[-1]
    return None


def _post_container(item: Item) -> Node | None:
    """For a topic whose opening post's parts sit inside it: the element holding that post's text and author."""
    text = item.element_of("articleBody", "text")
    author = item.element_of("author", "creator")
    if text is None:
        return None
    for ancestor in text.iterancestors():
        if ancestor is item.element:
            return text.getparent()
        if author is None or ancestor in set(author.iterancestors()) or ancestor is author:
            return ancestor
    return None


def _by_fragment(root: Node, url: str | None) -> tuple[Node | None, str | None]:
    """The post element a ``#fragment`` names: the element with that id (or, for an empty anchor, what follows)."""
    fragment = urlsplit(url).fragment if url else ""
    if not fragment:
        return None, None
    found = compiled_xpath("//*[@id=$id]")(root, id=fragment)
    if not found:
        return None, fragment
    element = found[0]
    while element is not None and not "".join(element.itertext()).strip():
        element = element.getnext()
    return element, fragment


def _unclaimed_anchor(root: Node, claimed: list[str]) -> str | None:
    """The post anchor of the comments' kind (``comment-455``) that no comment names: the opening post's."""
    kinds = {m.group(1) for f in claimed if (m := _ANCHOR_ID.match(f))}
    if len(kinds) != 1:
        return None
    prefix = kinds.pop()
    for value in compiled_xpath("//*[@id][starts-with(@id, $p)]/@id")(root, p=prefix):
        match = _ANCHOR_ID.match(value)
        if match and match.group(1) == prefix and value not in claimed:
            return value
    return None


def _posts(root: Node, base: str, topic: Item, items: list[Item], first_page: bool) -> list[_Post]:
    comments = topic.items("comment")
    inside = set(comments)
    for item in items:  # standalone Comment items (XenForo marks each post up alone)
        if item is topic or item in inside or not item.is_a(POST_TYPES) or item.element is None:
            continue
        if topic.element is None or topic.element not in set(item.element.iterancestors()):
            comments.append(item)
            inside.add(item)
    posts = []
    for comment in comments:
        if comment.element is not None:
            posts.append(_Post(comment, comment.element, comment.element_of("text", "articleBody")))
        else:
            element, fragment = _by_fragment(root, _absolute(base, comment.text("url", "@id")))
            posts.append(_Post(comment, element, None, fragment))
    if not first_page:
        return posts
    has_text = topic.text("articleBody", "text") not in (None, topic.text("headline", "name"))
    opening_repeated = (
        posts and _author_key(posts[0].item) == _author_key(topic) and _moment(posts[0].item) == _moment(topic)
    )
    if has_text and not opening_repeated:
        if topic.element is not None:
            element = _post_container(topic)
            opening = _Post(topic, element, topic.element_of("articleBody", "text"))
        else:
            anchor = _unclaimed_anchor(root, [p.anchor for p in posts if p.anchor])
            element, _ = _by_fragment(root, f"#{anchor}") if anchor else (None, None)
            opening = _Post(topic, element, None, anchor)
        posts.insert(0, opening)
    return posts


def _listing(post: _Post, parts: PostParts | None, base: str, topic_id: str, index: int | None) -> dict[str, Any]:
    item = post.item
    author_item = item.item("author", "creator")
    if author_item is not None or item.text("author"):
        url = _absolute(base, author_item.text("url") if author_item else None)
        name = author_item.text("name") if author_item else item.text("author")
        author = {"name": name, "id": ids.user_id_from_url(url), "url": url}
    else:
        author = parts.author if parts else {"name": None, "id": None, "url": None}
    stated = item.text("datePublished", "dateCreated")
    shown = parts.date.shown if parts and parts.date and parts.date.shown else stated
    number = to_int(item.text("position")) or (parts.number if parts else None) or index
    own_url = _absolute(base, item.text("url", "@id"))
    post_id = ids.post_id_from_url(own_url) or structured.text(item.first("identifier"))
    if post_id is None and post.anchor:
        post_id = ids.post_id_from_url(f"#{post.anchor}")
    if post_id is None and parts:
        post_id = parts.id
    if post_id is not None and number is not None and post_id == str(number):
        post_id = f"{topic_id}/{number}"  # a number within the topic, not an id (Discourse)
    if own_url and ids.post_id_from_url(own_url) is None:
        own_url = None
    url = own_url
    if url is None and post.anchor:  # the comments' own URL scheme: the page and the anchor
        url = f"{base.split('#')[0]}#{post.anchor}"
    if url is None and parts:
        url = parts.permalink
    body = parts.body if parts else clean_lines(item.text("text", "articleBody"))
    return {
        "kind": "post",
        "native_id": post_id,
        "url": url or f"{base.split('#')[0]}#{post_id}",
        "title": item.text("headline") if "Comment" in item.types else None,
        "body": body,
        "author": author,
        "posted_at": parse_machine(stated) if stated else None,
        "posted_at_raw": shown,
        "extra": {
            "post_number": number,
            "quotes": parts.quotes if parts else [],
            "signature": parts.signature if parts else None,
        },
    }


def structured_listings(response: Response, profile: SiteProfile) -> list[dict[str, Any]]:
    """Listings read from the page's schema.org forum items; ``[]`` when it has none."""
    root = response.selector.root
    if not isinstance(root, Node):
        return []
    items = microdata_items(root) + json_ld_items(response)
    topic = next((i for i in items if i.is_a(TOPIC_TYPES) and i.text("headline", "name")), None)
    if topic is None:
        return []
    base = response.url
    title = topic.text("headline", "name") or structured.opengraph(response).get("og:title")
    topic_url = _absolute(base, topic.text("url", "@id", "mainEntityOfPage")) or page_info.topic_url(root, base, title)
    topic_id = ids.topic_id_from_url(topic_url) or ids.topic_id_from_url(response.url)
    if topic_id is None:
        return []
    if not ids.is_first_page(topic_url):
        topic_url = page_info.topic_url(root, base, title)
    first_page = ids.is_first_page(response.url)
    posts = _posts(root, base, topic, items, first_page)
    category = topic.text("articleSection") or _breadcrumb(items, title) or page_info.board_name(root, title)
    thread_id = f"{profile.name}:thread:{topic_id}"
    out = []
    for index, post in enumerate(posts):
        parts = read_post([post.element], base, post.content) if post.element is not None else None
        listing = _listing(post, parts, base, topic_id, index + 1 if first_page else None)
        if listing["native_id"] is None or not listing["body"]:
            continue
        listing.update(parent_id=thread_id, category=category)
        out.append(listing)
    if first_page and out:
        replies, views = topic_counts(topic)
        if replies is None and views is None:
            replies, views = page_info.topic_counts(root, posts[0].element)
        out.insert(0, thread_listing(out[0], topic_id, topic_url, title, replies, views))
    return out
