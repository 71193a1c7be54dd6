"""The words forum templates put on elements, and what each family of words means.

Templates name their parts: ``postbody``, ``message-userContent``,
``post_author``, ``msg-sign``, ``bbCodeBlock--quote``, ``data-role="commentContent"``,
``component="post/content"``, ``itemprop="text"``. The generic layers read a
post of unknown markup by these *hints*, matched as regular expressions
against each word of an element's ``class``, ``data-role``, ``component`` and
``itemprop``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from crawler.extract import Node

QUOTE = re.compile(r"quote", re.IGNORECASE)
# Parts of a quote, not quotes: "ipsQuote_contents", "quote-head"; and buttons: "postbit_quote", "js-selectToQuote".
QUOTE_PART = re.compile(
    r"quote[-_]?(contents?|citation|cite|title|head(er)?|author|text|body|meta|controls|expand\w*|link)$", re.IGNORECASE
)
NOT_CONTAINER = re.compile(r"btn|button|link|icon|fa-|postbit_|action|tool|^js-|toquote", re.IGNORECASE)
QUOTE_HEAD = re.compile(r"title|cit|author|head|attribution|source|expand|controls|meta|user", re.IGNORECASE)
QUOTE_BODY = re.compile(r"content|text|body", re.IGNORECASE)
WROTE = re.compile(
    r"(wrote|said|says|schrieb|geschrieben|писал[аи]?|написав|написала|писала|napisał[a]?|a scris|dijo|escribió|"
    r"ha scritto|a écrit|schreef|escreveu|sagte)\s*:?\s*(↑)?$",
    re.IGNORECASE,
)
SIGNATURE = re.compile(r"signature|(^|[-_/])(sig|sign|podpis|firma)($|[-_])", re.IGNORECASE)
EDIT = re.compile(r"last-?edit|lastedit|edited|edit-?note|post_edit|editedby|edit-?reason", re.IGNORECASE)
AUTHOR = re.compile(r"author|username|user-name|poster|nick|creator|membername|^name$|[-_]name$", re.IGNORECASE)
NOT_AUTHOR = re.compile(r"avatar|photo|title|rank|badge|banner|stat|info|extra|pane$", re.IGNORECASE)
DATE = re.compile(r"date|time|posted|stamp|published|when|ago", re.IGNORECASE)
SUBJECT = re.compile(r"^(subject|post-?title|postsubject|msg-?title|message-?title|post_subject)$", re.IGNORECASE)
USERISH = re.compile(r"user|author|rank|name|group|badge", re.IGNORECASE)
# Content containers, by strength: an exact template word, then a word ending in -content/-body/-text/-message.
CONTENT_EXACT = re.compile(
    r"^(content|postbody|post_body|post-body|postcontent|post_content|post-content|post-text|post_text|posttext|"
    r"message|messagetext|message-body|message-content|message_body|bbwrapper|cooked|entry-content|msg-text|"
    r"msg_text|msgtext|msg-body|comment-body|comment-content|commentcontent|postcolor|usercontent|post/content|"
    r"post-message|post_message|postmessage|text|body)$",
    re.IGNORECASE,
)
CONTENT_LOOSE = re.compile(r"([-_/](content|body|text|message)$)|richtext|bbwrapper|cooked|messagetext", re.IGNORECASE)
CONTENT_ITEMPROP = frozenset({"text", "articlebody", "commenttext", "reviewbody", "description"})
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "select", "option", "head", "title", "button"})


def tokens(element: Node) -> list[str]:
    """The words a template put on an element: class names, ``data-role``, ``component``, ``itemprop``."""
    words = (element.get("class") or "").split()
    for attribute in ("data-role", "component", "itemprop"):
        value = element.get(attribute)
        if value:
            words.append(value)
    return words


def has(element: Node, pattern: re.Pattern[str]) -> bool:
    return any(pattern.search(word) for word in tokens(element))


def has_class(element: Node, pattern: re.Pattern[str]) -> bool:
    """Whether a class name matches (not an ``itemprop``: ``itemprop="name"`` is on every breadcrumb)."""
    return any(pattern.search(word) for word in (element.get("class") or "").split())


def is_element(node: object) -> bool:
    """An lxml element proper (not a comment or processing instruction)."""
    return isinstance(node, Node) and isinstance(node.tag, str)


def descendants(root: Node) -> list[Node]:
    return [e for e in root.iter() if isinstance(e.tag, str) and e is not root]


def outside(root: Node, excluded: set[Node]) -> Iterator[Node]:
    """``root`` and the elements under it in document order, skipping the subtrees of ``excluded``."""
    if root in excluded or not isinstance(root.tag, str):
        return
    yield root
    for child in root:
        yield from outside(child, excluded)


def within(element: Node, containers: set[Node]) -> bool:
    """Whether ``element`` is one of ``containers`` or inside one."""
    return element in containers or any(a in containers for a in element.iterancestors())


def is_quote(element: Node) -> bool:
    """A quote container: a ``<blockquote>``, or a block whose class says "quote" (not a quote's inner part)."""
    if element.tag == "blockquote":
        return True
    if element.tag in ("div", "aside", "table", "td", "section", "figure", "dl"):
        return any(
            QUOTE.search(w) and not NOT_CONTAINER.search(w) and not QUOTE_PART.search(w) for w in tokens(element)
        )
    return False
